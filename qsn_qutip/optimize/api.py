r""":func:`optimal_probe`: the best probe found for a task, next to the limit no probe beats."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Sequence

import numpy as np

from .._checks import as_positive_int
from .._io import package_version
from ..errors import QSNError
from ..estimation.bounds import best_separable_allocation
from ..network import Network, check_network
from ..noise.model import NoiseModel
from ..probes import Task, build_probe, reallocated, sensing_total
from ..probes.resources import check_resources
from .channel import PhaseChannel, allowed_levels, generator_values, rates_at
from .limits import Dephased, LimitModel, task_limit, time_limit, total_limit
from .result import OptimalProbe
from .checkpoint import Checkpoint, search_rng
from .search import (Search, allocations, best_state, neighbours, resume,
                     separable_optimum)
from .seesaw import Objective
from .timing import best_time, time_range

__all__ = ["optimal_probe"]


def _check_noise(noise) -> NoiseModel | None:
    if noise is None or isinstance(noise, NoiseModel):
        return noise
    raise QSNError(f"noise must be a NoiseModel or None, got {type(noise).__name__}")


def _seed(seed) -> np.random.Generator:
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))
                             or seed < 0):
        raise QSNError(f"seed must be a non-negative integer or None, got {seed!r}")
    return np.random.default_rng(seed)


def _limit_model(network: Network, noise: NoiseModel | None) -> LimitModel:
    """The dephased ensembles and the other sensors' generator diagonals of ``network``."""
    gammas = ([0.0] * len(network.sensors) if noise is None or not noise.dephasing else
              rates_at(network, noise, 1.0).dephasing)
    dephased, others, start = [], [], 0
    for k, (sensor, rows) in enumerate(zip(network.sensors, generator_values(network))):
        params = tuple(range(start, start + sensor.n_params))
        start += sensor.n_params
        if gammas[k] > 0:
            dephased.append(Dephased(params[0], sensor.particles, gammas[k]))
        else:          # the spread on the levels the probe may use (at most its particles)
            others.append((params, rows[:, allowed_levels(sensor)]))
    return LimitModel(network.n_params, tuple(dephased), tuple(others))


class _Solver:
    """The searches of one call, by (time, allocation), kept in the checkpoint."""

    def __init__(self, network, task, noise, resources, entropy, restarts, max_allocations,
                 max_iter, progress, store: Checkpoint):
        self.network, self.task, self.noise = network, task, noise
        self.resources, self.entropy, self.restarts = resources, entropy, restarts
        self.max_allocations, self.max_iter, self.progress = max_allocations, max_iter, progress
        self.store = store
        self.cache: dict = {}
        self.times: list[float] = []
        self.extra: dict = {}

    def seed_with(self, t: float | None, separable) -> None:
        """Start the search at (t, the separable allocation) also from the separable optimum,
        so the optimum found is never above it."""
        self.extra[(t, tuple(separable.numbers))] = [("separable optimum", separable.psi)]

    def one(self, numbers: Sequence[int], t: float | None) -> Search:
        key = f"{t!r}|{'+'.join(map(str, numbers))}"
        if key in self.cache:
            return self.cache[key]
        net = self.network.with_particles(list(numbers))
        stored = self.store.get(key)
        if stored is not None:
            self.cache[key] = resume(net, self.task, self.noise, t, stored)
            return self.cache[key]
        if self.progress is not None:
            self.progress(f"allocation {'+'.join(map(str, numbers))}"
                          + ("" if t is None else f", t = {t:.4g}"))
        found = best_state(net, self.task, self.noise, t, restarts=self.restarts,
                           rng=search_rng(self.entropy, key), max_iter=self.max_iter,
                           extra=self.extra.get((t, tuple(numbers)), ()))
        self.store.put(key, {"psi": found.best.psi, "history": found.history,
                             "runs": [dataclasses.asdict(r) for r in found.runs]})
        self.cache[key] = found
        return found

    def solve(self, t: float | None, separable_numbers: Sequence[int]) -> Search:
        if t is not None:
            self.times.append(t)
        if self.resources == "fixed":
            return self.one(self.network.particles, t)
        tried = allocations(self.network, self.task, [separable_numbers])
        found = [self.one(n, t) for n in tried[:self.max_allocations]]
        best = min(found, key=lambda s: s.best.bound)
        while len(tried) < self.max_allocations:
            fresh = [n for n in neighbours(self.network, best.network.particles)
                     if n not in tried][:self.max_allocations - len(tried)]
            if not fresh:
                break
            tried += fresh
            better = min((self.one(n, t) for n in fresh), key=lambda s: s.best.bound)
            if not better.best.bound < best.best.bound:
                break
            best = better
        return best


def optimal_probe(network: Network, v: Sequence[float] | None = None,
                  weights: Sequence[float] | None = None, noise: NoiseModel | None = None,
                  resources: str = "total", seed: int | None = None, *, restarts: int = 2,
                  repeats: int = 1, max_allocations: int = 8, max_iter: int | None = None,
                  progress: Callable[[str], None] | None = None,
                  checkpoint: str | os.PathLike | None = None) -> OptimalProbe:
    r"""The best probe found for a task on a network, and the limit no probe can beat.

    Searches the pure probe states of the network for the smallest bound
    :math:`v^TF^{+}v/\mu` (or :math:`\mathrm{tr}(WF^{+})/\mu`), with the QFIM of the state after
    the noise.  What the search covers: every generator diagonal in its sensor's basis (qubit
    ensembles with :math:`\hat J_z`, optical modes, atoms with diagonal generators), jointly
    across the sensors (entangled probes included); qubit ensembles in their symmetric (Dicke)
    subspaces, so two sensors of 20 qubits are a 441-dimensional search; noise of dephasing
    type (local dephasing of qubits, phase diffusion of each sensor, a common field); real
    non-negative amplitudes, which lose nothing here (:mod:`~qsn_qutip.optimize.channel`).  The
    descent (:mod:`~qsn_qutip.optimize.seesaw`) lowers the bound monotonically from the menu
    probes (GHZ-type, local GHZ, product) and ``restarts`` seeded random probes, each to a
    see-saw fixed point or a stationary point; the optimum found is therefore never above a
    menu probe, but it is a local optimum: :attr:`OptimalProbe.limit` says how far the best
    possible could be.

    Parameters
    ----------
    network : Network
    v : sequence of float, optional
        The function :math:`\theta = v^T\phi`.
    weights : sequence of float, optional
        Diagonal weights W for all parameters (default all ones, when v is None).
    noise : NoiseModel, optional
        The noise for the interrogation time ``noise.time``; ``time=None`` optimises the time
        with the state, per unit total time (the figure :math:`B(t)/t`).
    resources : {"total", "fixed"}
        ``"total"``: the N qubits of the sensing ensembles allocated freely (allocations are
        searched: the network's, the best separable, the GHZ-type one, then single-qubit
        moves, at most ``max_allocations``); ``"fixed"``: each sensor keeps its particles.
    seed : int, optional
        Seeds the random starts (the result is reproducible with it).
    restarts : int
        Random starts per search, besides the menu probes.
    repeats : int
        :math:`\mu`.
    max_allocations : int
        The most allocations searched for ``resources="total"``.
    max_iter : int, optional
        Iterations per descent (default :data:`~qsn_qutip.optimize.seesaw.SEARCH`).
    progress : callable, optional
        Called with a line of text as each search starts (for progress bars).
    checkpoint : path-like, optional
        A JSON file of the finished searches (:mod:`~qsn_qutip.optimize.checkpoint`): an
        interrupted call resumes from it and returns what an uninterrupted one would.

    Returns
    -------
    OptimalProbe

    Raises
    ------
    QSNError
        Bad arguments; generators that are not diagonal; decay or photon loss (not covered);
        ``resources="total"`` with sensors that are not Dicke ensembles; ``time=None``
        without noise growing in time.

    Examples
    --------
    >>> from qsn_qutip import Network, QubitEnsemble
    >>> net = Network([QubitEnsemble(2), QubitEnsemble(2)])
    >>> best = optimal_probe(net, v=[1, -1], seed=1)            # noiseless: ||v||_1^2/N^2
    >>> round(best.bound, 9), round(best.limit, 9), best.allocation
    (0.25, 0.25, [2, 2])
    """
    network = check_network(network)
    task = Task(network.n_params, v=v, weights=weights, repeats=repeats)
    noise = _check_noise(noise)
    resources = check_resources(resources)
    _seed(seed)
    restarts = as_positive_int(restarts, "restarts", minimum=0)
    max_allocations = as_positive_int(max_allocations, "max_allocations")
    if max_iter is not None:
        max_iter = as_positive_int(max_iter, "max_iter")
    if progress is not None and not callable(progress):
        raise QSNError(f"progress must be callable, got {progress!r}")
    if resources == "total":
        _check_total(network)
    per_time = noise is not None and noise.time is None
    PhaseChannel(network, rates_at(network, noise, 1.0))    # what is covered, before work
    entropy = seed if seed is not None else int(np.random.SeedSequence().entropy)
    store = Checkpoint(checkpoint, {
        "network": repr(network), "particles": network.particles, "dims": network.dims,
        "v": task.v, "weights": task.weights, "repeats": task.repeats,
        "noise": None if noise is None else dataclasses.asdict(noise),
        "resources": resources, "seed": seed, "restarts": restarts,
        "max_allocations": max_allocations, "max_iter": max_iter, "version": package_version()})
    solver = _Solver(network, task, noise, resources, entropy, restarts, max_allocations,
                     max_iter, progress, store)
    rng = search_rng(entropy, "separable")
    plain = Task(network.n_params, v=task.v, weights=task.weights)
    limits = _limit_model(network, noise)
    notes: list[str] = []
    if per_time:
        low, high = time_range(noise, sum(network.particles))
        try:
            limit = _limit(limits, network, plain, noise, None, resources)
        except QSNError:        # no dephasing of every qubit: no finite time bounds B(t)/t
            limit = 0.0
            notes.append("no per-unit-time limit: the limit counts local dephasing, which does "
                         "not act on every sensor of the task (limit = 0 states nothing)")
        separables: dict = {}           # each time searched once; the best one is kept

        def separable_at(t: float):
            if t not in separables:
                separables[t] = separable_optimum(network, plain, noise, t,
                                                  resources=resources, rng=rng)
            return separables[t]

        sep_t, _ = best_time(lambda t: separable_at(t).bound / t, low, high)
        separable = separable_at(sep_t)
        solver.seed_with(sep_t, separable)
        t_best, _ = best_time(lambda t: solver.solve(t, separable.numbers).best.bound / t,
                              low, high, also=[sep_t])
        search = solver.solve(t_best, separable.numbers)
        bound, separable_value = search.best.bound / t_best, separable.bound / sep_t
        product = best_time(lambda t: _product(network, plain, noise, t, resources) / t,
                            low, high)[1]
        t_report = t_best
    else:
        t = None if noise is None else noise.time
        separable = separable_optimum(network, plain, noise, t, resources=resources, rng=rng)
        solver.seed_with(t, separable)
        search = solver.solve(t, separable.numbers)
        bound, separable_value = search.best.bound, separable.bound
        product = _product(network, plain, noise, t, resources)
        limit = _limit(limits, network, plain, noise, 0.0 if t is None else t, resources)
        t_report = t
    notes += _notes(noise, separable.note)
    if not np.isfinite(product):
        notes.append("product state: not built for this network (its state needs levels the "
                     "cutoff or the particles do not allow); product_bound is nan")
    limit, reached = _reconcile(limit, bound, search.best.precision)
    if reached:
        notes.append(reached)
    mu = task.repeats
    return OptimalProbe(
        network=search.network, state=search.channel.ket(search.best.psi),
        qfim=search.best.qfim, bound=bound / mu, limit=limit / mu,
        separable_bound=separable_value / mu, product_bound=product / mu, time=t_report,
        per="time" if per_time else "shot", resources=resources,
        allocation=list(search.network.particles), runs=search.runs, history=search.history,
        converged=search.converged, notes=notes,
        noise=noise,
        searched={"allocations": len({k.split("|")[1] for k in solver.cache}),
                  "times": len(set(solver.times))},
        task={"v": None if task.v is None else task.v.tolist(),
              "weights": None if task.weights is None else task.weights.tolist(),
              "repeats": mu})


def _check_total(network: Network) -> None:
    for k in network.sensing:
        if network.sensors[k].dicke_qubits is None:
            raise QSNError(f'resources="total" allocates qubits between Dicke ensembles; '
                           f"{network.which(k)} ({network.sensors[k]!r}) is not one: use "
                           f'resources="fixed"')


def _product(network: Network, task: Task, noise, t, resources: str) -> float:
    net = network
    if resources == "total":
        allocation = best_separable_allocation(task.direction, sensing_total(network))
        net = reallocated(network, np.maximum(1, allocation))
    try:
        state, _ = build_probe("product", net)
    except QSNError:            # e.g. a coherent state the Fock cutoff truncates
        return float("nan")
    channel = PhaseChannel(net, rates_at(net, noise, t))
    return Objective(channel, task).evaluate(channel.amplitudes(state)).bound


def _limit(model: LimitModel, network: Network, task: Task, noise, t, resources) -> float:
    if resources == "total":
        gammas = [x.gamma for x in model.dephased]
        gamma = min(gammas) if len(gammas) == len(network.sensing) else 0.0
        return total_limit(task.v, sensing_total(network), gamma, t, task.weights)
    if t is None:
        return time_limit(model, task.v, task.weights)
    return task_limit(model, t, task.v, task.weights)


def _notes(noise: NoiseModel | None, separable_note: str | None) -> list[str]:
    notes = []
    if noise is not None and (noise.collective_dephasing or noise.correlated_dephasing):
        notes.append("the limit counts local dephasing only (other dephasing channels can only "
                     "lower the information, so it stays valid, but it is looser)")
    if separable_note:
        notes.append(separable_note)
    return notes


def _reconcile(limit: float, bound: float, precision: float) -> tuple[float, str | None]:
    """The limit, and a note when the probe found reaches it: within the precision of the
    bound the two are equal (the limit is then reported as the bound); a larger excess is an
    inconsistency and is said so."""
    if limit <= bound:
        return limit, None
    if limit - bound <= precision * bound:
        return bound, (f"the probe found reaches the limit (equal to the precision of the "
                       f"bound, {precision:.1e} relative)")
    return limit, (f"internal inconsistency: the limit {limit:.10g} lies above the probe "
                   f"found ({bound:.10g}); please report it")
