r"""Benchmark of the optimiser (issue 11): two sensors of n qubits each under local dephasing.

Usage::

    python benchmarks/bench_optimize.py            # n = 4, 8, ..., 24 (about 20 minutes)
    python benchmarks/bench_optimize.py --quick    # n = 4, 8, 12 (about 20 s)
    python benchmarks/bench_optimize.py --smoke    # n = 4 (a few seconds; tests/test_benchmarks.py)
    python benchmarks/bench_optimize.py --sizes 4,8,20 --json > optimize.json
    python benchmarks/bench_optimize.py --numbers --out numbers.json --log numbers.log
    python benchmarks/run.py --sections optimize   # the same rows in the suite's JSON document

The problem: ``Network([QubitEnsemble(n), QubitEnsemble(n)])`` (Dicke basis), the gradient
:math:`\theta = v^T\phi` with :math:`v = (1, -1)/\sqrt2`, local dephasing of every qubit with
:math:`\gamma t = 0.1` (coherence :math:`e^{-0.1}` per qubit), fixed particles per sensor.  The
engine of :func:`qsn_qutip.optimal_probe` (:class:`~qsn_qutip.optimize.seesaw.Objective` on the
exact :class:`~qsn_qutip.optimize.PhaseChannel`, :func:`~qsn_qutip.optimize.seesaw.descend`)
is timed on ONE core (BLAS pinned to one thread with threadpoolctl, the output blocks on one
thread: ``qsn_qutip.estimation.blocks.WORKERS = 1`` for the run).  Both the wall-clock
time and the CPU time of the process are reported; on a shared machine the CPU time is what
the same call takes on a core of its own, and the ratios, the target and the extrapolation
use it:

* costs: building the channel; one evaluation (the noisy QFIM and the bound: one ``eigh`` per
  output block, (n/2+1)^2 blocks of up to (n+1)^2 rows); one evaluation + its gradient operator
  G; the tracemalloc peak of evaluation + gradient.  Floor, measured in the same run: one
  ``scipy.linalg.eigh`` of the largest output block (the product probe's; the faster of the
  drivers evr and evd), and that ``eigh`` of every block once (what no evaluation can skip).
  Ratios: evaluation / floor, descent iteration / floor.
* descents: ONE start, the product probe :math:`|+\rangle^{\otimes 2n}` (a menu probe, the one
  that reaches the best bound found here), to a see-saw fixed point or a stationary point;
  the other menu starts (GHZ-type, local GHZ) and, for small n, one seeded random start (what
  each of ``optimal_probe``'s default two ``restarts`` adds).  ``optimal_probe`` also starts
  from the best sensor-separable probe; the full run times it end to end at n = 20 with
  ``restarts=0``.  Columns: iterations (see-saw jumps + L-BFGS iterations), evaluations
  (an L-BFGS iteration may evaluate more than once), seconds, seconds per iteration, the bound
  at the start and at the end, the see-saw gap :math:`(\lambda_{\max}(G)-\langle G\rangle)/B`
  at the end, the status, and bound / limit (the channel-extension limit at the same
  :math:`\gamma t`; at least 1).
* the size reachable in 10 minutes: EXTRAPOLATED, not measured, unless a measured row says so.
  Time per iteration fitted as :math:`a\,n^p` on the three largest n measured, times the
  iterations of the product start at the largest n measured.

``--numbers`` computes the closing note's table instead (gains and limits for N = 10, 20, 50
at :math:`\gamma t = 0.05`: ``optimal_probe`` on N/2 + N/2 qubits for the gradient and on one
ensemble of N qubits; every descent's progress is logged to ``--log``).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime
import gc
import hashlib
import json
import math
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import scipy
import scipy.linalg
from threadpoolctl import threadpool_limits

from bench_qfim import traced_peak     # the same measure in every benchmark
from qsn_qutip import Network, QubitEnsemble
from qsn_qutip.estimation import blocks
from qsn_qutip.noise import NoiseModel
from qsn_qutip.optimize import PhaseChannel, optimal_probe, search
from qsn_qutip.optimize.limits import Dephased, LimitModel, task_limit
from qsn_qutip.optimize.seesaw import Objective, descend
from qsn_qutip.probes import Task, build_probe

GAMMA_T = 0.1
V = (1 / math.sqrt(2), -1 / math.sqrt(2))
HEADLINE = 20                # issue 11: two sensors of 20 qubits each ...
TARGET_SECONDS = 60.0        # ... optimised within a minute on one core
BUDGET_SECONDS = 600.0       # the size reachable in 10 minutes
MIB = 2.0 ** 20
EIGH_DRIVERS = ("evr", "evd")    # the floor: the faster of the two on the largest block
FIT_FROM = 12                    # below, per-block overheads dominate: no power law fitted
MODES = {   # sizes n (qubits per sensor), random starts up to n, the end-to-end call at n
    "smoke": {"sizes": [4], "random_max": 4, "end_to_end": None},
    "quick": {"sizes": [4, 8, 12], "random_max": 8, "end_to_end": None},
    "suite": {"sizes": [4, 8, 12, 16, 20], "random_max": 8, "end_to_end": None},
    "full": {"sizes": [4, 8, 12, 16, 20, 24], "random_max": 12, "end_to_end": HEADLINE},
}


@contextlib.contextmanager
def one_core():
    """BLAS on one thread (threadpoolctl) and the optimiser's output blocks on one thread
    (``qsn_qutip.estimation.blocks.WORKERS``, read at each call), restored afterwards."""
    workers = blocks.WORKERS
    blocks.WORKERS = 1
    try:
        with threadpool_limits(1):
            yield
    finally:
        blocks.WORKERS = workers


def say(text: str = "", out=None) -> None:
    print(text, file=out or sys.stdout, flush=True)


def best_of(func, repeats: int, least: float = 0.05) -> tuple[float, float, object]:
    """The shortest of ``repeats`` wall-clock times per call, the shortest CPU time of this
    process per call, and the last result; calls faster than ``least`` seconds are timed in
    loops of at least that long."""
    gc.collect()
    start, cpu = time.perf_counter(), time.process_time()
    result = func()                             # the first call (warm-up) also sets the loop
    first, first_cpu = time.perf_counter() - start, time.process_time() - cpu
    number = 1 if first >= least else min(1000, int(least / max(first, 1e-6)) + 1)
    best, best_cpu = (first, first_cpu) if number == 1 else (math.inf, math.inf)
    for _ in range(repeats):
        gc.collect()
        start, cpu = time.perf_counter(), time.process_time()
        for _ in range(number):
            result = func()
        best = min(best, (time.perf_counter() - start) / number)
        best_cpu = min(best_cpu, (time.process_time() - cpu) / number)
    return best, best_cpu, result


def git_state() -> dict:
    """The commit, the modified tracked files and a digest of the optimiser's uncommitted
    changes (the engine measured, when the working tree is being edited)."""
    def git(*args):
        return subprocess.run(["git", *args], cwd=Path(__file__).resolve().parent,
                              capture_output=True, text=True, timeout=10).stdout
    try:
        diff = git("diff", "HEAD", "--", "qsn_qutip/optimize")
        return {"commit": git("rev-parse", "HEAD").strip()[:12] or None,
                "dirty": sorted(line[3:] for line in git(
                    "status", "--porcelain", "--untracked-files=no").splitlines()),
                "optimize_diff_sha1": hashlib.sha1(diff.encode()).hexdigest()[:12]
                if diff else None}
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None, "optimize_diff_sha1": None}


# ----------------------------------------------------------------------------------------
# the problem
# ----------------------------------------------------------------------------------------
class CountedObjective(Objective):
    """The objective of the optimiser, counting its evaluations and gradients."""

    def __init__(self, channel, task):
        super().__init__(channel, task)
        self.evaluations = self.gradients = 0

    def evaluate(self, psi):
        self.evaluations += 1
        return super().evaluate(psi)

    def gradient(self, ev):
        self.gradients += 1
        return super().gradient(ev)


@dataclasses.dataclass
class Problem:
    n: int
    network: Network
    noise: NoiseModel
    task: Task
    channel: PhaseChannel
    channel_seconds: float
    limit: float


def problem(n: int, gamma_t: float = GAMMA_T) -> Problem:
    net = Network([QubitEnsemble(n), QubitEnsemble(n)])
    noise = NoiseModel(dephasing=gamma_t, time=1.0)
    task = Task(2, v=list(V))
    start = time.perf_counter()
    channel = PhaseChannel(net, noise.sensor_rates(net))
    seconds = time.perf_counter() - start
    model = LimitModel(2, (Dephased(0, n, gamma_t), Dephased(1, n, gamma_t)), ())
    return Problem(n, net, noise, task, channel, seconds, task_limit(model, 1.0, np.array(V)))


def start_amplitudes(p: Problem, name: str, rng: np.random.Generator) -> np.ndarray:
    """A menu probe's amplitudes (``search.MENU_STARTS``) or a random start drawn as
    ``best_state`` draws it."""
    if name.startswith("random"):
        return np.abs(rng.normal(size=p.channel.dim))
    state, _ = build_probe(name, p.network, v=p.task.v, direction=p.task.direction)
    return p.channel.amplitudes(state)


# ----------------------------------------------------------------------------------------
# costs: one evaluation, its gradient, and the floor
# ----------------------------------------------------------------------------------------
def cost_row(p: Problem, repeats: int) -> dict:
    objective = Objective(p.channel, p.task)
    psi = start_amplitudes(p, "product", None)
    sizes = [b.index.size for b in p.channel.blocks]
    sigmas = p.channel.output(psi)
    largest = max(sigmas, key=len)
    floors = {driver: best_of(lambda d=driver: scipy.linalg.eigh(
        largest, driver=d, check_finite=False), repeats) for driver in EIGH_DRIVERS}
    driver = min(floors, key=lambda d: floors[d][1])
    t_eigh, c_eigh, _ = floors[driver]
    t_all, _, _ = best_of(lambda: [scipy.linalg.eigh(s, driver=driver, check_finite=False)
                                   for s in sigmas], repeats)
    t_eval, c_eval, ev = best_of(lambda: objective.evaluate(psi), repeats)
    t_both, c_both, _ = best_of(lambda: objective.gradient(objective.evaluate(psi)), repeats)
    peak = traced_peak(lambda: objective.gradient(objective.evaluate(psi)))
    return dict(n=p.n, dim=p.channel.dim, blocks=len(sizes), largest=max(sizes),
                channel_s=p.channel_seconds, eval_s=t_eval, eval_grad_s=t_both,
                eval_grad_cpu_s=c_both, floor_eigh_s=t_eigh, floor_eigh_cpu_s=c_eigh,
                floor_driver=driver, all_eighs_s=t_all, peak_mib=peak / MIB,
                eval_over_eigh=t_eval / t_eigh, eval_over_eigh_cpu=c_eval / c_eigh,
                product_bound=ev.bound)


def print_costs(rows: list[dict], out=None) -> None:
    head = (f"{'n+n':>7} {'dim':>5} {'blocks':>6} {'largest':>7} {'channel s':>9} "
            f"{'eval s':>8} {'eval+grad s':>11} {'(cpu s)':>8} {'floor s':>8} {'(cpu s)':>8} "
            f"{'all eighs s':>11} {'eval/floor':>10} {'peak MiB':>8}")
    say(head, out)
    say("-" * len(head), out)
    for r in rows:
        say(f"{r['n']:>3}+{r['n']:<3} {r['dim']:>5} {r['blocks']:>6} {r['largest']:>7} "
            f"{r['channel_s']:>9.3f} {r['eval_s']:>8.4f} {r['eval_grad_s']:>11.4f} "
            f"{r['eval_grad_cpu_s']:>8.4f} {r['floor_eigh_s']:>8.4f} "
            f"{r['floor_eigh_cpu_s']:>8.4f} {r['all_eighs_s']:>11.4f} "
            f"{r['eval_over_eigh']:>10.1f} {r['peak_mib']:>8.1f}", out)


# ----------------------------------------------------------------------------------------
# descents
# ----------------------------------------------------------------------------------------
def descent_row(p: Problem, name: str, rng: np.random.Generator, floor: float) -> dict:
    objective = CountedObjective(p.channel, p.task)
    x = start_amplitudes(p, name, rng)
    start, cpu = time.perf_counter(), time.process_time()
    run = descend(objective, x)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    per = cpu / max(run.iterations, 1)
    return dict(n=p.n, start=name, iterations=run.iterations, evaluations=objective.evaluations,
                gradients=objective.gradients, seconds=seconds, cpu_s=cpu, per_iteration_s=per,
                iteration_over_eigh=per / floor, initial=run.history[0], bound=run.best.bound,
                gap=run.gaps[-1] if run.gaps else math.nan, status=run.status,
                limit=p.limit, over_limit=run.best.bound / p.limit)


def print_descents(rows: list[dict], out=None) -> None:
    head = (f"{'n+n':>7} {'start':<10} {'iter':>5} {'evals':>5} {'wall s':>8} {'cpu s':>8} "
            f"{'cpu s/iter':>10} "
            f"{'iter/floor':>10} {'initial':>10} {'bound':>14} {'gap':>9} {'status':<12} "
            f"{'bound/limit':>11}")
    say(head, out)
    say("-" * len(head), out)
    for r in rows:
        say(f"{r['n']:>3}+{r['n']:<3} {r['start']:<10} {r['iterations']:>5} "
            f"{r['evaluations']:>5} {r['seconds']:>8.2f} {r['cpu_s']:>8.2f} "
            f"{r['per_iteration_s']:>10.4f} "
            f"{r['iteration_over_eigh']:>10.1f} {r['initial']:>10.6f} {r['bound']:>14.10f} "
            f"{r['gap']:>9.1e} {r['status']:<12} {r['over_limit']:>11.4f}", out)


def end_to_end(n: int) -> dict:
    """``optimal_probe(..., resources="fixed", restarts=0)``: the three menu starts, the best
    separable probe, the product state and the limit."""
    net = Network([QubitEnsemble(n), QubitEnsemble(n)])
    start, cpu = time.perf_counter(), time.process_time()
    best = optimal_probe(net, v=list(V), noise=NoiseModel(dephasing=GAMMA_T, time=1.0),
                         resources="fixed", seed=1, restarts=0)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    return dict(n=n, seconds=seconds, cpu_s=cpu, bound=best.bound, limit=best.limit,
                separable=best.separable_bound, gain=best.gain, converged=best.converged,
                runs=[dataclasses.asdict(r) for r in best.runs])


# ----------------------------------------------------------------------------------------
# the size reachable in 10 minutes (extrapolated)
# ----------------------------------------------------------------------------------------
def extrapolate(descents: list[dict], budget: float = BUDGET_SECONDS) -> dict | None:
    """Fit seconds per iteration of the product start as a n^p on the three largest n, and
    find the largest n whose one-start descent (iterations of the largest n measured) fits
    in ``budget``; the same for the three menu starts."""
    product = sorted((r for r in descents if r["start"] == "product"), key=lambda r: r["n"])
    fit = [r for r in product if r["n"] >= FIT_FROM][-3:]
    if len(fit) < 2 or fit[-1]["n"] < 16:
        return None
    p, log_a = np.polyfit(np.log([r["n"] for r in fit]),
                          np.log([r["per_iteration_s"] for r in fit]), 1)
    last = product[-1]
    menu = [r for r in descents if r["n"] == last["n"] and not r["start"].startswith("random")]
    menu_iterations = sum(r["iterations"] for r in menu)

    def reachable(iterations):
        n = last["n"]
        while math.exp(log_a) * (n + 1) ** p * iterations <= budget and n < 10 ** 4:
            n += 1
        return n if math.exp(log_a) * n ** p * iterations <= budget else None

    measured = [r["n"] for r in product if r["cpu_s"] <= budget]
    return dict(exponent=float(p), prefactor=float(math.exp(log_a)),
                fitted_on=[r["n"] for r in fit], iterations=last["iterations"],
                menu_iterations=menu_iterations, budget_s=budget,
                one_start_n=reachable(last["iterations"]), menu_n=reachable(menu_iterations),
                largest_measured_within_budget=max(measured) if measured else None,
                predicted_headline_s=float(math.exp(log_a) * HEADLINE ** p
                                           * last["iterations"]))


def print_extrapolation(x: dict | None, out=None) -> None:
    if x is None:
        say(f"(no extrapolation: it needs two sizes n >= {FIT_FROM}, the largest at least 16; "
            f"below, per-block overheads hide the n^6 growth)", out)
        return
    say(f"seconds per iteration ~ {x['prefactor']:.3g} n^{x['exponent']:.2f} (fitted on n = "
        f"{', '.join(map(str, x['fitted_on']))}); iterations: {x['iterations']} (product "
        f"start), {x['menu_iterations']} (three menu starts) at the largest n measured", out)
    say(f"EXTRAPOLATED size reachable in {x['budget_s']:.0f} s on one core: n+n with n = "
        f"{x['one_start_n']} (one start), n = {x['menu_n']} (menu starts); largest n measured "
        f"within the budget: {x['largest_measured_within_budget']}", out)


# ----------------------------------------------------------------------------------------
# the section (also run.py's section "optimize")
# ----------------------------------------------------------------------------------------
def section(mode: str, repeats: int, res=None, out=None, sizes: list[int] | None = None) -> dict:
    """Measure everything of ``mode``; register ratios and targets on ``res`` (run.py's
    Results) when given; print the tables to ``out``."""
    with one_core():
        return _section(mode, repeats, res, out, sizes)


def _section(mode: str, repeats: int, res, out, sizes: list[int] | None) -> dict:
    settings = MODES[mode]
    sizes = sizes or settings["sizes"]
    rng = np.random.default_rng(1)
    say(f"\nOptimiser: two sensors of n qubits, v = (1, -1)/sqrt2, local dephasing gamma t = "
        f"{GAMMA_T}, fixed particles, one core (best of {repeats} for the costs)", out)
    costs, descents = [], []
    for n in sizes:
        p = problem(n)
        costs.append(cost_row(p, repeats))
        starts = list(search.MENU_STARTS) + (["random 1"] if n <= settings["random_max"]
                                             else [])
        say(f"  {n}+{n}: evaluation + gradient {costs[-1]['eval_grad_s']:.4f} s (cpu "
            f"{costs[-1]['eval_grad_cpu_s']:.4f} s)", out)
        for name in starts:
            descents.append(descent_row(p, name, rng, costs[-1]["floor_eigh_cpu_s"]))
            say(f"  {n}+{n} from {name}: {descents[-1]['iterations']} iterations, "
                f"{descents[-1]['seconds']:.1f} s (cpu {descents[-1]['cpu_s']:.1f} s)", out)
    say("\nCosts (floor: one eigh of the largest output block)", out)
    print_costs(costs, out)
    say("\nDescents from one start each (product: the one start; menu: ghz-type + local-ghz "
        "+ product)", out)
    print_descents(descents, out)
    say("", out)
    x = extrapolate(descents)
    print_extrapolation(x, out)
    e2e = end_to_end(settings["end_to_end"]) if settings["end_to_end"] in sizes else None
    if e2e:
        say(f"optimal_probe(2x{e2e['n']}, resources='fixed', restarts=0): {e2e['seconds']:.1f} "
            f"s (cpu {e2e['cpu_s']:.1f} s), bound {e2e['bound']:.10g}, limit "
            f"{e2e['limit']:.10g}, gain {e2e['gain']:.4g}", out)
    if res is not None:
        register(res, costs, descents)
    return {"gamma_t": GAMMA_T, "v": list(V), "costs": costs, "descents": descents,
            "extrapolation": x, "end_to_end": e2e}


def register(res, costs: list[dict], descents: list[dict]) -> None:
    for r in costs:
        res.ratio(f"optimize/2x{r['n']}/evaluation_over_eigh", r["eval_over_eigh_cpu"])
    for r in descents:
        if r["start"] == "product":
            res.ratio(f"optimize/2x{r['n']}/iteration_over_eigh", r["iteration_over_eigh"])
    menu = {}
    for r in descents:
        if not r["start"].startswith("random"):
            menu[r["n"]] = menu.get(r["n"], 0.0) + r["cpu_s"]
    if HEADLINE in menu:
        res.target(f"optimize 2x{HEADLINE}: cpu seconds (three menu starts)", "issue 11",
                   menu[HEADLINE], f"<= {TARGET_SECONDS:g}", menu[HEADLINE] <= TARGET_SECONDS)
    else:
        res.target(f"optimize 2x{HEADLINE}: cpu seconds (three menu starts)", "issue 11", None,
                   f"<= {TARGET_SECONDS:g}", None, "not run at this size")


# ----------------------------------------------------------------------------------------
# --numbers: the closing note's gains and limits
# ----------------------------------------------------------------------------------------
@contextlib.contextmanager
def logged_descents(log, every: float = 10.0):
    """Log the progress of every descent of the searches run inside (its bound at least every
    ``every`` seconds, and how it ended): ``search.descend`` is wrapped for the duration, the
    optimiser itself is unchanged.  The bound of a descent never increases, so the last
    logged value of an unfinished descent is an upper bound on what it reaches."""
    original = search.descend
    count = [0]

    def wrapped(objective, psi, *, callback=None, **options):
        count[0] += 1
        k, start, last = count[0], time.perf_counter(), [-math.inf]

        def progress(iteration, bound):
            now = time.perf_counter() - start
            if now - last[0] >= every:
                last[0] = now
                log(f"descent {k} (dim {objective.channel.dim}): iteration {iteration}, bound "
                    f"{bound:.12g}, {now:.1f} s")
            if callback is not None:
                callback(iteration, bound)

        run = original(objective, psi, callback=progress, **options)
        log(f"descent {k} (dim {objective.channel.dim}) ended: {run.status}, {run.iterations} "
            f"iterations, bound {run.best.bound:.12g}, gap "
            f"{run.gaps[-1] if run.gaps else math.nan:.1e}, {time.perf_counter() - start:.1f} s")
        return run

    search.descend = wrapped
    try:
        yield
    finally:
        search.descend = original


def closed_forms(kind: str, N: int, gamma_t: float) -> dict:
    """GHZ, product and (one ensemble) limit in closed form, independent of the optimiser:
    coherence :math:`\\eta = e^{-\\gamma t}` per qubit; GHZ of N qubits :math:`F = N^2\\eta^{2N}`;
    product :math:`F = N\\eta^2` per ensemble; CE :math:`F \\le N^2\\eta^2/(N(1-\\eta^2)+\\eta^2)`;
    the gradient's GHZ-type state on n + n qubits picks up :math:`n(\\phi_1-\\phi_2) =
    n\\sqrt2\\theta`, so :math:`F_\\theta = 2n^2\\eta^{2N}`."""
    eta2 = math.exp(-2 * gamma_t)
    if kind == "ensemble":
        return {"ghz": 1 / (N ** 2 * eta2 ** N), "product": 1 / (N * eta2),
                "limit": (N * (1 - eta2) + eta2) / (N ** 2 * eta2)}
    n = N // 2
    return {"ghz": 1 / (2 * n ** 2 * eta2 ** N), "product": 1 / (n * eta2), "limit": None}


def numbers_row(kind: str, N: int, gamma_t: float, restarts: int, seed: int, log) -> dict:
    if kind == "ensemble":
        net, v = Network([QubitEnsemble(N)]), [1.0]
    else:
        net, v = Network([QubitEnsemble(N // 2), QubitEnsemble(N - N // 2)]), list(V)
    log(f"--- {kind} N = {N} ({'+'.join(map(str, net.particles))}), gamma t = {gamma_t}, "
        f"restarts = {restarts}, seed = {seed}")
    start, cpu = time.perf_counter(), time.process_time()
    with logged_descents(log):
        best = optimal_probe(net, v=v, noise=NoiseModel(dephasing=gamma_t, time=1.0),
                             resources="fixed", seed=seed, restarts=restarts)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    ghz = next(r.initial for r in best.runs if r.start == "ghz-type")
    exact = closed_forms(kind, N, gamma_t)
    row = dict(kind=kind, N=N, particles=list(net.particles), restarts=restarts, seed=seed,
               gamma_t=gamma_t, bound=best.bound, separable=best.separable_bound, ghz=ghz,
               product=best.product_bound, limit=best.limit, gain=best.gain,
               max_gain=best.max_gain, product_gain=best.product_bound / best.bound,
               converged=best.converged, seconds=seconds, cpu_s=cpu, notes=best.notes,
               runs=[dataclasses.asdict(r) for r in best.runs],
               ghz_check=abs(ghz - exact["ghz"]) / exact["ghz"],
               product_check=abs(best.product_bound - exact["product"]) / exact["product"],
               limit_check=(None if exact["limit"] is None else
                            abs(best.limit - exact["limit"]) / exact["limit"]))
    log(f"done in {seconds:.1f} s (cpu {cpu:.1f} s): {best!r}")
    return row


NUMBERS_HEAD = ("| probe family | N | qubits | starts | optimum | separable | GHZ | product | "
                "limit | gain | max_gain | product/optimum | converged | cpu s | wall s |\n"
                "| --- | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | "
                "---: | --- | ---: | ---: |")


def numbers_table(rows: list[dict]) -> str:
    lines = [NUMBERS_HEAD]
    for r in rows:
        names = [x["start"] for x in r["runs"]]
        randoms = sum(name.startswith("random") for name in names)
        starts = f"{len(names)}: " + ", ".join(
            [n for n in names if not n.startswith("random")]
            + ([f"{randoms} random"] if randoms else []))
        name = "gradient, 2 sensors" if r["kind"] == "network" else "one ensemble"
        lines.append(
            f"| {name} | {r['N']} | {'+'.join(map(str, r['particles']))} | {starts} | "
            f"{r['bound']:.6g} | {r['separable']:.6g} | {r['ghz']:.6g} | {r['product']:.6g} | "
            f"{r['limit']:.6g} | {r['gain']:.4f} | {r['max_gain']:.4f} | "
            f"{r['product_gain']:.4f} | {'yes' if r['converged'] else 'NO'} | "
            f"{r['cpu_s']:.1f} | {r['seconds']:.1f} |")
    return "\n".join(lines)


def symmetry_checks(rows: list[dict]) -> str:
    """Flipping every qubit of sensor 2 maps the gradient on n + n qubits to one ensemble of N
    qubits (:math:`J_{z,1} - J_{z,2} \to J_z`, local dephasing unchanged), the two-sensor
    Dicke space containing the N-qubit one: each network number must be
    :math:`\|v\|_1^2 = 2` times the ensemble's (the optimum at most that; equal when the
    ensemble's optimum is also the network's)."""
    ensembles = {r["N"]: r for r in rows if r["kind"] == "ensemble"}
    lines = []
    for r in rows:
        e = ensembles.get(r["N"]) if r["kind"] == "network" else None
        if e is not None:
            lines.append(f"N = {r['N']}: network / (2 x ensemble) - 1: " + ", ".join(
                f"{key} {r[key] / (2 * e[key]) - 1:+.1e}"
                for key in ("bound", "ghz", "product", "limit")))
    return "\n".join(lines)


def run_numbers(args) -> int:
    log_file = open(args.log, "a") if args.log else None

    def log(text):
        stamp = datetime.datetime.now().strftime("%H:%M:%S")
        for stream in (sys.stderr, log_file):
            if stream is not None:
                print(f"[{stamp}] {text}", file=stream, flush=True)

    rows = []
    for kind in ("ensemble", "network"):
        for N in args.numbers_sizes:
            restarts = 2 if kind == "ensemble" or N <= 20 else 0
            rows.append(numbers_row(kind, N, args.gamma_t, restarts, 1, log))
            text = numbers_table(rows)
            log("\n" + text)
            if args.out:                  # after every row: a long run leaves what it did
                Path(args.out).write_text(json.dumps(rows, indent=1, default=float) + "\n")
    git = git_state()
    print(numbers_table(rows))
    print()
    print(symmetry_checks(rows))
    print(f"\ngit {git['commit']}, uncommitted changes to qsn_qutip/optimize: "
          f"{git['optimize_diff_sha1'] or 'none'}")
    return 0


# ----------------------------------------------------------------------------------------
def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="n = 4, 8, 12")
    parser.add_argument("--smoke", action="store_true", help="n = 4 (a few seconds)")
    parser.add_argument("--sizes", type=lambda s: [int(x) for x in s.split(",")],
                        help="qubits per sensor, comma-separated (default by mode)")
    parser.add_argument("--repeats", type=int, default=3, help="best of this many (costs)")
    parser.add_argument("--json", action="store_true", help="one JSON document to stdout "
                        "(the tables go to stderr)")
    parser.add_argument("--numbers", action="store_true",
                        help="the closing note's gains and limits instead of the benchmark")
    parser.add_argument("--numbers-sizes", type=lambda s: [int(x) for x in s.split(",")],
                        default=[10, 20, 50], help="total qubits N (default 10,20,50)")
    parser.add_argument("--gamma-t", type=float, default=0.05, help="for --numbers")
    parser.add_argument("--out", help="--numbers: also write the rows to this JSON file")
    parser.add_argument("--log", help="--numbers: append the progress to this file")
    args = parser.parse_args(argv)
    with one_core():
        if args.numbers:
            return run_numbers(args)
        mode = "smoke" if args.smoke else "quick" if args.quick else "full"
        out = sys.stderr if args.json else sys.stdout
        created = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
        git = git_state()
        say(f"bench_optimize, mode {mode}, {created}, BLAS on one thread, load average "
            f"{', '.join(f'{x:.2f}' for x in os.getloadavg())}; Python "
            f"{platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}; "
            f"git {git['commit']}, uncommitted changes to qsn_qutip/optimize: "
            f"{git['optimize_diff_sha1'] or 'none'}", out)
        start = time.perf_counter()
        result = section(mode, args.repeats, out=out, sizes=args.sizes)
        wall = time.perf_counter() - start
        say(f"\nwall time {wall:.0f} s; load average at the end "
            f"{', '.join(f'{x:.2f}' for x in os.getloadavg())}", out)
    if args.json:
        from run import plain
        print(json.dumps(plain({"mode": mode, "created": created, "wall_seconds": wall,
                                "git": git, "load_average": os.getloadavg(),
                                "optimize": result}), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
