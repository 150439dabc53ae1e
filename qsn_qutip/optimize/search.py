r"""The searches behind :func:`~qsn_qutip.optimal_probe`: seeded starts, particle allocations,
the best sensor-separable probe and the interrogation time.

* :func:`best_state`: the descent of :mod:`~qsn_qutip.optimize.seesaw` from the menu probes
  (GHZ-type, local GHZ, product: so the optimum is never worse than any of them) and from
  ``restarts`` random probes drawn from one seeded generator; the best run wins, every run is
  reported.
* :func:`separable_optimum`: each sensor optimised alone for its own part of the task.  For
  channels acting on each sensor alone the QFIM of a sensor-separable probe is block diagonal,
  :math:`B = \sum_kv_k^TF_k^{+}v_k`, so this is the best sensor-separable probe (entanglement
  inside a sensor allowed).  With ``resources="total"`` the N qubits are split by dynamic
  programming over the per-sensor optima for every particle number.
* :func:`allocations`: for ``resources="total"``, the allocations searched: the network's,
  the best separable, the GHZ-type bottleneck, then single-qubit moves from the best until none
  improves (at most ``max_allocations``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

import numpy as np

from ..errors import QSNError
from ..estimation.bounds import best_separable_allocation, ghz_allocation
from ..network import Network
from ..noise.model import NoiseModel
from ..probes import Task, build_probe, sensing_total
from .channel import PhaseChannel, rates_at
from .seesaw import Evaluation, Objective, Run, descend

__all__ = ["StartRun", "Search", "best_state", "separable_optimum", "allocations",
           "MENU_STARTS", "neighbours", "resume", "SeparableOptimum"]

#: the menu probes every search starts from (when they apply to the network)
MENU_STARTS = ("ghz-type", "local-ghz", "product")


@dataclasses.dataclass
class StartRun:
    """One start of a search: where it began and how its descent ended."""

    start: str
    initial: float
    bound: float
    iterations: int
    status: str
    gap: float


@dataclasses.dataclass
class Search:
    """The best probe of one network at one time: its evaluation, the runs and the channel."""

    network: Network
    channel: PhaseChannel
    best: Evaluation
    runs: list[StartRun]
    history: list[float]

    @property
    def converged(self) -> bool:
        best = min(self.runs, key=lambda r: r.bound)
        return best.status in ("fixed point", "stationary")


def _menu(network: Network, task: Task) -> list[tuple[str, np.ndarray]]:
    out = []
    for name in MENU_STARTS:
        if name == "ghz-type" and task.v is None:
            continue
        try:
            state, net = build_probe(name, network, v=task.v, direction=task.direction)
        except QSNError:
            continue
        if net.particles == network.particles and state.isket:
            out.append((name, state))
    return out


def best_state(network: Network, task: Task, noise: NoiseModel | None, t: float | None, *,
               restarts: int, rng: np.random.Generator, menu: bool = True,
               extra: Sequence[tuple[str, np.ndarray]] = (), max_iter: int | None = None,
               callback: Callable | None = None) -> Search:
    """The best probe found on ``network`` at time t from the menu, ``extra`` amplitude
    vectors and ``restarts`` seeded random starts."""
    channel = PhaseChannel(network, rates_at(network, noise, t))
    objective = Objective(channel, task)
    starts = [(name, channel.amplitudes(state)) for name, state in
              (_menu(network, task) if menu else [])]
    starts += [(name, np.asarray(x, dtype=float)) for name, x in extra]
    starts += [(f"random {i + 1}", np.abs(rng.normal(size=channel.dim)))
               for i in range(restarts)]
    if not starts:
        raise QSNError("optimal_probe needs a start: menu=False with restarts=0")
    options = {} if max_iter is None else {"max_iter": max_iter}
    runs, best, history = [], None, []
    for name, x in starts:
        run: Run = descend(objective, x, callback=callback, **options)
        runs.append(StartRun(name, run.history[0], run.best.bound, run.iterations, run.status,
                             run.gaps[-1] if run.gaps else float("nan")))
        if best is None or run.best.bound < best.bound * (
                1 - max(best.precision, run.best.precision)):
            best, history = run.best, run.history       # ties within the precision: earlier
    return Search(network, channel, best, runs, history)


def resume(network: Network, task: Task, noise: NoiseModel | None, t: float | None,
           stored: dict) -> Search:
    """A finished search read back from a checkpoint (its probe re-evaluated)."""
    channel = PhaseChannel(network, rates_at(network, noise, t))
    best = Objective(channel, task).evaluate(np.asarray(stored["psi"], dtype=float))
    runs = [StartRun(**{k: (float("nan") if v is None and k == "gap" else v)
                        for k, v in r.items()}) for r in stored["runs"]]
    return Search(network, channel, best, runs, [float(x) for x in stored["history"]])


def _sub_task(task: Task, params: list[int]) -> Task | None:
    if task.v is not None:
        part = task.v[params]
        return Task(len(params), v=part) if np.any(part) else None
    part = task.weights[params]
    return Task(len(params), weights=part) if np.any(part) else None


def _sensor_params(network: Network) -> list[list[int]]:
    out, start = [], 0
    for sensor in network.sensors:
        out.append(list(range(start, start + sensor.n_params)))
        start += sensor.n_params
    return out


@dataclasses.dataclass
class SeparableOptimum:
    """The best sensor-separable probe: its bound, allocation, amplitudes on that allocation's
    network, and a note when it is not proven the best."""

    bound: float
    numbers: list[int]
    psi: np.ndarray
    note: str | None


class _SensorOptima:
    """Each sensor optimised alone on its part of the task, cached by (sensor, part, t)."""

    def __init__(self, noise, rng, restarts):
        self.noise, self.rng, self.restarts = noise, rng, restarts
        self.found: dict = {}

    def __call__(self, sensor, task: Task | None, t) -> tuple[float, np.ndarray]:
        if task is None:        # no part in the task: any state; its product state
            return 0.0, np.abs(sensor.product_state().full().ravel())
        part = task.v if task.v is not None else task.weights
        key = (repr(sensor), tuple(sensor.dims), tuple(part), task.v is None, t)
        if key not in self.found:
            best = best_state(Network([sensor]), task, self.noise, t, restarts=self.restarts,
                              rng=self.rng).best
            self.found[key] = (best.bound, best.psi)
        return self.found[key]


def separable_optimum(network: Network, task: Task, noise: NoiseModel | None,
                      t: float | None, *, resources: str, rng: np.random.Generator,
                      restarts: int = 1) -> SeparableOptimum:
    """The best sensor-separable probe (module docstring).  Under correlated dephasing the
    sensors are coupled: the product of the per-sensor optima is then evaluated on the network,
    a separable probe but not proven the best (the note says so)."""
    tasks = [_sub_task(task, p) for p in _sensor_params(network)]
    optima = _SensorOptima(noise, rng, restarts)
    if resources == "fixed":
        numbers = list(network.particles)
    else:
        numbers = _split(network, tasks, optima, t)
    net = network.with_particles(numbers)
    parts = [optima(s, tk, t) for s, tk in zip(net.sensors, tasks)]
    psi = np.ones(1)
    for _, local in parts:
        psi = np.kron(psi, local)
    total, note = float(sum(b for b, _ in parts)), None
    if noise is not None and noise.correlated_dephasing:
        note = ("correlated dephasing couples the sensors: the separable value is the product "
                "of per-sensor optima, evaluated on the network (not proven the best)")
        channel = PhaseChannel(net, rates_at(net, noise, t))
        total = Objective(channel, task).evaluate(psi).bound
    return SeparableOptimum(total, numbers, psi, note)


def _split(network, tasks, optima: _SensorOptima, t) -> list[int]:
    """Dynamic programming over the per-sensor optima for every particle number."""
    N = sensing_total(network)
    curves = [None if tk is None else
              [np.inf] + [optima(sensor.with_particles(n), tk, t)[0] for n in range(1, N + 1)]
              for sensor, tk in zip(network.sensors, tasks)]
    best = {0: (0.0, [])}
    for curve in curves:
        nxt = {}
        for used, (value, alloc) in best.items():
            choices = [(0, 0.0)] if curve is None else [
                (n, curve[n]) for n in range(1, N - used + 1)]
            for n, cost in choices:
                key = used + n
                if key not in nxt or value + cost < nxt[key][0]:
                    nxt[key] = (value + cost, alloc + [n])
        best = nxt
    _, alloc = min(best.values(), key=lambda x: x[0])
    numbers = list(network.particles)
    for k, n in enumerate(alloc):
        if curves[k] is not None:
            numbers[k] = n
    return numbers


def allocations(network: Network, task: Task, first: Sequence[Sequence[int]]) -> list[list[int]]:
    """The starting allocations of a ``resources="total"`` search (distinct, in order)."""
    N = sensing_total(network)
    direction = task.direction
    candidates = [list(network.particles), *[list(x) for x in first],
                  _full(network, best_separable_allocation(direction, N))]
    if task.v is not None:
        candidates.append(_full(network, ghz_allocation(task.v, N)))
    out = []
    for numbers in candidates:
        if numbers not in out and all(n >= 1 for n in numbers):
            out.append(numbers)
    return out


def _full(network: Network, sensing_numbers) -> list[int]:
    """The particle numbers of every sensor with ``sensing_numbers`` on the sensing ones (zeros
    kept: such an allocation is filtered out, not built)."""
    numbers = list(network.particles)
    for k, n in zip(network.sensing, sensing_numbers):
        numbers[k] = int(n)
    return numbers


def neighbours(network: Network, numbers: Sequence[int]) -> list[list[int]]:
    """Allocations one qubit away (moved between two sensing sensors, none left empty)."""
    out = []
    for a in network.sensing:
        for b in network.sensing:
            if a != b and numbers[a] > 1:
                moved = list(numbers)
                moved[a] -= 1
                moved[b] += 1
                out.append(moved)
    return out
