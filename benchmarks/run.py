r"""Benchmark suite of qsn_qutip: times, peak memory and ratios to baselines measured in one run.

Usage::

    python benchmarks/run.py                 # everything (about 15 minutes, a few GB)
    python benchmarks/run.py --quick         # about 3 minutes: no D = 4096, no 10^8 amplitudes
    python benchmarks/run.py --json          # the tables go to stderr, one JSON document to stdout
    python benchmarks/run.py --out run.json  # also write the JSON document (atomically)
    python benchmarks/run.py --compare old.json   # this run's ratios against an earlier run's
    python benchmarks/run.py --smoke         # tiny sizes, a few seconds (tests/test_benchmarks.py)
    python benchmarks/run.py --quick --sections generators,pure   # a subset of the sections

Method.  BLAS is pinned to one thread (threadpoolctl) for the whole run.  A subject and its
baseline are called in alternation (baseline, subject, baseline, subject, ...) and each keeps
its best of ``--repeats`` (3) calls, so a neighbour's load on a shared machine moves both;
every ratio is subject / baseline from the same run.  Peak memory is the tracemalloc peak of
one call (NumPy arrays, not LAPACK's workspace), from one extra call, or from the last timed
call when a call takes more than 2 s (tracemalloc costs under 1 % on these calls); the
process's maximum resident set size is printed at the end.  Allocation-heavy baselines
(``abs(psi) ** 2`` at 10^8 amplitudes allocates 1.5 GiB per call) are the most sensitive to
other jobs: compare two runs before reading much into one ratio.

1. Mixed-state QFIM, ``qfim(rho, network.local_generators)``: a full-rank ``qutip.rand_dm(D)``,
   D = 64 ... 4096 (2048 with --quick; 2 calls each at 4096), 2 parameters (two qubit
   sensors, full basis, J_z) and 8 parameters (eight qubit sensors from D = 256; below, three
   spin-3/2 or spin-7/2 sensors measuring field vectors, axes xyz + xyz + xy, non-commuting
   generators).  Baseline: the fastest of ``numpy.linalg.eigh`` and ``scipy.linalg.eigh``
   (drivers evr, the default, and evd) on the same matrix; a routine more than 1.5x slower
   than the fastest from D = 1024 on is not run at larger D.  Targets: D = 4096 within 60 s
   (issue); ratio <= 2 from D = 256 (bench_qfim.py).  ``err``: deviation from the plain
   all-pairs SLD sum (up to D = 1024), relative to the largest entry.
2. The peer QuanEstimation (optional): its pure-Python ``QFIM(rho, drho)`` with
   ``drho_k = -i[H_k, rho]`` on the same matrices, in a subprocess (a stand-in ``juliacall``
   module: the package loads Julia at import time, which ``QFIM`` does not need), each call
   killed after 60 s; D = 64, 128, 256 with 2 and 8 parameters, and D = 512 with 2 (not with
   --quick).  Target: qfim at least 100x faster at D = 256; its QFIM must agree with ours.
   A peer that needs more than 8 s per call is not repeated.
3. Pure states, ``qfim(psi, network.local_generators)``: two, four or eight
   ``QubitEnsemble(n)`` sensors (Dicke basis), GHZ-like (two non-zero amplitudes, every page
   of the ket written) and product (random local kets) probes, 10^6 ... 10^8 amplitudes
   (10^7 with --quick).  Baseline: one read of the ket, ``vdot(psi, psi)`` (also shown:
   ``abs(psi) ** 2``, which writes a new array as well).  Targets (issue 13, from 10^6
   amplitudes): ratio <= 2 at any number of sensors and peak memory <= the ket's.
4. Noise, the Dicke-block QFI of ``local_dephasing`` (from bench_noise.py): N against time and
   memory, and the ratio of the full 2^N computation to the Dicke blocks where it still runs.
   Targets (bench_noise.py): GHZ N >= 600 and spin-coherent N >= 300 within 60 s.
5. Low rank: a rank-r state ``W W^+ / tr`` of dimension D = 2048 (two sensors), r = 2 and 8:
   ``qfim`` (its support from a certified randomized sketch, O(D^2 r)), a partial eigendecomposition (``subset_by_value``, exact), and ``qfim`` with its
   certified randomized support search switched off (:func:`eigh_path_qfim`, the full
   eigendecomposition).  Gains: full-rank qfim / rank-r qfim, and eigh path / qfim.  Target:
   the rank-r call costs less than a quarter of one eigendecomposition of the same matrix.

6. Generators by structure and storage: ``qfim(rand_dm(D), generators)``, D = 256, 1024
   (and 2048 without --quick), eight diagonal J_z (qubit sensors) as LocalOperator, as the
   CSR Qobj on the whole space that ``qutip.tensor`` builds, and as a dense
   ``qutip.Qobj(np.diag(h), dims=...)``; two non-diagonal J_x (two spins) and eight
   non-commuting J_x, J_y, J_z (three spins) as LocalOperator and as dense Qobj.  Baseline:
   the fastest eigh, as in section 1.  Target (issue 13): ratio <= 2, the diagonal
   LocalOperator case's.
7. Optimiser (bench_optimize.py): two sensors of n qubits under local dephasing, n = 4 ... 20
   (12 with --quick, 4 with --smoke): one evaluation of the bound and its gradient, and the
   see-saw descent from the menu probes, against one eigh of the largest output block.
   Target (issue 11): two sensors of 20 qubits optimised within 60 s on one core.

The low-rank search is switched off, where a section needs it, through its public switch
``tolerances.sketch_min_size``.

JSON (``--json``, ``--out``): ``machine`` (CPU, cores, memory, load, BLAS, versions, git
commit), ``settings``, ``sections`` (every row), ``ratios`` (a flat name -> value map: compare
two runs with ``--compare``) and ``targets`` (value, target, met).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime
import gc
import importlib.metadata
import importlib.util
import itertools
import json
import math
import os
import platform
import selectors
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import qutip
import scipy
import scipy.linalg
from threadpoolctl import threadpool_info, threadpool_limits

from qsn_qutip import MultiLevelAtom, Network, QubitEnsemble, qfim, states
from qsn_qutip._io import atomic_path
from qsn_qutip._peers import import_quanestimation
from qsn_qutip.options import tolerances

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:          # bench_noise.py, also when run.py is imported
    sys.path.insert(0, str(HERE))

from bench_qfim import jz_variance, random_local_ket  # noqa: E402  (the same test kets)

SCHEMA = "qsn_qutip.benchmarks/1"
MIB = 2.0 ** 20
TIME_LIMIT = 60.0           # seconds: "the largest D done within 60 s", the peer's time limit
MIXED_TARGET = 2.0          # qfim / eigh (bench_qfim.py)
PURE_TARGET = 2.0           # qfim / one read of psi, any number of sensors (issue 13)
PEER_TARGET = 100.0         # peer / qfim at D = 256 (issue)
LOW_RANK_TARGET = 0.25      # rank-r qfim / one eigh of the same matrix
MIXED_TARGET_FROM = 256     # the ratio targets hold from these sizes on (bench_qfim.py's
PURE_TARGET_FROM = 10 ** 6  # smallest; below, fixed costs dominate)
LOW_RANK_TARGET_FROM = 2048
TRACE_IN_LAST_ABOVE = 2.0   # seconds: slower calls are traced in their last timed call
PEER_REPEAT_BELOW = 8.0     # seconds: a slower peer call is not repeated
PEER_IMPORT_LIMIT = 120.0   # seconds for the peer's import


# ----------------------------------------------------------------------------------------
# configuration
# ----------------------------------------------------------------------------------------
@dataclasses.dataclass
class Config:
    mode: str
    repeats: int
    mixed_dims: list[int]
    big_repeats: int             # repeats from D = 4096 on
    reference_max: int           # largest D with the all-pairs reference (err column)
    peer_dims: list[int]         # both parameter counts
    peer_slow_dims: list[int]    # two parameters only, expected to hit the time limit
    pure_cases: list[tuple[int, int]]        # (sensors, n qubits per sensor)
    generator_dims: list[int]                # section "generators"
    dicke_sizes: dict[str, list[int]]
    full_sizes: list[int]
    full_kinds: tuple[str, ...]
    low_rank_dim: int
    ranks: list[int]


def make_config(mode: str, repeats: int) -> Config:
    import bench_noise
    if mode == "smoke":
        return Config(mode, repeats, [16, 32], 1, 64, [16], [], [(2, 99), (4, 3), (8, 2)],
                      [64], {"ghz": [20], "css": [10]}, [4, 6], ("ghz", "css"), 512, [2, 8])
    quick = mode == "quick"
    noise = bench_noise.probe_sizes(quick)
    return Config(
        mode, repeats,
        mixed_dims=[64, 128, 256, 512, 1024, 2048] + ([] if quick else [4096]),
        big_repeats=min(repeats, 2), reference_max=1024,
        peer_dims=[64, 128, 256], peer_slow_dims=[] if quick else [512],
        pure_cases=[(2, 999), (2, 3161), (4, 31), (4, 55), (8, 5), (8, 7)]
        + ([] if quick else [(2, 9999), (4, 99), (8, 9)]),
        generator_dims=[256, 1024] + ([] if quick else [2048]),
        dicke_sizes={k: noise[k] for k in bench_noise.DICKE_KINDS},
        full_sizes=[4, 6, 8, 10] if quick else list(range(4, 13)),
        full_kinds=("ghz", "css", "twisted"), low_rank_dim=2048, ranks=[2, 8])


# ----------------------------------------------------------------------------------------
# output and measurement
# ----------------------------------------------------------------------------------------
OUT = sys.stdout


def say(text: str = "") -> None:
    print(text, file=OUT, flush=True)


def table(columns: Sequence[tuple[str, int]]) -> Callable[..., None]:
    """Print a header; return a function printing one row (right-aligned, width per column;
    a negative width left-aligns)."""
    def cell(value, width):
        return f"{value:<{-width}}" if width < 0 else f"{value:>{width}}"
    header = " ".join(cell(name, width) for name, width in columns)
    say(header)
    say("-" * len(header))
    return lambda *values: say(" ".join(cell(v, w) for v, (_, w) in zip(values, columns)))


def fmt(x: float | None, spec: str) -> str:
    return "-" if x is None or not np.isfinite(x) else format(x, spec)


def traced(func: Callable) -> tuple[float, float]:
    """(seconds, tracemalloc peak in bytes above the start) of one call."""
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    start = time.perf_counter()
    func()
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    return seconds, peak


def race(funcs: dict[str, Callable], repeats: int, peaks: Sequence[str] = (),
         first: dict[str, float] | None = None) -> tuple[dict[str, float], dict[str, float]]:
    """Best wall-clock time of every function, calling them in turn ``repeats`` times.

    ``first``: times of a round already done (counted in the best).  The functions named in
    ``peaks`` also get their tracemalloc peak: from the last round when their first call took
    more than :data:`TRACE_IN_LAST_ABOVE`, else from one extra call.
    """
    best = {name: math.inf for name in funcs}
    for name, seconds in (first or {}).items():
        best[name] = seconds
    peak: dict[str, float] = {}
    for round_ in range(repeats):
        for name, func in funcs.items():
            if round_ == repeats - 1 and name in peaks and best[name] > TRACE_IN_LAST_ABOVE:
                seconds, peak[name] = traced(func)
            else:
                gc.collect()
                start = time.perf_counter()
                func()
                seconds = time.perf_counter() - start
            best[name] = min(best[name], seconds)
    for name in peaks:
        if name not in peak:
            peak[name] = traced(funcs[name])[1]
    return best, peak


class Results:
    """Rows, flat ratios and targets of the run: the JSON document."""

    def __init__(self):
        self.sections: dict[str, dict] = {}
        self.ratios: dict[str, float] = {}
        self.targets: list[dict] = []

    def ratio(self, name: str, value: float) -> None:
        self.ratios[name] = float(value)

    def target(self, name: str, source: str, value, target: str, met: bool | None,
               note: str = "") -> None:
        self.targets.append(dict(name=name, source=source, value=value, target=target,
                                 met=met, note=note))


# ----------------------------------------------------------------------------------------
# machine facts
# ----------------------------------------------------------------------------------------
def _version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def _cpu() -> dict:
    info = {"model": platform.processor() or None, "logical_cpus": os.cpu_count(),
            "usable_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
            else os.cpu_count(), "physical_cores": None}
    try:
        text = Path("/proc/cpuinfo").read_text()
        names = [line.split(":", 1)[1].strip() for line in text.splitlines()
                 if line.startswith("model name")]
        cores = {(p, c) for p, c in zip(
            [line.split(":")[1].strip() for line in text.splitlines()
             if line.startswith("physical id")],
            [line.split(":")[1].strip() for line in text.splitlines()
             if line.startswith("core id")])}
        info["model"] = names[0] if names else info["model"]
        info["physical_cores"] = len(cores) or None
    except OSError:
        pass
    return info


def _memory_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 2 ** 20, 1)
    except OSError:
        pass
    return None


def _git() -> dict:
    def git(*args):
        return subprocess.run(["git", *args], cwd=HERE, capture_output=True, text=True,
                              timeout=10).stdout
    try:
        return {"commit": git("rev-parse", "HEAD").strip() or None,
                "dirty": sorted(line[3:] for line in git("status", "--porcelain",
                                                         "--untracked-files=no").splitlines())}
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}


def max_rss_mib() -> float | None:
    """The process's maximum resident set size so far (Linux reports KiB, macOS bytes)."""
    try:
        import resource
    except ImportError:
        return None
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (MIB if sys.platform == "darwin" else 1024)


def machine_facts() -> dict:
    scipy.linalg.eigh(np.eye(2))              # load every BLAS before listing them
    blas = [{key: lib.get(key) for key in ("user_api", "internal_api", "version",
                                           "architecture", "threading_layer", "num_threads",
                                           "filepath")} for lib in threadpool_info()]
    return {
        "cpu": _cpu(), "memory_gib": _memory_gib(),
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "platform": platform.platform(), "machine": platform.machine(),
        "python": platform.python_version(),
        "versions": {name: _version(name) for name in (
            "qsn_qutip", "numpy", "scipy", "qutip", "threadpoolctl", "quanestimation")},
        "blas": blas, "git": _git(),
    }


def print_machine(facts: dict) -> None:
    cpu = facts["cpu"]
    say(f"CPU {cpu['model']}: {cpu['physical_cores']} cores, {cpu['logical_cpus']} logical, "
        f"{cpu['usable_cpus']} usable; {facts['memory_gib']} GiB; load average "
        f"{', '.join(f'{x:.2f}' for x in facts['load_average'] or [])}")
    say(f"Python {facts['python']}, " + ", ".join(
        f"{k} {v}" for k, v in facts["versions"].items() if v) + f", {facts['machine']}")
    for lib in facts["blas"]:
        say(f"{lib['user_api']}: {lib['internal_api']} {lib['version']} "
            f"({lib['architecture']}, {lib['threading_layer']}), threads "
            f"{lib['num_threads']}: {lib['filepath']}")
    git = facts["git"]
    if git["commit"]:
        say(f"git {git['commit'][:12]}" + (f", modified: {', '.join(git['dirty'])}"
                                           if git["dirty"] else ""))


# ----------------------------------------------------------------------------------------
# 1. mixed states
# ----------------------------------------------------------------------------------------
#: qubits per sensor (full basis) of the two-parameter layout
TWO_SENSORS = {16: [2, 2], 32: [2, 3], 64: [3, 3], 128: [3, 4], 256: [4, 4], 512: [4, 5],
               1024: [5, 5], 2048: [5, 6], 4096: [6, 6]}
#: eight parameters: qubit sensors (full basis) from D = 256, (spin, axes) sensors below
EIGHT_SENSORS = {16: [(1.5, "xyz"), (0.5, "xyz"), (0.5, "xy")],
                 32: [(1.5, "xyz"), (1.5, "xyz"), (0.5, "xy")],
                 64: [(1.5, "xyz"), (1.5, "xyz"), (1.5, "xy")],
                 128: [(1.5, "xyz"), (1.5, "xyz"), (3.5, "xy")],
                 256: [1] * 8, 512: [1] * 7 + [2], 1024: [1] * 6 + [2] * 2,
                 2048: [1] * 5 + [2] * 3, 4096: [1] * 4 + [2] * 4}

EIGH_ROUTINES: dict[str, Callable] = {
    "scipy evr": lambda a: scipy.linalg.eigh(a, driver="evr", check_finite=False),
    "scipy evd": lambda a: scipy.linalg.eigh(a, driver="evd", check_finite=False),
    "numpy eigh": lambda a: np.linalg.eigh(a),
}


def at(net: Network) -> np.ndarray | None:
    """Where the QFIM is evaluated: phi = 0 for generators that do not commute (their QFIM
    depends on phi, which must then be given), None otherwise."""
    return None if net.commuting else np.zeros(net.n_params)


def mixed_network(D: int, params: int) -> tuple[Network, str]:
    """The network of a layout and a short label of it."""
    layout = TWO_SENSORS[D] if params == 2 else EIGHT_SENSORS[D]
    if isinstance(layout[0], tuple):
        sensors = [MultiLevelAtom(spin=j, axes=axes) for j, axes in layout]
        label = "spins " + "+".join(axes for _, axes in layout)
    else:
        sensors = [QubitEnsemble(n, basis="full") for n in layout]
        label = "qubits " + ("+".join(map(str, layout)) if len(layout) <= 2 else "+".join(
            f"{n}x{len(list(run))}" for n, run in itertools.groupby(layout)))
    net = Network(sensors)
    assert net.size == D and net.n_params == params, (D, params)
    return net, label


def reference_qfim(rho: np.ndarray, ops: Sequence[qutip.Qobj]) -> np.ndarray:
    """The plain SLD formula over all pairs of eigenvectors (independent of qsn_qutip)."""
    lam, vecs = np.linalg.eigh(rho)
    lam = np.where(lam > tolerances.eig_cutoff * lam[-1], lam, 0.0)
    mats = [vecs.conj().T @ (op.data_as("csr_matrix") @ vecs) for op in ops]
    li, lj = lam[:, None], lam[None, :]
    total = li + lj
    weights = np.where(total > 0, (li - lj) ** 2 / np.where(total > 0, total, 1.0), 0.0)
    return np.array([[2 * np.sum(weights * (a * b.T).real) for b in mats] for a in mats])


def relative_error(F: np.ndarray, exact: np.ndarray) -> float:
    return float(np.abs(F - exact).max() / np.abs(exact).max())


def mixed_section(cfg: Config, res: Results) -> dict:
    say(f"\n1. Mixed states: qfim(rand_dm(D), local_generators) against the fastest eigh of "
        f"the same matrix (best of {cfg.repeats}; target ratio <= {MIXED_TARGET:g})")
    row = table([("D", 5), ("d", 2), ("layout", -18), ("qfim s", 9), ("eigh s", 9),
                 ("eigh", -10), ("ratio", 6), ("peak MiB", 9), ("rho MiB", 8), ("err", 8),
                 ("", -4)])
    rows, alive, notes = [], list(EIGH_ROUTINES), []
    last_qfim = 0.0
    for D in cfg.mixed_dims:
        repeats = cfg.repeats if D < 4096 else cfg.big_repeats
        if 8 * last_qfim > 3 * TIME_LIMIT:
            notes.append(f"D = {D} not run: about {8 * last_qfim:.0f} s expected (8x D/2)")
            continue
        start = time.perf_counter()
        rho_array = qutip.rand_dm(D, seed=D).full()
        built = time.perf_counter() - start
        cases = []
        for params in (2, 8):
            net, label = mixed_network(D, params)
            cases.append((params, label, net, qutip.Qobj(rho_array, dims=net.dims)))
        subjects = {f"qfim {p}": (lambda s=state, n=net: qfim(s, n.local_generators, at(n)))
                    for p, _, net, state in cases}
        routines = {name: (lambda f=EIGH_ROUTINES[name], a=rho_array: f(a))
                    for name in alive}
        first, _ = race({**routines, **subjects}, 1)
        fastest = min(alive, key=first.get)
        if D >= 1024:
            alive = [n for n in alive if first[n] <= 1.5 * first[fastest]]
        best, peaks = race({fastest: routines[fastest], **subjects}, repeats - 1,
                           peaks=list(subjects),
                           first={k: first[k] for k in [fastest, *subjects]})
        for params, label, net, state in cases:
            t_qfim = best[f"qfim {params}"]
            err = None
            if D <= cfg.reference_max:
                err = relative_error(qfim(state, net.local_generators, at(net)),
                                     reference_qfim(rho_array, net.generators))
            r = dict(D=D, params=params, layout=label, qfim_s=t_qfim, eigh_s=best[fastest],
                     eigh=fastest, eigh_first_calls={k: first[k] for k in routines},
                     ratio=t_qfim / best[fastest], peak_mib=peaks[f"qfim {params}"] / MIB,
                     rho_mib=rho_array.nbytes / MIB, err=err, repeats=repeats,
                     within_limit=t_qfim <= TIME_LIMIT, build_s=built)
            rows.append(r)
            res.ratio(f"mixed/D{D}/d{params}/qfim_over_eigh", r["ratio"])
            verdict = ""
            if D >= MIXED_TARGET_FROM:
                res.target(f"mixed D={D} d={params}: qfim / eigh", "bench_qfim", r["ratio"],
                           f"<= {MIXED_TARGET:g}", r["ratio"] <= MIXED_TARGET)
                verdict = "PASS" if r["ratio"] <= MIXED_TARGET else "MISS"
            row(D, params, label, f"{t_qfim:.4f}", f"{best[fastest]:.4f}", fastest,
                f"{r['ratio']:.2f}", f"{r['peak_mib']:.1f}", f"{r['rho_mib']:.1f}",
                fmt(err, ".1e"), verdict)
            last_qfim = max(last_qfim, t_qfim)
        del cases, subjects, routines, rho_array
        gc.collect()
    largest = {}
    for params in (2, 8):
        done = [r["D"] for r in rows if r["params"] == params and r["within_limit"]]
        largest[params] = max(done) if done else None
        say(f"largest D within {TIME_LIMIT:g} s, {params} parameters: {largest[params]}"
            + ("" if max(cfg.mixed_dims) >= 4096 else
               f" (largest measured: {max(cfg.mixed_dims)}; D = 4096 runs without --quick)"))
        met = None if 4096 not in cfg.mixed_dims else largest[params] == 4096
        res.target(f"mixed d={params}: largest D within {TIME_LIMIT:g} s", "issue",
                   largest[params], "4096", met,
                   "" if met is not None else "D = 4096 not run in this mode")
    for note in notes:
        say(note)
    return {"rows": rows, "largest_D_within_limit": {str(k): v for k, v in largest.items()},
            "notes": notes}


# ----------------------------------------------------------------------------------------
# 2. the peer QuanEstimation, in a subprocess
# ----------------------------------------------------------------------------------------
def peer_worker(path: str, repeats: int) -> None:
    """Child process: time ``quanestimation.QFIM`` on the inputs in ``path``, one JSON line
    per event (ready, then one per call)."""
    def emit(**message):
        sys.stdout.write(json.dumps(message) + "\n")
        sys.stdout.flush()

    with threadpool_limits(1):
        start = time.perf_counter()
        quanestimation = import_quanestimation()
        if quanestimation is None:
            raise ImportError("quanestimation is not importable")
        emit(ready=time.perf_counter() - start, version=_version("quanestimation"))
        with np.load(path) as data:
            rho = data["rho"]
            drho = [data[f"drho{k}"] for k in range(int(data["params"]))]
        for _ in range(repeats):
            gc.collect()
            start = time.perf_counter()
            F = quanestimation.QFIM(rho, list(drho))
            seconds = time.perf_counter() - start
            emit(seconds=seconds, F=np.atleast_2d(np.real(F)).tolist())
            if seconds > PEER_REPEAT_BELOW:
                break


def run_peer(path: str, repeats: int, limit: float) -> dict:
    """Run :func:`peer_worker` and kill it when a call takes longer than ``limit``."""
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    with tempfile.TemporaryFile() as errors:
        proc = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--peer-worker",
                                 path, "--repeats", str(repeats)],
                                stdout=subprocess.PIPE, stderr=errors, env=env, bufsize=0)
        selector = selectors.DefaultSelector()
        selector.register(proc.stdout, selectors.EVENT_READ)
        messages, buffer, status = [], b"", "ok"
        deadline = time.monotonic() + PEER_IMPORT_LIMIT
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                status = "timeout"
                proc.kill()
                break
            if not selector.select(remaining):
                continue
            chunk = os.read(proc.stdout.fileno(), 1 << 16)
            if not chunk:
                break
            buffer += chunk
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                messages.append(json.loads(line))
                deadline = time.monotonic() + limit
        proc.wait()
        selector.close()
        proc.stdout.close()
        errors.seek(0)
        stderr = errors.read().decode(errors="replace").strip()
    if status == "ok" and proc.returncode != 0:
        status = "error"
    calls = [m for m in messages if "seconds" in m]
    ready = next((m for m in messages if "ready" in m), {})
    return dict(status=status, returncode=proc.returncode, calls=len(calls),
                seconds=min((m["seconds"] for m in calls), default=None),
                F=calls[-1]["F"] if calls else None, import_s=ready.get("ready"),
                version=ready.get("version"),
                error=stderr.splitlines()[-1] if status == "error" and stderr else None)


def peer_section(cfg: Config, res: Results) -> dict:
    say(f"\n2. Peer: QuanEstimation QFIM(rho, drho) on the same matrices, in a subprocess "
        f"(best of {cfg.repeats}; each call killed after {TIME_LIMIT:g} s; target: qfim "
        f">= {PEER_TARGET:g}x faster at D = 256)")
    if importlib.util.find_spec("quanestimation") is None:
        say("quanestimation is not installed: skipped")
        return {"available": False, "rows": []}
    row = table([("D", 5), ("d", 2), ("layout", -18), ("peer s", 9), ("calls", 5),
                 ("qfim s", 9), ("speed-up", 9), ("|dF|/F", 8), ("status", -8)])
    rows = []
    cases = [(D, p) for D in cfg.peer_dims for p in (2, 8)] + [(D, 2) for D in cfg.peer_slow_dims]
    with tempfile.TemporaryDirectory() as tmp:
        for D, params in cases:
            rho_array = qutip.rand_dm(D, seed=D).full()
            net, label = mixed_network(D, params)
            state = qutip.Qobj(rho_array, dims=net.dims)
            gens = net.local_generators
            ops = [g.full() for g in net.generators]
            path = os.path.join(tmp, f"peer_{D}_{params}.npz")
            np.savez(path, rho=rho_array, params=params,
                     **{f"drho{k}": -1j * (h @ rho_array - rho_array @ h)
                        for k, h in enumerate(ops)})
            best, _ = race({"qfim": lambda: qfim(state, gens, at(net))}, cfg.repeats)
            F = qfim(state, gens, at(net))
            peer = run_peer(path, cfg.repeats, TIME_LIMIT)
            os.unlink(path)
            agree = (relative_error(np.array(peer["F"]), F) if peer["F"] is not None else None)
            if peer["seconds"] is not None:
                speedup, bound = peer["seconds"] / best["qfim"], False
            elif peer["status"] == "timeout":
                speedup, bound = TIME_LIMIT / best["qfim"], True
            else:
                speedup, bound = None, False
            r = dict(D=D, params=params, layout=label, peer_s=peer["seconds"],
                     qfim_s=best["qfim"], speedup=speedup, speedup_is_lower_bound=bound,
                     agreement=agree, **{k: peer[k] for k in (
                         "status", "calls", "import_s", "version", "returncode", "error")})
            rows.append(r)
            if speedup is not None:
                res.ratio(f"peer/D{D}/d{params}/peer_over_qfim" + ("_at_least" if bound else ""),
                          speedup)
            if D == 256:
                res.target(f"peer D=256 d={params}: peer / qfim", "issue", speedup,
                           f">= {PEER_TARGET:g}",
                           None if speedup is None else speedup >= PEER_TARGET)
            if agree is not None:
                res.target(f"peer D={D} d={params}: QFIM agrees", "issue", agree, "<= 1e-8",
                           agree <= 1e-8)
            row(D, params, label,
                f">{TIME_LIMIT:g}" if bound else fmt(peer["seconds"], ".4f"), peer["calls"],
                f"{best['qfim']:.4f}",
                "-" if speedup is None else (">" if bound else "") + f"{speedup:.0f}x",
                fmt(agree, ".1e"), peer["status"])
            if peer["error"]:
                say(f"    peer error: {peer['error']}")
    version = next((r["version"] for r in rows if r["version"]), None)
    say(f"quanestimation {version}, import {fmt(rows[0]['import_s'], '.1f')} s (not timed)"
        if rows else "")
    return {"available": True, "version": version, "rows": rows}


# ----------------------------------------------------------------------------------------
# 3. pure states
# ----------------------------------------------------------------------------------------
def pure_probe(case: str, net: Network, n: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """(amplitudes, exact QFIM) of a probe on ``len(net.sensors)`` QubitEnsemble(n)."""
    sensors = len(net.sensors)
    if case == "ghz-like":
        # every page written (np.zeros would leave them untouched, mapped to one zero page,
        # and a read of them would not be a read of memory)
        amplitudes = np.full(net.size, 0j)
        amplitudes[0] = amplitudes[-1] = 1 / np.sqrt(2)
        if net.size <= 10 ** 6:       # the same state as the package's constructor
            assert np.allclose(states.ghz_like(net, [1] * sensors).full().ravel(), amplitudes)
        return amplitudes, n ** 2 * np.ones((sensors, sensors))
    kets = [random_local_ket(n + 1, rng) for _ in range(sensors)]
    amplitudes = kets[0]
    for ket in kets[1:]:
        amplitudes = np.multiply.outer(amplitudes, ket).ravel()
    return amplitudes, np.diag([4 * jz_variance(k) for k in kets])


def read_once(amplitudes: np.ndarray) -> complex:
    """One read of the ket and nothing else: <psi|psi> (BLAS zdotc)."""
    return np.vdot(amplitudes, amplitudes)


def pure_section(cfg: Config, res: Results) -> dict:
    say(f"\n3. Pure states: qfim(psi, local_generators) against one read of psi, "
        f"vdot(psi, psi) (best of {cfg.repeats}; targets: ratio <= {PURE_TARGET:g}, peak <= psi)")
    row = table([("case", -9), ("sensors", 7), ("n", 5), ("amplitudes", 10), ("qfim s", 9),
                 ("read s", 9), ("ratio", 6), ("abs2 s", 9), ("qfim/abs2", 9),
                 ("peak MiB", 9), ("psi MiB", 8), ("err", 8), ("", -4)])
    rows, rng = [], np.random.default_rng(1)
    for sensors, n in cfg.pure_cases:
        net = Network([QubitEnsemble(n) for _ in range(sensors)])
        gens = net.local_generators
        for case in ("ghz-like", "product"):
            amplitudes, exact = pure_probe(case, net, n, rng)
            psi = qutip.Qobj(amplitudes[:, None], dims=[net.ket_dims, [1]], copy=False)
            best, peaks = race({"read": lambda a=amplitudes: read_once(a),
                                "abs2": lambda a=amplitudes: np.abs(a) ** 2,
                                "qfim": lambda p=psi: qfim(p, gens)}, cfg.repeats,
                               peaks=["qfim"])
            err = relative_error(qfim(psi, gens), exact)
            r = dict(case=case, sensors=sensors, n=n, params=len(gens),
                     amplitudes=amplitudes.size, qfim_s=best["qfim"], read_s=best["read"],
                     abs2_s=best["abs2"], ratio=best["qfim"] / best["read"],
                     qfim_over_abs2=best["qfim"] / best["abs2"], peak_mib=peaks["qfim"] / MIB,
                     psi_mib=amplitudes.nbytes / MIB, err=err)
            r["ok"] = r["ratio"] <= PURE_TARGET and peaks["qfim"] <= amplitudes.nbytes
            rows.append(r)
            key = f"pure/{case}/{sensors}x{n + 1}"
            res.ratio(f"{key}/qfim_over_read", r["ratio"])
            res.ratio(f"{key}/qfim_over_abs2", r["qfim_over_abs2"])
            verdict = ""
            if amplitudes.size >= PURE_TARGET_FROM:
                res.target(f"pure {case} {sensors}x{n + 1}: qfim / read, peak / psi",
                           "issue", [r["ratio"], peaks["qfim"] / amplitudes.nbytes],
                           f"<= {PURE_TARGET:g}, <= 1", r["ok"])
                verdict = "PASS" if r["ok"] else "MISS"
            row(case, sensors, n, f"{amplitudes.size:.3g}", f"{best['qfim']:.4f}",
                f"{best['read']:.4f}", f"{r['ratio']:.2f}", f"{best['abs2']:.4f}",
                f"{r['qfim_over_abs2']:.2f}", f"{r['peak_mib']:.1f}", f"{r['psi_mib']:.1f}",
                f"{err:.1e}", verdict)
            del psi, amplitudes
            gc.collect()
    say("read: vdot(psi, psi), one pass over the amplitudes (the floor); abs2: abs(psi)**2, "
        "which also writes a new array of |psi|^2")
    return {"rows": rows}


# ----------------------------------------------------------------------------------------
# 4. noise: Dicke blocks (bench_noise.py)
# ----------------------------------------------------------------------------------------
def noise_section(cfg: Config, res: Results) -> dict:
    import bench_noise
    say(f"\n4. Noise: Dicke-block QFI under local dephasing (bench_noise.py; best of "
        f"{cfg.repeats}; targets: GHZ N >= 600 and CSS N >= 300 within {TIME_LIMIT:g} s)")
    dicke = [bench_noise.dicke_row(kind, n, cfg.repeats)
             for kind, sizes in cfg.dicke_sizes.items() for n in sizes]
    with contextlib.redirect_stdout(OUT):
        bench_noise.print_dicke(dicke)
    for r in dicke:
        base = r["kind"].split()[0]
        if base in bench_noise.TARGETS and r["n"] >= bench_noise.TARGETS[base]:
            total = r["t_state"] + r["t_qfi"]
            res.target(f"noise {r['kind']} N={r['n']}: seconds", "bench_noise", total,
                       f"<= {bench_noise.TARGET_SECONDS:g}", total <= bench_noise.TARGET_SECONDS)
    say(f"\nDicke blocks against the full 2^N space (gamma t = {bench_noise.GAMMA_T}; "
        f"ratio = full / Dicke)")
    full = bench_noise.full_rows(cfg.full_sizes, cfg.repeats, cfg.full_kinds)
    with contextlib.redirect_stdout(OUT):
        bench_noise.print_full(full)
    for r in full:
        r["ratio"] = r["t_full"] / r["t_dicke"]
        res.ratio(f"noise/{r['kind']}/N{r['n']}/full_over_dicke", r["ratio"])
    return {"gamma_t": bench_noise.GAMMA_T, "dicke": dicke, "full": full}


# ----------------------------------------------------------------------------------------
# 5. low rank: qfim, a partial eigendecomposition, and qfim through the full eigendecomposition
# ----------------------------------------------------------------------------------------
def eigh_path_qfim(state: qutip.Qobj, gens) -> float:
    """``qfim`` through the full eigendecomposition: the low-rank search switched off with
    its public switch ``tolerances.sketch_min_size``."""
    with tolerances(sketch_min_size=10 ** 9):
        return qfim(state, gens)


def sketch(state: qutip.Qobj):
    """The library's certified support search on ``state`` (None when it falls back)."""
    from qsn_qutip.estimation.mixed import checked_density_matrix, low_rank_support
    return low_rank_support(checked_density_matrix(state.full()))


def partial_eigh(rho: np.ndarray):
    """Exact support by a partial eigendecomposition: the eigenpairs above a lower bound of
    the cut-off (``tr(rho)/D <= max eigenvalue``); the reduction to tridiagonal form stays
    O(D^3)."""
    floor = tolerances.eig_cutoff * np.trace(rho).real / rho.shape[0]
    return scipy.linalg.eigh(rho, subset_by_value=(floor, np.inf), driver="evr",
                             check_finite=False)


def rank_r_state(D: int, r: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    w = rng.standard_normal((D, r)) + 1j * rng.standard_normal((D, r))
    rho = w @ w.conj().T
    rho = (rho + rho.conj().T) / 2
    return rho / np.trace(rho).real


def low_rank_section(cfg: Config, res: Results, mixed: dict | None) -> dict:
    D = cfg.low_rank_dim
    net, label = mixed_network(D, 2)
    gens = net.local_generators
    say(f"\n5. Low rank: rank-r states of dimension D = {D} ({label}), best of {cfg.repeats}; "
        f"target: rank-r qfim < {LOW_RANK_TARGET:g} x one eigh of the same matrix")
    full_rank = qutip.Qobj(qutip.rand_dm(D, seed=D).full(), dims=net.dims)
    known = next((r for r in (mixed or {}).get("rows", []) if r["D"] == D and r["params"] == 2),
                 None)
    routine = known["eigh"] if known else "scipy evr"
    funcs = {"sketch": lambda: sketch(full_rank)}
    if known is None:
        funcs["qfim"] = lambda: qfim(full_rank, gens)
    best, _ = race(funcs, cfg.repeats)
    t_full, t_sketch = (known["qfim_s"] if known else best["qfim"]), best["sketch"]
    overhead = t_sketch / t_full
    res.ratio(f"lowrank/D{D}/full_rank/sketch_over_qfim", overhead)
    say(f"full-rank rand_dm: qfim {t_full:.4f} s ({'section 1' if known else 'measured here'});"
        f" qfim first tries its sketches there: {t_sketch:.4f} s "
        f"({100 * overhead:.1f} % of qfim)")
    row = table([("r", 3), ("eigh s", 9), ("qfim s", 9), ("qfim/eigh", 9), ("full/rank-r", 11),
                 ("partial s", 9), ("eigh-path s", 11), ("qfim/path", 9), ("full/path", 9),
                 ("peak MiB", 9), ("path MiB", 8), ("err", 8), ("", -4)])
    rows = []
    for r in cfg.ranks:
        rho = rank_r_state(D, r, seed=100 + r)
        state = qutip.Qobj(rho, dims=net.dims)
        funcs = {"eigh": lambda a=rho: EIGH_ROUTINES[routine](a),
                 "qfim": lambda s=state: qfim(s, gens),
                 "partial": lambda a=rho: partial_eigh(a),
                 "eigh_path": lambda s=state: eigh_path_qfim(s, gens)}
        best, peaks = race(funcs, cfg.repeats, peaks=["qfim", "eigh_path"])
        F_today = qfim(state, gens)
        err = relative_error(eigh_path_qfim(state, gens), F_today)
        support = sketch(state)
        certificate = None if support is None else {"support_rank": int(support[0].size)}
        out = dict(D=D, r=r, layout=label, eigh=routine, eigh_s=best["eigh"],
                   qfim_s=best["qfim"], partial_eigh_s=best["partial"],
                   eigh_path_s=best["eigh_path"], full_rank_qfim_s=t_full,
                   qfim_over_eigh=best["qfim"] / best["eigh"],
                   full_rank_over_rank_r=t_full / best["qfim"],
                   qfim_over_eigh_path=best["qfim"] / best["eigh_path"],
                   full_rank_over_eigh_path=t_full / best["eigh_path"],
                   eigh_over_partial=best["eigh"] / best["partial"],
                   eigh_path_over_eigh=best["eigh_path"] / best["eigh"],
                   peak_mib=peaks["qfim"] / MIB, eigh_path_peak_mib=peaks["eigh_path"] / MIB,
                   err=err, certificate=certificate)
        out["ok"] = out["qfim_over_eigh"] < LOW_RANK_TARGET
        rows.append(out)
        for key in ("qfim_over_eigh", "full_rank_over_rank_r", "qfim_over_eigh_path",
                    "full_rank_over_eigh_path", "eigh_over_partial", "eigh_path_over_eigh"):
            res.ratio(f"lowrank/D{D}/r{r}/{key}", out[key])
        if D >= LOW_RANK_TARGET_FROM:
            res.target(f"low rank D={D} r={r}: rank-r qfim / eigh", "issue",
                       out["qfim_over_eigh"], f"< {LOW_RANK_TARGET:g}", out["ok"],
                       f"eigh path: {out['eigh_path_over_eigh']:.3f}")
        row(r, f"{best['eigh']:.4f}", f"{best['qfim']:.4f}", f"{out['qfim_over_eigh']:.2f}",
            f"{out['full_rank_over_rank_r']:.2f}", f"{best['partial']:.4f}",
            f"{best['eigh_path']:.4f}", f"{out['qfim_over_eigh_path']:.1f}",
            f"{out['full_rank_over_eigh_path']:.1f}", f"{out['peak_mib']:.1f}",
            f"{out['eigh_path_peak_mib']:.1f}", f"{err:.1e}",
            ("PASS" if out["ok"] else "MISS") if D >= LOW_RANK_TARGET_FROM else "")
        del state, rho, funcs
        gc.collect()
    say("qfim/eigh: the rank-r qfim call over one eigh (" + routine + "); full/rank-r: its gain "
        "over a full-rank state; partial: eigh(subset_by_value); eigh-path: qfim with the "
        "sketch switched off (a full eigendecomposition), qfim/path and full/path against it; "
        "err: the two paths against each other")
    return {"full_rank_qfim_s": t_full, "full_rank_from_section_1": known is not None,
            "sketch_on_full_rank_s": t_sketch, "sketch_overhead": overhead, "rows": rows}


# ----------------------------------------------------------------------------------------
# 6. generators: structure and storage (diagonal or not, LocalOperator, sparse or dense Qobj)
# ----------------------------------------------------------------------------------------
#: the layouts of section 6 per D: eight diagonal J_z (qubit sensors, full basis), two
#: non-diagonal J_x (two spins), eight non-commuting (three spins, axes xyz + xyz + xy)
GENERATOR_LAYOUTS = {
    "diagonal": {64: [1] * 6, **{D: EIGHT_SENSORS[D] for D in (256, 512, 1024, 2048)}},
    "spin x": {64: [(3.5, "x"), (3.5, "x")], 256: [(7.5, "x"), (7.5, "x")],
               1024: [(15.5, "x"), (15.5, "x")], 2048: [(15.5, "x"), (31.5, "x")]},
    "spin xyz": {64: [(1.5, "xyz"), (1.5, "xyz"), (1.5, "xy")],
                 256: [(1.5, "xyz"), (1.5, "xyz"), (7.5, "xy")],
                 1024: [(3.5, "xyz"), (3.5, "xyz"), (7.5, "xy")],
                 2048: [(3.5, "xyz"), (7.5, "xyz"), (7.5, "xy")]},
}


def generator_cases(kind: str, D: int) -> tuple[Network, dict[str, list]]:
    """The network of a layout and its generators in every storage: LocalOperator, the
    Qobj on the whole space as qutip.tensor builds it (CSR), and a dense Qobj (for diagonal
    ones written as users often do, ``qutip.Qobj(np.diag(h), dims=...)``)."""
    layout = GENERATOR_LAYOUTS[kind][D]
    if isinstance(layout[0], tuple):
        net = Network([MultiLevelAtom(spin=j, axes=axes) for j, axes in layout])
    else:
        net = Network([QubitEnsemble(n, basis="full") for n in layout])
    assert net.size == D, (kind, D)
    cases = {"LocalOperator": net.local_generators}
    if kind == "diagonal":
        cases["Qobj CSR"] = net.generators
        cases["Qobj dense"] = [qutip.Qobj(np.diag(g.diag()), dims=net.dims)
                               for g in net.generators]
    else:
        cases["Qobj dense"] = [g.to("dense") for g in net.generators]
    return net, cases


def generators_section(cfg: Config, res: Results) -> dict:
    say(f"\n6. Generators: qfim(rand_dm(D), generators) by structure and storage against the "
        f"fastest eigh (best of {cfg.repeats}; target ratio <= {MIXED_TARGET:g}, the diagonal "
        f"LocalOperator case's)")
    row = table([("D", 5), ("kind", -9), ("d", 2), ("storage", -13), ("qfim s", 9),
                 ("eigh s", 9), ("eigh", -10), ("ratio", 6), ("peak MiB", 9), ("err", 8),
                 ("", -4)])
    rows = []
    for D in cfg.generator_dims:
        rho_array = qutip.rand_dm(D, seed=D).full()
        subjects, nets = {}, {}
        for kind in GENERATOR_LAYOUTS:
            net, cases = generator_cases(kind, D)
            nets[kind] = net
            state = qutip.Qobj(rho_array, dims=net.dims)
            for storage, gens in cases.items():
                subjects[(kind, storage)] = (lambda s=state, g=gens, p=at(net): qfim(s, g, p))
        routines = {name: (lambda f=EIGH_ROUTINES[name], a=rho_array: f(a))
                    for name in EIGH_ROUTINES}
        named = {f"{k} / {st}": f for (k, st), f in subjects.items()}
        first, _ = race({**routines, **named}, 1)
        fastest = min(routines, key=first.get)
        best, peaks = race({fastest: routines[fastest], **named}, cfg.repeats - 1,
                           peaks=list(named), first={k: first[k] for k in [fastest, *named]})
        for kind, net in nets.items():
            exact = (reference_qfim(rho_array, net.generators) if D <= cfg.reference_max
                     else None)
            state = qutip.Qobj(rho_array, dims=net.dims)
            for storage, gens in generator_cases(kind, D)[1].items():
                name = f"{kind} / {storage}"
                err = None if exact is None else relative_error(qfim(state, gens, at(net)),
                                                                exact)
                r = dict(D=D, kind=kind, params=net.n_params, storage=storage,
                         qfim_s=best[name], eigh_s=best[fastest], eigh=fastest,
                         ratio=best[name] / best[fastest], peak_mib=peaks[name] / MIB, err=err)
                r["ok"] = r["ratio"] <= MIXED_TARGET
                rows.append(r)
                slug = storage.split()[-1].lower()
                res.ratio(f"generators/D{D}/{kind.replace(' ', '-')}-d{net.n_params}/{slug}/"
                          f"qfim_over_eigh", r["ratio"])
                verdict = ""
                if D >= MIXED_TARGET_FROM:
                    res.target(f"generators D={D} {kind} d={net.n_params} {storage}: qfim / eigh",
                               "issue", r["ratio"], f"<= {MIXED_TARGET:g}", r["ok"])
                    verdict = "PASS" if r["ok"] else "MISS"
                row(D, kind, net.n_params, storage, f"{best[name]:.4f}", f"{best[fastest]:.4f}",
                    fastest, f"{r['ratio']:.2f}", f"{r['peak_mib']:.1f}", fmt(err, ".1e"),
                    verdict)
        del subjects, named, routines, rho_array
        gc.collect()
    say("kind: diagonal = J_z of qubit sensors (full basis); spin x = J_x of two spins; spin "
        "xyz = J_x, J_y, J_z of two spins and J_x, J_y of a third (non-commuting)")
    return {"rows": rows}


# ----------------------------------------------------------------------------------------
# summary, JSON, comparison
# ----------------------------------------------------------------------------------------
def print_targets(res: Results) -> None:
    say("\nTargets")
    row = table([("target", -62), ("source", -10), ("value", 16), ("wanted", 10),
                 ("result", -7)])
    for t in res.targets:
        value = t["value"]
        if isinstance(value, list):
            text = ", ".join(fmt(v, ".3g") for v in value)
        elif isinstance(value, float):
            text = fmt(value, ".3g")
        else:
            text = "-" if value is None else str(value)
        result = {True: "PASS", False: "MISS", None: "not run"}[t["met"]]
        row(t["name"], t["source"], text, t["target"], result)
    counts = {key: sum(t["met"] is value for t in res.targets)
              for key, value in (("met", True), ("missed", False), ("not run", None))}
    say(", ".join(f"{n} {key}" for key, n in counts.items()))


def plain(obj):
    """JSON-safe copy: NumPy scalars and arrays to Python, NaN and inf to None."""
    if isinstance(obj, dict):
        return {str(k): plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [plain(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return plain(obj.tolist())
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return float(obj) if np.isfinite(obj) else None
    if isinstance(obj, complex):
        return [plain(obj.real), plain(obj.imag)]
    return obj


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through :func:`qsn_qutip._io.atomic_path`, synced to disk."""
    with atomic_path(path) as tmp, open(tmp, "w") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())


def lower_is_better(name: str) -> bool:
    """Ratios with qsn_qutip's time in the numerator (a growth is a regression)."""
    last = name.rsplit("/", 1)[-1]
    return last.startswith(("qfim_over", "eigh_path_over", "sketch_over", "evaluation_over",
                             "iteration_over"))


def compare(old: dict, new: dict, threshold: float = 1.25) -> None:
    say(f"\nAgainst {old.get('mode')} run of {old.get('created')} (flag: worse by more than "
        f"{threshold:g}x)")
    for key in ("cpu", "blas"):
        a = old.get("machine", {}).get(key)
        b = new["machine"].get(key)
        if key == "blas":
            a = sorted((x["internal_api"], x["version"]) for x in a or [])
            b = sorted((x["internal_api"], x["version"]) for x in b or [])
        elif a and b:
            a, b = a.get("model"), b.get("model")
        if a != b:
            say(f"note: {key} differs: {a} -> {b}")
    row = table([("ratio", -48), ("old", 10), ("new", 10), ("new/old", 8), ("", -10)])
    old_ratios, new_ratios = old.get("ratios", {}), new["ratios"]
    worse_count = 0
    for key in sorted(set(old_ratios) & set(new_ratios)):
        a, b = old_ratios[key], new_ratios[key]
        if a is None or b is None or a <= 0:
            row(key, fmt(a, ".4g"), fmt(b, ".4g"), "-", "")
            continue
        change = b / a
        worse = change > threshold if lower_is_better(key) else change < 1 / threshold
        worse_count += worse
        row(key, f"{a:.4g}", f"{b:.4g}", f"{change:.2f}", "WORSE" if worse else "")
    say(f"{worse_count} worse; {len(set(old_ratios) - set(new_ratios))} ratios only in the "
        f"earlier run, {len(set(new_ratios) - set(old_ratios))} only in this one")


SECTIONS = ("mixed", "peer", "pure", "noise", "lowrank", "generators", "optimize")


def main(argv: Sequence[str] | None = None) -> int:
    global OUT
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="\n".join(__doc__.splitlines()[2:11]))
    parser.add_argument("--quick", action="store_true",
                        help="a few minutes: no D = 4096, no 10^8 amplitudes, no peer at D = 512")
    parser.add_argument("--smoke", action="store_true",
                        help="tiny sizes and one call each (a few seconds; for the tests)")
    parser.add_argument("--json", action="store_true",
                        help="print one JSON document to stdout (the tables go to stderr)")
    parser.add_argument("--out", type=Path, help="also write the JSON document to this file")
    parser.add_argument("--compare", type=Path, help="an earlier JSON document to compare with")
    parser.add_argument("--repeats", type=int, help="best of this many calls (default 3; "
                        "1 with --smoke)")
    parser.add_argument("--sections", default=",".join(SECTIONS),
                        help=f"comma-separated subset of {','.join(SECTIONS)}")
    parser.add_argument("--peer-worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.peer_worker:
        peer_worker(args.peer_worker, args.repeats or 3)
        return 0
    sections = [s.strip() for s in args.sections.split(",") if s.strip()]
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections: {', '.join(sorted(unknown))}")
    old = json.loads(args.compare.read_text()) if args.compare else None
    OUT = sys.stderr if args.json else sys.stdout
    mode = "smoke" if args.smoke else "quick" if args.quick else "full"
    repeats = args.repeats or (1 if args.smoke else 3)
    if repeats < 1:
        parser.error("--repeats must be at least 1")
    cfg = make_config(mode, repeats)
    created = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    start = time.perf_counter()
    res = Results()
    with threadpool_limits(1):
        facts = machine_facts()
        say(f"qsn_qutip benchmarks, mode {mode}, best of {repeats}, BLAS pinned to 1 thread, "
            f"{created}")
        print_machine(facts)
        if "mixed" in sections:
            res.sections["mixed"] = mixed_section(cfg, res)
        if "peer" in sections:
            res.sections["peer"] = peer_section(cfg, res)
        if "pure" in sections:
            res.sections["pure"] = pure_section(cfg, res)
        if "noise" in sections:
            res.sections["noise"] = noise_section(cfg, res)
        if "lowrank" in sections:
            res.sections["lowrank"] = low_rank_section(cfg, res, res.sections.get("mixed"))
        if "generators" in sections:
            res.sections["generators"] = generators_section(cfg, res)
        if "optimize" in sections:          # bench_optimize.py: the optimiser (issue 11)
            import bench_optimize
            res.sections["optimize"] = bench_optimize.section(
                "suite" if mode == "full" else mode, repeats, res, OUT)
    wall = time.perf_counter() - start
    print_targets(res)
    facts["load_average_end"] = list(os.getloadavg()) if hasattr(os, "getloadavg") else None
    facts["max_rss_mib"] = max_rss_mib()
    doc = plain({
        "schema": SCHEMA, "mode": mode, "created": created, "wall_seconds": wall,
        "machine": facts,
        "settings": {"repeats": repeats, "blas_threads": 1, "time_limit_s": TIME_LIMIT,
                     "sections": sections, "argv": list(sys.argv[1:] if argv is None else argv),
                     "config": dataclasses.asdict(cfg)},
        "sections": res.sections, "ratios": res.ratios, "targets": res.targets,
    })
    if old is not None:
        compare(old, doc)
    say(f"\nwall time {wall:.0f} s, maximum resident set size {facts['max_rss_mib']:.0f} MiB")
    text = json.dumps(doc, indent=1, allow_nan=False)
    if args.out:
        write_atomically(args.out, text + "\n")
        say(f"JSON written to {args.out}")
    if args.json:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
