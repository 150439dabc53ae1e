"""The ``qsn`` command line (thin: argument parsing, printing and writing files only).

``qsn run MODEL.toml [--json] [--plot FILE]``
    Compare the model's probes: a table and the verdict, or one JSON document.  A model with
    a ``[field]`` (sensor positions and species) prints every quantity's standard deviation
    and sensitivity with its unit (T, T/m, m ...; T/sqrt(Hz) ...), the probes' interrogation
    times and the SQL and Heisenberg references; the JSON carries the unit strings.
``qsn check MODEL.toml``
    Validate the model file and explain it, computing nothing.
``qsn optimize MODEL.toml [--json] [--seed N] [--restarts N] [--save-state FILE.npz]
[--checkpoint FILE] [--quiet]``
    Search the probe states of the model's network for the best bound on its task under its
    ``[noise]`` and ``resources`` (:func:`~qsn_qutip.optimal_probe`; without a ``[noise]``
    time, per unit time with the time optimised too) and print the best probe found next to
    the limit no probe beats, the best sensor-separable probe and the product state.
    Progress goes to stderr (a tqdm bar on a terminal when tqdm is installed, else one line
    per search; none with ``--quiet``); ``--save-state`` writes the state
    (:data:`~qsn_qutip.optimize.STATE_FORMAT`) for a model file's ``[[probes.state]] file =
    ...``; ``--checkpoint`` records every finished search, and a rerun resumes from it.
``qsn draw MODEL.toml [-o FILE] [--layout auto|ring|line] [--style gallery|paper]``
    Draw the model's sensor network (an array of like sensors in a row, others on a ring).
``qsn demo [--n N]``
    The paper's magnetic-gradient example on two qubit ensembles.
``qsn figures [--only NAME] [--out DIR] [--format png|pdf|svg] [--style gallery|paper]
[--width single|double]``
    Render the figure gallery (an image and a CSV file per figure); ``--style paper`` for a
    journal: vector PDF a column wide, 8 pt, panel labels, no titles.
``qsn simulate MODEL.toml [--repeats MU] [--trials T] [--probe NAME] [--json]``
    Simulate experiments with one probe of the model, under the model's ``[noise]`` when it
    has one (the noisy state is sampled, the QCRB is the noisy one), and a readout that
    estimates the task: the probe's registered one (GHZ parity for ``ghz``, local readout
    otherwise; the parity for a model's own two-branch GHZ-like state), else the local SLD
    readout, else a one-line refusal.  Prints the estimator's variance against the QCRB and
    the CRB of that readout; when many estimates sit on the edge of the bracket (too few
    repeats) it prints no ratio and a warning (``qsn: warning: ...``, exit code 0).
``qsn sweep MODEL.toml --vary KEY=VALUES [--vary ...] [--backend B] [--scheduler ADDR]
[--checkpoint FILE] [--out CSV] [--plot FILE]``
    Every probe's bound over a grid of model variations (``sensor.left.n=2:40:2``,
    ``repeats=1,10``); exit code 1 when some points failed (they are reported).
``qsn labs [--student DIR] [--instructor DIR] [--source DIR]``
    Write the student version (blanks and checks, no solutions) and/or the instructor version
    of every teaching lab from its one source (``docs/labs``); without a folder, list the labs.

Bad input (a model file with a missing or misspelt key, an unreadable file, an unknown
command or option, an output place that cannot be written, checked before any work) prints one
line on stderr and exits with code 2; nothing is written.  A warning (a probe state that looks
cut off by a mode's Fock cutoff) is one line, ``qsn: warning: ...``.  When the reader of the
output goes away (``qsn demo | head``) the command stops quietly with code 141.

Every JSON document (``qsn run --json``, ``qsn simulate --json``, ``qsn optimize --json``)
carries ``provenance``: the
package and its version, the model file's name and the SHA-256 of its content, so that a saved
result can be traced to what produced it.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import QSNError

if TYPE_CHECKING:
    from .modelfile import Model

__all__ = ["main"]

#: ``qsn simulate --trials`` above this is refused: every trial is one simulated experiment
#: with its own estimate (milliseconds each), so 10^6 trials already take many minutes
MAX_TRIALS = 10 ** 6

# Everything that needs QuTiP (the model files, the physics, matplotlib) is imported inside the
# command that uses it: ``qsn --help``, ``qsn <command> --help`` and usage errors stay instant.


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as one line and exit code 2."""

    def error(self, message: str):
        raise QSNError(message)


def _model(path: str) -> Model:
    from .modelfile import load_model
    return load_model(path)


def _json(document: dict) -> str:
    """One strict JSON document (numpy values made plain, non-finite numbers null)."""
    from ._io import json_ready
    return json.dumps(json_ready(document), indent=2, allow_nan=False)


def _provenance(path: str) -> dict:
    """What produced a JSON result: the package and its version, the model file's name and
    the SHA-256 of its bytes (so that a saved result can be traced to the file, even renamed)."""
    import hashlib

    from . import __version__
    data = Path(path).read_bytes()
    return {"package": "qsn_qutip", "version": __version__, "model_file": Path(path).name,
            "model_sha256": hashlib.sha256(data).hexdigest()}


def _checked_output(path: str | None, formats=("png", "pdf", "svg"),
                    option: str = "output") -> Path | None:
    """Validate an output file name before any work is done: its format, and that a file can
    be written there (not a directory, an existing and writable directory)."""
    from ._io import writable_path
    if path is None:
        return None
    out = Path(path)
    if out.suffix.lstrip(".").lower() not in formats:
        raise QSNError(f"{option}: {path}: the file name must end in one of "
                       f"{', '.join('.' + f for f in formats)}")
    return writable_path(out, option)


def _checked_directory(path: str, option: str) -> Path:
    """Validate an output directory before any work is done: an existing writable directory,
    or a new one in an existing writable directory."""
    import os
    out = Path(path)
    if out.exists():
        if not out.is_dir():
            raise QSNError(f"{option}: {path} exists and is not a directory")
        if not os.access(out, os.W_OK | os.X_OK):
            raise QSNError(f"{option}: {path}: no permission to write in this directory")
        return out
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.is_dir():
        raise QSNError(f"{option}: {path}: the directory {parent} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise QSNError(f"{option}: {path}: no permission to create it in {parent}")
    return out


def _count(name: str, minimum: int, maximum: int | None = None):
    """An argparse type: an integer in [minimum, maximum], refused with one line otherwise."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be an integer, got {text!r}") \
                from None
        if value < minimum or (maximum is not None and value > maximum):
            limit = f">= {minimum}" if maximum is None else f"in [{minimum}, {maximum}]"
            raise argparse.ArgumentTypeError(f"{name} must be an integer {limit}, got {value}")
        return value
    return parse


def _compared(model: Model):
    try:
        return model.compare()
    except QSNError as err:
        raise QSNError(f"{model.source}: {err}") from None


def _run(args: argparse.Namespace) -> int:
    plot_path = _checked_output(args.plot, option="--plot")
    model = _model(args.model)
    result = _compared(model)
    if plot_path is not None:
        from .figures import comparison
        from .figures.output import save_figure
        fig, _ = comparison.plot(result if model.field is None else result.comparison,
                                 title=model.name)      # a [field]: its phase-space table
        save_figure(fig, plot_path)
    if args.json:
        print(_json({"model": model.name, "provenance": _provenance(args.model),
                     **result.to_dict()}))
    else:
        print(f"{model.name}" + (f": {model.description}" if model.description else ""))
        print(result)
        if plot_path is not None:
            print(f"picture: {plot_path}")
    return 0


def _progress(quiet: bool):
    """(callback, close) for the progress lines of :func:`~qsn_qutip.optimal_probe`: a tqdm
    bar on a terminal when tqdm is installed (the ``sweep`` extra), else one line per search
    on stderr; nothing with ``--quiet``."""
    import itertools
    if quiet:
        return None, lambda: None
    if sys.stderr.isatty():
        try:
            import tqdm
        except ImportError:
            pass
        else:
            bar = tqdm.tqdm(desc="qsn optimize", unit=" searches", file=sys.stderr)

            def tick(line: str) -> None:
                bar.set_postfix_str(line, refresh=False)
                bar.update(1)
            return tick, bar.close
    count = itertools.count(1)

    def say(line: str) -> None:
        print(f"qsn: optimize: search {next(count)}: {line}", file=sys.stderr, flush=True)
    return say, lambda: None


def _optimize(args: argparse.Namespace) -> int:
    state_path = (_checked_output(args.save_state, formats=("npz",), option="--save-state")
                  if args.save_state is not None else None)
    if args.checkpoint is not None:
        from ._io import writable_path
        writable_path(args.checkpoint, "--checkpoint", in_place=True)
    model = _model(args.model)
    if model.field is not None:
        raise QSNError(f"{model.source}: qsn optimize searches probe states in phases; a model "
                       f"with a [field] section (SI units) is not supported yet")
    from .optimize import optimal_probe
    seed = model.seed if args.seed is None else args.seed
    tick, close = _progress(args.quiet)
    resume = {} if args.checkpoint is None else {"checkpoint": args.checkpoint}
    try:
        best = optimal_probe(model.network, v=model.v,
                             weights=None if model.v is not None else model.weights,
                             noise=model.noise, resources=model.resources, seed=seed,
                             restarts=args.restarts, repeats=model.repeats, progress=tick,
                             **resume)
    except QSNError as err:
        raise QSNError(f"{model.source}: {err}") from None
    except KeyboardInterrupt:
        print("qsn: interrupted" + (f"; rerun with --checkpoint {args.checkpoint} to resume"
                                    if args.checkpoint else ""), file=sys.stderr)
        return 130
    finally:
        close()
    if state_path is not None:
        best.save(state_path)
    if args.json:
        print(_json({"model": model.name, "provenance": _provenance(args.model), "seed": seed,
                     **best.to_dict(),
                     "state_file": None if state_path is None else str(state_path)}))
    else:
        print(f"{model.name}" + (f": {model.description}" if model.description else ""))
        print(best)
        if state_path is not None:
            print(f"state: {state_path} (a model file reads it back as [[probes.state]] "
                  f"file = \"{state_path.name}\")")
    return 0


def _check(args: argparse.Namespace) -> int:
    model = _model(args.model)
    print(model.describe())
    print(f"{args.model}: OK")
    return 0


def _draw(args: argparse.Namespace) -> int:
    out = _checked_output(args.output or Path(args.model).stem + "_network.png",
                          option="-o")
    model = _model(args.model)
    from .figures import network as network_figure
    from .figures.output import save_figure
    fig, _ = network_figure.draw(model.network, layout=args.layout, style=args.style)
    save_figure(fig, out, style=args.style)
    print(f"network of {model.name}: {out}")
    return 0


def _demo(args: argparse.Namespace) -> int:
    import numpy as np

    from .network import Network
    from .report import compare
    from .sensors import QubitEnsemble
    n = args.n
    network = Network([QubitEnsemble(n, name="left"), QubitEnsemble(n, name="right")])
    v = np.array([-1.0, 1.0]) / np.sqrt(2)
    print(f"Magnetic gradient theta = (phi_2 - phi_1)/sqrt2, two sensors of {n} qubits "
          f"(N = {2 * n})")
    print(compare(network, v=v))
    return 0


def _figures(args: argparse.Namespace) -> int:
    from .figures import render_all
    _checked_directory(args.out, "--out")
    for path in render_all(args.out, only=args.only, fmt=args.format, style=args.style,
                           width=args.width):
        print(path)
    return 0


def _labs(args: argparse.Namespace) -> int:
    from .labs import describe_lab, lab_paths, read_lab, write_labs
    student = _checked_directory(args.student, "--student") if args.student else None
    instructor = _checked_directory(args.instructor, "--instructor") if args.instructor else None
    if student is None and instructor is None:
        for path in lab_paths(args.source):
            title, minutes, exercises = describe_lab(read_lab(path))
            time = f"about {minutes} minutes, " if minutes else ""
            print(f"{path.name}  {title} ({time}{exercises} exercises)")
        print("write them with: qsn labs --student DIR [--instructor DIR]")
        return 0
    for path in write_labs(args.source, student=student, instructor=instructor):
        print(path)
    return 0


def _simulated_probe(model: Model, name: str | None):
    """The probe ``qsn simulate`` runs: ``name`` (a probe of the model or a built-in state),
    or the model's first probe state (a reference strategy such as ``time-shared`` is not a
    state)."""
    from .probes import REFERENCES, STATE_PROBES, did_you_mean, probe_name
    from .report.optimal import OPTIMAL
    labels = [probe_name(p) for p in model.probes]
    if name is None:
        for label, probe in zip(labels, model.probes):
            if label not in REFERENCES and label != OPTIMAL:
                return probe
        raise QSNError(f"{model.source}: the model lists no probe state to simulate")
    if name == OPTIMAL:
        raise QSNError(f"{model.source}: {OPTIMAL!r} is found by a search: run qsn optimize "
                       f"MODEL --save-state FILE.npz, add it as [[probes.state]] file = "
                       f"\"FILE.npz\" and simulate that probe")
    if name in labels:
        return model.probes[labels.index(name)]
    if name in STATE_PROBES:
        return name
    raise QSNError(f"unknown probe {name!r}{did_you_mean(name, [*labels, *STATE_PROBES])}; "
                   f"this model's probes are {labels}, built-in probes {list(STATE_PROBES)}")


def _simulate(args: argparse.Namespace) -> int:
    from .experiment import simulate_task
    model = _model(args.model)
    probe = _simulated_probe(model, args.probe)
    repeats = model.repeats if args.repeats is None else args.repeats
    try:
        result = simulate_task(model.network, probe, v=model.v,
                               weights=None if model.v is not None else model.weights,
                               repeats=repeats, trials=args.trials, estimator=args.estimator,
                               seed=args.seed, noise=model.noise)
    except QSNError as err:
        raise QSNError(f"{model.source}: {err}") from None
    if args.json:
        print(_json({"model": model.name, "provenance": _provenance(args.model),
                     **result.to_dict()}))
    else:
        print(f"{model.name}" + (f": {model.description}" if model.description else ""))
        print(result)
    if not result.comparable:
        print(f"qsn: warning: {result.warning}", file=sys.stderr)
    return 0


def _print_sweep(result, model: Model) -> None:
    """The sweep table: a line naming the constraint ``best`` is ranked under, one row per
    point, then why probes are n/a or not ranked (the rows' ``notes``), point by point."""
    from .probes import RESOURCES
    stated = sorted({row.get("resources") or model.resources for row in result})
    print(f"best: the best probe under resources = {' / '.join(stated)}: "
          + "; ".join(RESOURCES[r] for r in stated) + "; ratio: best / best separable")
    columns = [c for c in result.columns if c not in ("error", "notes", "resources")]
    print("  ".join(f"{c:>14}" for c in columns))
    for row in result:
        cells = [row.get(c) for c in columns]
        print("  ".join(f"{c:>14.6g}" if isinstance(c, float) else
                        f"{'-' if c is None else c!s:>14}" for c in cells))
    for row in result:
        if row.get("notes"):
            point = ", ".join(f"{a}={row[a]}" for a in result.axes)
            print(f"at {point}: {row['notes']}")


def _sweep(args: argparse.Namespace) -> int:
    import functools
    import hashlib

    from ._io import writable_path
    from .modelfile import model_from_dict, read_toml
    from .probes import probe_name
    from .sweep import model_point, parse_vary, sweep, varied

    plot_path = _checked_output(args.plot)
    csv_path = _checked_output(args.out, formats=("csv",))
    for option, path in (("--plot", plot_path), ("--out", csv_path)):
        if path is not None:                   # every output place checked before any work
            writable_path(path, option)
    if args.checkpoint is not None:
        writable_path(args.checkpoint, "--checkpoint", in_place=True)
    model = _model(args.model)
    text = Path(args.model).read_text(encoding="utf-8")
    raw = read_toml(text, args.model)
    grid = dict(parse_vary(spec) for spec in args.vary)
    first = {key: values[0] for key, values in grid.items()}
    model_from_dict(varied(raw, first, args.model), args.model)  # a bad key fails here
    result = sweep(functools.partial(model_point, raw, args.model), grid,
                   backend=args.backend, scheduler=args.scheduler,
                   progress_bar=args.progress or False, checkpoint=args.checkpoint,
                   # the model's content decides the numbers: another model (or the same
                   # file edited) never resumes this checkpoint
                   fingerprint={"model": hashlib.sha256(text.encode()).hexdigest()},
                   workers=args.workers)
    probes = [probe_name(p) for p in model.probes]
    if csv_path is not None:
        result.to_csv(csv_path)
    if plot_path is not None:
        from .figures import sweep_plot
        from .figures.output import save_figure
        fig, _ = sweep_plot.plot(result, probes, title=model.name, repeats=model.repeats,
                                 quantity="Var(θ), θ = v·φ" if model.v is not None
                                 else "Tr(W Cov)")
        save_figure(fig, plot_path)
    _print_sweep(result, model)
    for row in result.failed:
        point = ", ".join(f"{a}={row[a]}" for a in result.axes)
        print(f"qsn: point {point} failed: {row['error']}", file=sys.stderr)
    if result.failed:
        print(f"qsn: {len(result.failed)} of {len(result)} points failed", file=sys.stderr)
        return 1
    return 0


def _figure_commands(commands) -> None:
    """The ``draw`` and ``figures`` commands (pictures: layouts, styles, widths)."""
    draw = commands.add_parser("draw", help="draw the sensor network of a model file")
    draw.add_argument("model", help="the model file (TOML)")
    draw.add_argument("-o", "--output", metavar="FILE",
                      help="picture file (.png/.pdf/.svg; default MODEL_network.png)")
    draw.add_argument("--layout", choices=("auto", "ring", "line"), default="auto",
                      help="nodes on a ring or in a row (default auto: a row for an array of "
                           "like sensors)")
    draw.add_argument("--style", choices=("gallery", "paper"), default="gallery",
                      help="gallery (default) or paper: a journal column wide, 8 pt")
    draw.set_defaults(run=_draw)

    figures = commands.add_parser("figures", help="render the paper-style figure gallery")
    figures.add_argument("--only", metavar="NAME", action="append",
                         help="render only this figure (repeatable; default all)")
    figures.add_argument("--out", metavar="DIR", default="figures",
                         help="output directory (default ./figures)")
    figures.add_argument("--format", choices=("png", "pdf", "svg"),
                         help="image format (default png, pdf for --style paper); a CSV file "
                              "is written beside it")
    figures.add_argument("--style", choices=("gallery", "paper"), default="gallery",
                         help="gallery (default: the README's) or paper: a journal column "
                              "wide (3.4 in, 7 in for several panels), 8 pt, panel labels, "
                              "no titles, colour-blind-safe colours, vector PDF")
    figures.add_argument("--width", choices=("single", "double"),
                         help="paper style: single (3.4 in) or double (7 in) column "
                              "(default by the number of panels)")
    figures.set_defaults(run=_figures)


def _optimize_command(commands) -> None:
    optimize = commands.add_parser(
        "optimize", help="search the best probe of a model file and the limit no probe beats",
        description="Search the probe states of the model's network for the best bound on its "
                    "task, under its [noise] (without a time: per unit time, the time "
                    "optimised too) and resources; print the best probe found next to the "
                    "limit no probe beats, the best sensor-separable probe and the product "
                    "state.")
    optimize.add_argument("model", help="the model file (TOML)")
    optimize.add_argument("--json", action="store_true", help="print one JSON document")
    optimize.add_argument("--seed", type=_count("--seed", 0), metavar="N",
                          help="seeds the random starts, an integer >= 0 (default: the "
                               "model's [probes] seed, else unseeded)")
    optimize.add_argument("--restarts", type=_count("--restarts", 0), default=2, metavar="N",
                          help="random starts per search besides the menu probes (default 2)")
    optimize.add_argument("--save-state", metavar="FILE.npz",
                          help="write the state found (reusable as [[probes.state]] file = "
                               "...)")
    optimize.add_argument("--checkpoint", metavar="FILE",
                          help="record every finished search here; rerunning resumes")
    optimize.add_argument("--quiet", action="store_true", help="no progress on stderr")
    optimize.set_defaults(run=_optimize)


def _build_parser() -> _Parser:
    parser = _Parser(prog="qsn", description="Networks of quantum sensors on QuTiP.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    run = commands.add_parser("run", help="compare the probes of a model file")
    run.add_argument("model", help="the model file (TOML)")
    run.add_argument("--json", action="store_true", help="print one JSON document")
    run.add_argument("--plot", metavar="FILE", help="also draw the comparison (.png/.pdf/.svg)")
    run.set_defaults(run=_run)

    check = commands.add_parser("check", help="validate and explain a model file")
    check.add_argument("model", help="the model file (TOML)")
    check.set_defaults(run=_check)

    _optimize_command(commands)


    demo = commands.add_parser("demo", help="the gradient-magnetometry comparison table")
    demo.add_argument("--n", type=int, default=4, help="qubits per sensor (default 4)")
    demo.set_defaults(run=_demo)

    _figure_commands(commands)

    simulate = commands.add_parser(
        "simulate", help="simulate experiments with a probe of a model file (under its "
                         "[noise]) and a readout that estimates the task",
        description="Simulate T trials of MU repeats with one probe of the model, under the "
                    "model's [noise] when it has one (the noisy state is sampled), read out "
                    "by the probe's registered readout (GHZ parity for ghz, local readout "
                    "otherwise; the parity for a model's own GHZ-like state), or the local "
                    "SLD readout when that cannot estimate the task; print the variance "
                    "against the QCRB and the CRB of the readout.  Runs with many estimates "
                    "on the edge of the bracket print a warning and no ratio.")
    simulate.add_argument("model", help="the model file (TOML)")
    simulate.add_argument("--repeats", type=int, metavar="MU",
                          help="repeats (shots) per trial (default: the model's repeats)")
    simulate.add_argument("--trials", type=_count("--trials", 2, MAX_TRIALS), default=200,
                          metavar="T", help=f"simulated trials, 2 to {MAX_TRIALS} (default 200)")
    simulate.add_argument("--probe", metavar="NAME",
                          help="the probe (default: the model's first probe state)")
    simulate.add_argument("--estimator", choices=("mle", "bayes"), default="mle",
                          help="maximum likelihood (default) or Bayesian posterior mean")
    simulate.add_argument("--seed", type=_count("--seed", 0), default=0,
                          help="random seed, an integer >= 0 (default 0)")
    simulate.add_argument("--json", action="store_true", help="print one JSON document")
    simulate.set_defaults(run=_simulate)

    sweep = commands.add_parser("sweep", help="bounds over a grid of model variations")
    sweep.add_argument("model", help="the model file (TOML)")
    sweep.add_argument("--vary", action="append", required=True, metavar="KEY=VALUES",
                       help="e.g. sensor.left.n=2:40:2 (stop included) or repeats=1,10,100; "
                            "repeat for a grid")
    sweep.add_argument("--backend", choices=("processes", "threads", "serial", "dask"),
                       default="processes", help="where the points run (default processes)")
    sweep.add_argument("--scheduler", metavar="ADDR",
                       help="dask.distributed scheduler, e.g. tcp://host:8786 (--backend dask)")
    sweep.add_argument("--workers", type=int, help="local pool size (default: all cores)")
    sweep.add_argument("--checkpoint", metavar="FILE",
                       help="record finished points here; rerunning resumes")
    sweep.add_argument("--out", metavar="CSV", help="write the table as CSV")
    sweep.add_argument("--plot", metavar="FILE", help="draw the bounds (.png/.pdf/.svg)")
    sweep.add_argument("--progress", choices=("text", "tqdm", ""), default="text",
                       help="progress bar on stderr (default text; '' for none)")
    sweep.set_defaults(run=_sweep)

    labs = commands.add_parser("labs", help="write the student and instructor versions of the "
                                            "teaching labs, or list them")
    labs.add_argument("--student", metavar="DIR",
                      help="write the student notebooks here (exercises with blanks and "
                           "checks, no solutions)")
    labs.add_argument("--instructor", metavar="DIR",
                      help="write the instructor notebooks here (with the solutions)")
    labs.add_argument("--source", metavar="DIR",
                      help="the source labs (default: docs/labs of the repository)")
    labs.set_defaults(run=_labs)
    return parser


def _closed_pipe() -> int:
    """The reader of stdout went away (``qsn demo | head``): stop quietly, as ``cat`` does.

    Python would report the failed flush of stdout at exit once more; stdout is pointed at
    ``/dev/null`` so that nothing is printed.  The exit code is 141 (128 + SIGPIPE), what a
    shell reports for a command stopped by a closed pipe.
    """
    import os
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):   # no file descriptor (stdout redirected)
        pass
    return 141


def _warning_line(message, category, filename, lineno, file=None, line=None) -> None:
    """Show a warning as one line, ``qsn: warning: ...`` (no source line of the package)."""
    print(f"qsn: warning: {message}", file=sys.stderr if file is None else file)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``qsn`` console script; returns the exit code."""
    import warnings
    try:
        args = _build_parser().parse_args(argv)
        with warnings.catch_warnings():
            warnings.showwarning = _warning_line
            return args.run(args)
    except QSNError as err:
        print(f"qsn: error: {err}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return _closed_pipe()
    except MemoryError:
        print("qsn: error: out of memory; the model is too large for this machine (the "
              "toolkit refuses single objects above tolerances.max_bytes, but the work as a "
              "whole did not fit)", file=sys.stderr)
        return 2
