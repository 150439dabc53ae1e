"""The ``qsn`` command line (thin: argument parsing, printing and writing files only).

``qsn run MODEL.toml [--json] [--plot FILE]``
    Compare the model's probes: a table and the verdict, or one JSON document.
``qsn check MODEL.toml``
    Validate the model file and explain it, computing nothing.
``qsn draw MODEL.toml [-o FILE]``
    Draw the model's sensor network.
``qsn demo [--n N]``
    The paper's magnetic-gradient example on two qubit ensembles.
``qsn figures [--only NAME] [--out DIR] [--format png|pdf|svg]``
    Render the paper-style figure gallery (an image and a CSV file per figure).

Bad input (a model file with a missing or misspelt key, an unreadable file, an unknown
command or option) prints one line on stderr and exits with code 2; nothing is written.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ._checks import QSNError
from .modelfile import Model, load_model
from .network import Network
from .report import compare
from .sensors import QubitEnsemble

__all__ = ["main"]


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as one line and exit code 2."""

    def error(self, message: str):
        raise QSNError(message)


def _model(path: str) -> Model:
    return load_model(path)


def _checked_output(path: str | None, formats=("png", "pdf", "svg")) -> Path | None:
    """Validate an output file name before any work is done."""
    if path is None:
        return None
    out = Path(path)
    if out.suffix.lstrip(".").lower() not in formats:
        raise QSNError(f"{path}: the picture must end in one of "
                       f"{', '.join('.' + f for f in formats)}")
    if out.parent != Path("") and not out.parent.is_dir():
        raise QSNError(f"{path}: the directory {out.parent} does not exist")
    return out


def _compared(model: Model):
    try:
        return model.compare()
    except QSNError as err:
        raise QSNError(f"{model.source}: {err}") from None


def _run(args: argparse.Namespace) -> int:
    plot_path = _checked_output(args.plot)
    model = _model(args.model)
    result = _compared(model)
    if plot_path is not None:
        from .figures import comparison
        from .figures._common import save_figure
        fig, _ = comparison.plot(result, title=model.name)
        save_figure(fig, plot_path)
    if args.json:
        document = {"model": model.name, **result.to_dict()}
        print(json.dumps(document, indent=2, allow_nan=False))
    else:
        print(f"{model.name}" + (f": {model.description}" if model.description else ""))
        print(result)
        if plot_path is not None:
            print(f"picture: {plot_path}")
    return 0


def _check(args: argparse.Namespace) -> int:
    model = _model(args.model)
    print(model.describe())
    print(f"{args.model}: OK")
    return 0


def _draw(args: argparse.Namespace) -> int:
    out = _checked_output(args.output) or Path(Path(args.model).stem + "_network.png")
    model = _model(args.model)
    from .figures import network as network_figure
    from .figures._common import save_figure
    fig, _ = network_figure.draw(model.network)
    save_figure(fig, out)
    print(f"network of {model.name}: {out}")
    return 0


def _demo(args: argparse.Namespace) -> int:
    n = args.n
    network = Network([QubitEnsemble(n, name="left"), QubitEnsemble(n, name="right")])
    v = np.array([-1.0, 1.0]) / np.sqrt(2)
    print(f"Magnetic gradient theta = (phi_2 - phi_1)/sqrt2, two sensors of {n} qubits "
          f"(N = {2 * n})")
    print(compare(network, v=v))
    return 0


def _figures(args: argparse.Namespace) -> int:
    from .figures import render_all
    for path in render_all(args.out, only=args.only, fmt=args.format):
        print(path)
    return 0


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

    draw = commands.add_parser("draw", help="draw the sensor network of a model file")
    draw.add_argument("model", help="the model file (TOML)")
    draw.add_argument("-o", "--output", metavar="FILE",
                      help="picture file (.png/.pdf/.svg; default MODEL_network.png)")
    draw.set_defaults(run=_draw)

    demo = commands.add_parser("demo", help="the gradient-magnetometry comparison table")
    demo.add_argument("--n", type=int, default=4, help="qubits per sensor (default 4)")
    demo.set_defaults(run=_demo)

    figures = commands.add_parser("figures", help="render the paper-style figure gallery")
    figures.add_argument("--only", metavar="NAME", action="append",
                         help="render only this figure (repeatable; default all)")
    figures.add_argument("--out", metavar="DIR", default="figures",
                         help="output directory (default ./figures)")
    figures.add_argument("--format", choices=("png", "pdf", "svg"), default="png",
                         help="image format (default png); a CSV file is written beside it")
    figures.set_defaults(run=_figures)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``qsn`` console script; returns the exit code."""
    try:
        args = _build_parser().parse_args(argv)
        return args.run(args)
    except QSNError as err:
        print(f"qsn: error: {err}", file=sys.stderr)
        return 2
