r"""Compare probes on one estimation task, under one resource constraint, and say why.

A task is either a linear function :math:`\theta = v^T\phi` (bound
:math:`v^TF^{+}v/\mu`) or all parameters with diagonal weights W (bound
:math:`\sum_kW_{kk}[F^{+}]_{kk}/\mu`).  :func:`compare` evaluates built-in probes (and any
the user passes) under one resource constraint (``resources="total"``, the paper's: N
particles allocated freely; or ``"fixed"``, the hardware's) and returns a :class:`Comparison`:
one :class:`ProbeResult` per probe (with the constraints it satisfies), the limit no probe
beats under the constraint where it is known, and a :class:`Verdict` that ranks only the
probes under the constraint (:mod:`qsn_qutip.report.verdict`).

The built-in probes and the task live in :mod:`qsn_qutip.probes`, the one registry; the
optimised probe ``"optimal"`` (opt-in: a search) in :mod:`qsn_qutip.report.optimal`, and how a
probe state becomes a row in :mod:`qsn_qutip.report.rows`.  A noise model without a time
(``noise.time`` None) compares every probe at its own optimal interrogation time, per unit
time.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Sequence

import numpy as np
import qutip

from ..errors import QSNError
from .._checks import as_positive_int, as_real_vector
from .._io import html_table, json_ready
from ..network import Network
from ..operators import phi_dependent
from ..noise import NoiseModel
from ..optimize import OptimalProbe
from ..probes import (BUILTIN_PROBES, DEFAULT_PROBES, PROBES, REFERENCES, SEPARABLE, Task,
                      build_probe, check_resources, fits, parse_probe, probe_name,
                      several_parameters)
from ..probes.resources import describe_resources
from . import optimal as optimised
from . import verdict as judge
from .rows import ProbeResult, is_product, not_applicable, per_unit_time, state_row

__all__ = ["compare", "build_probe", "Comparison", "ProbeResult", "Verdict", "BUILTIN_PROBES",
           "DEFAULT_PROBES", "SEPARABLE", "REFERENCES"]


@dataclasses.dataclass
class Verdict:
    """Which probe wins under the comparison's constraint, by how much over the best
    sensor-separable one, and why.

    Attributes
    ----------
    best : str or None
        The ranked probe with the lowest bound (ties: the first listed); None when no probe
        in the table satisfies the constraint.  Reference strategies (``time-shared``) and
        probes outside the constraint are reported, not ranked.
    best_separable : str or None
    ratio : float or None
        bound(best) / bound(best_separable) (< 1 means entanglement helps).
    reason : str
        The statement of the paper that explains the result, and the table's caveats.
    resources : str
        The constraint the ranking is under: ``"total"`` or ``"fixed"``.
    like_for_like : bool
        False when the probes use different mean resources (see the probes' notes).
    """

    best: str | None
    best_separable: str | None
    ratio: float | None
    reason: str
    resources: str = "total"
    like_for_like: bool = True


@dataclasses.dataclass
class Comparison:
    r"""The result of :func:`compare`: per-probe results, the limit and the verdict.

    Attributes
    ----------
    network : Network
    v : numpy.ndarray or None
        The function vector (None for the all-parameters task).
    weights : numpy.ndarray or None
        The diagonal of W (None for the function task).
    repeats : int
    probes : list of ProbeResult
    verdict : Verdict
    noise : NoiseModel or None
        The decoherence the bounds include (None: noiseless).
    resources : str
        The resource constraint: ``"total"`` (the paper's) or ``"fixed"`` (the hardware's).
    limit : float or None
        The least bound any probe reaches under the constraint (noise only raises bounds),
        where it is known (:func:`qsn_qutip.report.verdict.limit`); None otherwise.
    limit_note : str
        How the limit is set, or why none is stated.
    phi : numpy.ndarray or None
        The point :math:`\phi` the QFIMs are evaluated at: the one given, or zeros for
        generators that do not commute when none is given; None when the bounds do not
        depend on it (commuting generators, no point given).
    phi_note : str
        How ``phi`` was chosen (printed under the table).
    optimal : OptimalProbe or None
        With ``"optimal"`` among the probes: what :func:`~qsn_qutip.optimal_probe` found, with
        the limit no probe beats under the noise and the constraint; the table's ``optimal:``
        line and the JSON's ``limit.optimal`` state "entanglement can gain at most X here; the
        best probe found gains Y" (:func:`qsn_qutip.report.optimal.gain_sentence`).
    """

    network: Network
    v: np.ndarray | None
    weights: np.ndarray | None
    repeats: int
    probes: list[ProbeResult]
    verdict: Verdict
    noise: NoiseModel | None = None
    resources: str = "total"
    limit: float | None = None
    limit_note: str = ""
    phi: np.ndarray | None = None
    phi_note: str = ""
    optimal: OptimalProbe | None = None

    def __getitem__(self, name: str) -> ProbeResult:
        for probe in self.probes:
            if probe.name == name:
                return probe
        raise KeyError(name)

    @property
    def task(self) -> str:
        """A one-line description of the task."""
        if self.v is not None:
            return f"theta = v . phi with v = {np.round(self.v, 6).tolist()}"
        return f"all {len(self.weights)} parameters, weights W = {self.weights.tolist()}"

    def to_dict(self) -> dict:
        """A JSON-ready summary (:func:`~qsn_qutip._io.json_ready`): no numpy types, no
        infinities (null, with the reason in the probe's note)."""
        probes = []
        for p in self.probes:
            note = p.notes
            if p.bound is not None and not np.isfinite(p.bound):
                note = ("not estimable: the task's direction lies outside the range of the "
                        "QFIM" + (f"; {note}" if note else ""))
            entry = {"name": p.name, "allocation": p.allocation, "resources": p.resources,
                     "qfim": p.qfim, "bound": p.bound, "separable": p.separable,
                     "satisfies": list(p.satisfies), "ranked": p.ranked, "note": note}
            if self.noise is not None:
                entry.update(optimal_time=p.optimal_time, omega_bound=p.omega_bound)
            probes.append(entry)
        noise = None if self.noise is None else {
            key: None if value is None else np.asarray(value, dtype=float)
            for key, value in dataclasses.asdict(self.noise).items()}
        limit = {"bound": self.limit, "note": self.limit_note}
        if self.optimal is not None:
            limit["optimal"] = optimised.summary(self.optimal)
        return json_ready({
            "parameters": self.network.n_params,
            "task": {"function": self.v, "weights": self.weights, "repeats": self.repeats,
                     "noise": noise, "description": self.task, "phi": self.phi,
                     "phi_note": self.phi_note,
                     "per": "time" if per_unit_time(self.noise) else "shot"},
            "resources": {"constraint": self.resources,
                          "description": describe_resources(self.resources, self.network)},
            "limit": limit,
            "probes": probes,
            "verdict": dataclasses.asdict(self.verdict)})

    def sweep_row(self) -> dict:
        """One row of a sweep: every probe's bound (None when n/a or not estimable), ``best``
        and ``ratio`` under the constraint, ``resources`` (the constraint) and ``notes`` (why
        a probe is n/a or not ranked: ``"name: reason"`` joined by `` | ``).

        Examples
        --------
        >>> from qsn_qutip import Network, QubitEnsemble
        >>> row = compare(Network([QubitEnsemble(2), QubitEnsemble(4)]), v=[-1, 1],
        ...               probes=["ghz", "optimal-ghz", "local-ghz"]).sweep_row()
        >>> row["best"], row["resources"], row["notes"][:40]
        ('optimal-ghz', 'total', 'ghz: Eq. 1 needs particle numbers propor')
        """
        summary = self.to_dict()
        row = {p["name"]: p["bound"] for p in summary["probes"]}
        if self.noise is not None:          # each probe's optimal time and Var*T at it
            for p in summary["probes"]:
                row[f"{p['name']}:t*"] = p.get("optimal_time")
                row[f"{p['name']}:Var*T"] = p.get("omega_bound")
        if self.optimal is not None:
            row.update({"optimal:limit": self.optimal.limit,
                        "optimal:max_gain": self.optimal.max_gain})
        row.update(best=self.verdict.best, ratio=self.verdict.ratio, resources=self.resources,
                   notes=" | ".join(f"{p.name}: {p.notes}" for p in self.probes
                                    if p.notes and not p.ranked))
        return row

    def _row(self, p: ProbeResult, best_sep: float | None, noisy: bool) -> str:
        alloc = "-" if p.allocation is None else "+".join(map(str, p.allocation))
        res = "-" if p.resources is None else f"{p.resources:.4g}" + ("*" if p.resource_note
                                                                      else "")
        fit = "+".join(sorted(p.satisfies, reverse=True)) or "-"
        mark = "" if p.ranked or not p.applies else " (ref)" if p.name in REFERENCES else " (x)"
        name = f"{p.name}{mark}"
        notes = f"   {p.notes}" if p.notes else ""
        if p.bound is None:
            return f"{name:<22} {alloc:<12} {res:>9} {'n/a':>12} {'-':>10} {fit:<11}{notes}"
        ratio = f"{p.bound / best_sep:.4g}" if best_sep and np.isfinite(p.bound) else "-"
        timing = ""
        if noisy:
            timing = (f" {p.optimal_time:>10.4g} {p.omega_bound:>11.4g}"
                      if p.optimal_time is not None else f" {'-':>10} {'-':>11}")
        return (f"{name:<22} {alloc:<12} {res:>9} {p.bound:>12.6g} {ratio:>10} {fit:<11}"
                f"{timing}{notes}")

    def __str__(self) -> str:
        best_sep = (self[self.verdict.best_separable].bound
                    if self.verdict.best_separable else None)
        noisy = self.noise is not None
        lines = [f"task: {self.task}; repeats mu = {self.repeats}",
                 f"resources: {describe_resources(self.resources, self.network)}; the verdict "
                 f"ranks the probes under it"]
        if per_unit_time(self.noise):
            lines.append(f"noise: {_describe_noise(self.noise)}; no interrogation time given: "
                         f"every probe at its own optimal time t*, bounds per unit time "
                         f"(Var*T/mu, Var*T = variance of the frequency function x total time)")
        elif noisy:
            lines.append(f"noise: {_describe_noise(self.noise)}; bounds for the phases "
                         f"phi = omega t at t = {self.noise.time:g}; t* = optimal interrogation "
                         f"time, Var*T = variance of the frequency function x total time at t*")
        if self.phi_note:
            lines.append(self.phi_note)
        lines.append(f"{'probe':<22} {'allocation':<12} {'resources':>9} {'bound':>12} "
                     f"{'/best sep.':>10} {'satisfies':<11}"
                     + (f" {'t*':>10} {'Var*T':>11}" if noisy else ""))
        lines.extend(self._row(p, best_sep, noisy) for p in self.probes)
        noiseless = (" (noiseless: noise only raises the bounds)"
                     if noisy and not per_unit_time(self.noise) else "")
        lines.append(f"limit: {self.limit:.6g}{noiseless}; {self.limit_note}"
                     if self.limit is not None else f"limit: {self.limit_note}")
        if self.optimal is not None:
            lines.append(f"optimal: {optimised.gain_sentence(self.optimal)}")
        marks = [f"(x): not under the {self.resources} constraint, not ranked" for p in self.probes
                 if p.applies and not p.ranked and p.name not in REFERENCES][:1]
        marks += ["(ref): a reference strategy, not ranked" for p in self.probes
                  if p.applies and p.name in REFERENCES][:1]
        if marks:
            lines.append("; ".join(marks))
        if any(p.resource_note for p in self.probes):
            lines.append("*: a different mean resource from the best separable probe")
        if self.verdict.best is None:
            lines.append(f"verdict: no probe ranked under the {self.resources} constraint")
        else:
            lines.append(f"verdict: {self.verdict.best} is best under the {self.resources} "
                         f"constraint" + (f" ({self.verdict.ratio:.4g} x the best separable, "
                                          f"{self.verdict.best_separable})"
                                          if self.verdict.ratio is not None else ""))
        lines.append(f"why: {self.verdict.reason}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        """The table of :meth:`__str__` as HTML, for Jupyter (no QFIM arrays)."""
        best_sep = (self[self.verdict.best_separable].bound
                    if self.verdict.best_separable else None)
        noisy = self.noise is not None
        header = ["probe", "allocation", "resources", "bound", "/ best sep.", "satisfies",
                  *(["t*", "Var*T"] if noisy else []), "notes"]
        rows = []
        for p in self.probes:
            mark = ("" if p.ranked or not p.applies else
                    " (ref)" if p.name in REFERENCES else " (x)")
            ratio = (p.bound / best_sep if best_sep and p.bound is not None
                     and np.isfinite(p.bound) else None)
            rows.append([p.name + mark, p.allocation, p.resources,
                         "n/a" if p.bound is None else p.bound, ratio,
                         "+".join(sorted(p.satisfies, reverse=True)) or None,
                         *([p.optimal_time, p.omega_bound] if noisy else []), p.notes])
        tail = [line for line in str(self).splitlines()
                if line.startswith(("limit:", "optimal:", "(x)", "(ref)", "*:", "verdict:",
                                    "why:"))]
        return html_table(header, rows, caption=f"task: {self.task}; repeats μ = "
                          f"{self.repeats}; resources: {self.resources}", notes=tail)

    def plot(self, **kwargs):
        """Draw the comparison: a dot per probe on a log scale; returns ``(fig, ax)``.

        The drawing is :func:`qsn_qutip.figures.comparison.plot` (keywords ``fig_ax``,
        ``title``, ``style="paper"``, ``width``).  The figures sit above this layer, so the
        module is looked up when called — as pandas finds its plotting backend — and importing
        :mod:`qsn_qutip.report` never loads matplotlib.
        """
        return importlib.import_module("..figures.comparison", __package__).plot(self, **kwargs)


def _describe_noise(noise: NoiseModel) -> str:
    """The non-trivial entries of a noise model, e.g. ``dephasing = 0.1, time = 2``."""
    parts = [f"{f.name} = {getattr(noise, f.name)}" for f in dataclasses.fields(noise)
             if f.name != "time" and np.any(np.asarray(getattr(noise, f.name), dtype=float)
                                            != f.default)]
    return ", ".join(parts) or "none"


def _builtin(name: str, network: Network, task: Task, noise: NoiseModel | None,
             phi: np.ndarray | None = None) -> ProbeResult:
    """A built-in probe of the registry evaluated on the task (or why it does not apply)."""
    probe = PROBES[name]
    if probe.is_reference:
        if noise is not None:
            return not_applicable(name, network, f"the {name} reference is computed "
                                                 f"without noise")
        problem = several_parameters(network)
        if problem:
            return not_applicable(name, network, f"needs one parameter per sensor ({problem})")
        ref = probe.reference(network, task.direction)
        return ProbeResult(name, None, ref.resources, ref.qfim, task.bound(ref.qfim),
                           probe.separable, ref.note, fits=fits(network, network, None))
    try:
        state, net = build_probe(name, network, task.v, task.direction)
    except QSNError as err:
        return not_applicable(name, network, str(err))
    return state_row(name, net, state, task, noise, probe.separable, network, phi)


def _point(network: Network, phi) -> tuple[np.ndarray | None, str]:
    """(phi, note) for :func:`compare`: the given point, zeros when the generators do not
    commute and none is given (the QFIM then depends on it), None when it does not matter."""
    if phi is not None:
        point = as_real_vector(phi, "phi", length=network.n_params)
        return point, f"evaluated at phi = {np.round(point, 6).tolist()}"
    if phi_dependent(network.local_generators):
        return np.zeros(network.n_params), ("evaluated at phi = 0 (the generators do not "
                                            "commute; give phi to choose the point)")
    return None, ""


def _parsed(probes, network: Network) -> list:
    """The probes of :func:`compare`, checked: names (built-in or ``"optimal"``) and
    ``(name, state)`` pairs, distinct."""
    if isinstance(probes, str) or not isinstance(probes, Sequence) or not probes:
        raise QSNError("probes must be a non-empty list of probe names or (name, state) pairs")
    parsed = [optimised.check_probe_name(probe, f"probes[{k}]") if isinstance(probe, str) and
              probe not in PROBES else parse_probe(probe, network, argument=f"probes[{k}]")
              for k, probe in enumerate(probes)]
    names = [probe_name(probe) for probe in parsed]
    if len(set(names)) != len(names):
        raise QSNError(f"probe names must be distinct, got {names}")
    return parsed


def _evaluate(probes: list, network: Network, task: Task, noise: NoiseModel | None,
              resources: str, seed, point) -> tuple[list[ProbeResult], OptimalProbe | None]:
    """Every probe's row, and what the optimiser found when ``"optimal"`` is listed."""
    results, found = [], None
    for probe in probes:
        if probe == optimised.OPTIMAL:
            row, found = optimised.optimal_row(network, task, noise, resources, seed, point)
        elif isinstance(probe, str):
            row = _builtin(probe, network, task, noise, point)
        else:
            row = state_row(probe[0], network, probe[1], task, noise,
                            is_product(probe[1], network), network, point)
            note = network.truncation_note(probe[1], probe[0])   # cut off by a Fock cutoff
            if note:
                row.note = "; ".join(n for n in (row.note, note) if n)
        results.append(row)
    if not any(r.applies for r in results):
        raise QSNError("no probe applies to this network and task: "
                       + "; ".join(f"{r.name}: {r.note}" for r in results))
    return results, found


def _limit(network: Network, task: Task, resources: str, noise: NoiseModel | None,
           found: OptimalProbe | None) -> tuple[float | None, str]:
    """The comparison's limit: the noiseless one of :func:`~qsn_qutip.report.verdict.limit`
    per shot; per unit time (``noise.time`` None) the optimiser's, when it ran."""
    if not per_unit_time(noise):
        return judge.limit(network, task, resources)
    if found is not None:
        return found.limit, ("limit per unit time under this noise and constraint (the "
                             "channel-extension bound of qsn_qutip.optimize.limits): no probe "
                             "goes below")
    return None, ("no limit stated per unit time: without noise the information grows "
                  "without bound with t; add \"optimal\" to the probes for the limit under "
                  "this noise")


def compare(network: Network, v: Sequence[float] | None = None,
            weights: Sequence[float] | None = None,
            probes: Sequence[str | tuple[str, qutip.Qobj]] = DEFAULT_PROBES,
            repeats: int = 1, noise: NoiseModel | None = None,
            resources: str = "total", phi: Sequence[float] | None = None, *,
            seed: int | None = None) -> Comparison:
    r"""Evaluate probes on one task, under one resource constraint, and say which wins and why.

    Parameters
    ----------
    network : Network
    v : sequence of float, optional
        The function :math:`\theta = v^T\phi` (used as given).
    weights : sequence of float, optional
        Diagonal weights W for estimating all parameters (default: all ones, when v is None).
    probes : sequence
        Built-in names (:data:`BUILTIN_PROBES`), ``"optimal"`` (the best probe
        :func:`~qsn_qutip.optimal_probe` finds for this network, task, noise and constraint,
        with the limit no probe beats: :mod:`qsn_qutip.report.optimal`; opt-in, a search
        takes seconds to minutes) and/or ``(name, state)`` pairs of the user's own kets or
        density matrices on the network.
    repeats : int
        :math:`\mu`; every bound is divided by it.
    noise : NoiseModel, optional
        Decoherence during the interrogation time ``noise.time``: the bounds are then for the
        phases :math:`\phi = \omega t` of the noisy probes, and each probe also gets its
        optimal interrogation time for the frequencies (``optimal_time``, ``omega_bound``)
        when the task is a function (or there is one parameter).  ``noise.time`` None
        compares every probe at its own optimal time: bounds per unit time,
        :math:`v^TF_\phi(t^*)^{+}v/(\mu t^*)` (a function, or one parameter; ``"optimal"``
        optimises the time with the state).
    resources : {"total", "fixed"}
        The constraint the verdict ranks under (:mod:`qsn_qutip.probes.resources`):
        ``"total"``, the paper's (the N particles of the network allocated freely across the
        sensors, one allocation for all shots), or ``"fixed"``, the hardware's (each sensor
        keeps its particles).  Every probe reports the constraints it satisfies; the others
        are listed, not ranked.
    phi : sequence of float, optional
        The point the QFIMs are evaluated at.  It matters only when generators of one sensor
        do not commute (the QFIM then depends on it, Theorem 2's setting); without it such a
        network is evaluated at :math:`\phi = 0`, and the result says so
        (:attr:`Comparison.phi`, :attr:`Comparison.phi_note`).
    seed : int, optional
        Seeds the random starts of ``"optimal"`` (reproducible with it).

    Returns
    -------
    Comparison

    Examples
    --------
    >>> import numpy as np
    >>> from qsn_qutip import Network, QubitEnsemble
    >>> net = Network([QubitEnsemble(4), QubitEnsemble(4)])
    >>> result = compare(net, v=np.array([-1, 1]) / np.sqrt(2))
    >>> round(result["ghz"].bound, 6), round(result["local-ghz"].bound, 6)
    (0.03125, 0.0625)
    >>> uneven = Network([QubitEnsemble(4), QubitEnsemble(7), QubitEnsemble(9)])
    >>> fixed = compare(uneven, v=[1, -2, 1], resources="fixed")
    >>> fixed.verdict.best, round(fixed.limit * 49, 9), fixed["optimal-ghz"].ranked
    ('ghz-type', 4.0, False)
    """
    if not isinstance(network, Network):
        raise QSNError(f"network must be a Network, got {type(network).__name__}")
    if noise is not None and not isinstance(noise, NoiseModel):
        raise QSNError(f"noise must be a NoiseModel, got {type(noise).__name__}")
    resources = check_resources(resources)
    seed = None if seed is None else as_positive_int(seed, "seed", minimum=0)
    if noise is not None and noise.time is None and not any(r > 0 for r in noise.rates):
        raise QSNError("noise: time=None compares every probe at its own best interrogation "
                       "time, which needs a rate that grows with time (dephasing, decay ...); "
                       "give noise.time")
    noise = None if noise is None or noise.is_trivial() else noise
    task = Task(network.n_params, v, weights, repeats)
    point, phi_note = _point(network, phi)
    results, found = _evaluate(_parsed(probes, network), network, task, noise, resources,
                               seed, point)
    best, best_sep = judge.rank(results, resources)
    bound, bound_note = _limit(network, task, resources, noise, found)
    unequal = judge.flag_resources(results, best_sep, best)
    ratio = (best.bound / best_sep.bound if best is not None and best_sep is not None
             and np.isfinite(best_sep.bound) and best_sep.bound > 0 else None)
    verdict = Verdict(best.name if best else None, best_sep.name if best_sep else None, ratio,
                      judge.reason(network, task, results, resources, best, best_sep, bound,
                                   unequal, noise is not None,
                                   None if found is None else
                                   optimised.gain_sentence(found, short=True)),
                      resources, not unequal)
    return Comparison(network, task.v, task.weights, task.repeats, results, verdict, noise,
                      resources, bound, bound_note, point, phi_note, found)
