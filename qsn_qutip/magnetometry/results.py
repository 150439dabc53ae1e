r"""Results of a comparison in physical units: per quantity, per probe; tables and JSON.

:func:`~qsn_qutip.magnetometry.compare_field` returns a :class:`FieldComparison`: for every
quantity of interest a :class:`QuantityResult` with the comparison of the probes in phase
space (:class:`~qsn_qutip.report.Comparison`, noiseless: the paper's verdict) and, per probe,
a :class:`ProbeSensitivity` in SI units: the interrogation time, the standard deviation and
the sensitivity (unit per :math:`\sqrt{\mathrm{Hz}}`), with the noise and, for the product
probe, the readout.  Every number printed or written to JSON carries its unit.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .._io import json_ready
from ..noise import NoiseModel
from ..report import Comparison
from .sensitivity import Readout, Timing
from .species import GAMMA_UNIT
from .task import FieldTask
from .units import RATE, SECOND, format_quantity

__all__ = ["ProbeSensitivity", "QuantityResult", "FieldComparison"]


@dataclasses.dataclass
class ProbeSensitivity:
    """One probe on one quantity, in SI units.

    Attributes
    ----------
    name : str
    allocation : list of int or None
    separable : bool or None
    ranked : bool
        Ranked under the comparison's resource constraint (as in the phase-space table).
    time : float or None
        The interrogation time t (s) the numbers are for: the given one, or the probe's best.
    variance : float or None
        The bound on the variance from one shot (unit squared); ``inf``: no information;
        None: the probe does not apply (see ``note``).
    sensitivity : float or None
        :math:`\\sigma\\sqrt{t+t_d}` (unit/sqrt(Hz)).
    std : float or None
        The standard deviation after the repeats (or after the total time).
    readout_sensitivity : float or None
        The sensitivity with the imperfect readout (the product probe only), next to the
        projection-noise-limited ``sensitivity``.
    note : str
    qfim : numpy.ndarray or None
        The QFIM of the phases at ``time``.
    """

    name: str
    allocation: list[int] | None
    separable: bool | None
    ranked: bool
    time: float | None = None
    variance: float | None = None
    sensitivity: float | None = None
    std: float | None = None
    readout_sensitivity: float | None = None
    note: str = ""
    qfim: np.ndarray | None = None

    @property
    def applies(self) -> bool:
        return self.variance is not None

    def to_dict(self, unit: str, readout: bool) -> dict:
        entry = {"name": self.name, "time": self.time, "time_unit": SECOND,
                 "std": self.std, "std_unit": unit, "sensitivity": self.sensitivity,
                 "sensitivity_unit": f"{unit}/sqrt(Hz)", "ranked": self.ranked,
                 "separable": self.separable, "note": self.note}
        if readout:
            entry["readout_sensitivity"] = self.readout_sensitivity
        return entry


@dataclasses.dataclass
class QuantityResult:
    """The probes compared on one quantity of interest.

    Attributes
    ----------
    name, unit : str
    function : numpy.ndarray
        w with quantity = w . phi at t = 1 s (at time t: w / t), in the unit per radian.
    comparison : Comparison
        The noiseless phase-space comparison for theta = v . phi, v = w/|w| (repeats 1).
    probes : list of ProbeSensitivity
    reference_time : float or None
        The t of the SQL and Heisenberg references.
    sql, heisenberg : float or None
        Noiseless reference sensitivities at ``reference_time``: product states
        (:math:`F = \\mathrm{diag}(n_k\\kappa_k^2)`) and the limit no probe under the
        comparison's constraint beats (:attr:`Comparison.limit`).
    best, best_separable : str or None
        The ranked probes with the least sensitivity.
    ratio : float or None
        sensitivity(best) / sensitivity(best separable).
    """

    name: str
    unit: str
    function: np.ndarray
    comparison: Comparison
    probes: list[ProbeSensitivity]
    reference_time: float | None = None
    sql: float | None = None
    heisenberg: float | None = None
    best: str | None = None
    best_separable: str | None = None
    ratio: float | None = None

    @property
    def sensitivity_unit(self) -> str:
        return f"{self.unit}/sqrt(Hz)"

    def __getitem__(self, name: str) -> ProbeSensitivity:
        for probe in self.probes:
            if probe.name == name:
                return probe
        raise KeyError(name)

    def to_dict(self, readout: bool) -> dict:
        references = {key: {"sensitivity": value, "unit": self.sensitivity_unit,
                            "time": self.reference_time, "time_unit": SECOND}
                      for key, value in (("sql", self.sql), ("heisenberg", self.heisenberg))}
        return {"quantity": self.name, "unit": self.unit,
                "sensitivity_unit": self.sensitivity_unit,
                "function": self.function, "function_unit": f"{self.unit} s/rad",
                "direction": self.comparison.v, "references": references,
                "best": self.best, "best_separable": self.best_separable,
                "ratio": self.ratio,
                "probes": [p.to_dict(self.unit, readout) for p in self.probes]}

    def _row(self, p: ProbeSensitivity, readout: bool) -> str:
        alloc = "-" if p.allocation is None else "+".join(map(str, p.allocation))
        mark = "" if p.ranked or not p.applies else " (x)"
        cells = [f"{p.name + mark:<20}", f"{alloc:<14}"]
        if not p.applies:
            return " ".join(cells) + f" {'n/a':>11}   {p.note}"
        ratio = "-"
        if self.best_separable and p.sensitivity is not None and np.isfinite(p.sensitivity):
            ref = self[self.best_separable].sensitivity
            ratio = f"{p.sensitivity / ref:.4g}"
        cells += [f"{format_quantity(p.time, SECOND):>11}",
                  f"{format_quantity(p.std, self.unit):>18}",
                  f"{format_quantity(p.sensitivity, self.sensitivity_unit):>26}",
                  f"{ratio:>10}"]
        if readout:
            cells.append(f"{format_quantity(p.readout_sensitivity, self.sensitivity_unit):>26}")
        return " ".join(cells) + (f"   {p.note}" if p.note else "")

    def lines(self, readout: bool, after: str) -> list[str]:
        """The table of this quantity."""
        w = ", ".join(f"{x:.5g}" for x in self.function)
        head = [f"{self.name} [{self.unit}] = w . phi / t, w = [{w}] {self.unit} s/rad",
                f"{'probe':<20} {'allocation':<14} {'t':>11} {'std ' + after:>18} "
                f"{'sensitivity':>26} {'/best sep.':>10}"
                + (f" {'with readout':>26}" if readout else "")]
        rows = [self._row(p, readout) for p in self.probes]
        t_ref = format_quantity(self.reference_time, SECOND)
        tail = [f"SQL (product states, noiseless, t = {t_ref}): "
                f"{format_quantity(self.sql, self.sensitivity_unit)}",
                f"Heisenberg limit (no probe under the {self.comparison.resources} constraint "
                f"does better, noiseless, t = {t_ref}): "
                f"{format_quantity(self.heisenberg, self.sensitivity_unit)}"]
        if self.best is not None:
            text = (f"best: {self.best}, "
                    f"{format_quantity(self[self.best].sensitivity, self.sensitivity_unit)}")
            if self.ratio is not None and self.best != self.best_separable:
                text += (f" ({self.ratio:.4g} x the sensitivity of the best separable probe, "
                         f"{self.best_separable})")
            tail.append(text)
        else:
            tail.append("best: no ranked probe has a finite sensitivity")
        verdict = self.comparison.verdict
        tail.append(f"phases without noise: {verdict.best} is best"
                    + (f" ({verdict.ratio:.4g} x the variance of {verdict.best_separable})"
                       if verdict.ratio is not None and verdict.best != verdict.best_separable
                       else "") + f"; why: {verdict.reason}")
        return head + rows + tail


def _noise_lines(noise: NoiseModel | None) -> str:
    if noise is None:
        return "noise: none"
    parts = []
    for field in dataclasses.fields(noise):
        value = getattr(noise, field.name)
        if field.name == "time" or np.all(np.asarray(value, dtype=float) == field.default):
            continue
        unit = "" if field.name == "transmission" else f" {RATE}"
        parts.append(f"{field.name} = {value}{unit}")
        if field.name == "dephasing" and np.ndim(value) == 0 and value > 0:
            parts[-1] += f" (T2 = {format_quantity(1 / value, SECOND)})"
    return "noise: " + (", ".join(parts) or "none")


@dataclasses.dataclass
class FieldComparison:
    """The probes of a sensor array compared on every quantity of interest, in SI units.

    Attributes
    ----------
    task : FieldTask
    timing : Timing
    noise : NoiseModel or None
        Rates per second.
    readout : Readout or None
    repeats : int
    quantities : list of QuantityResult
    """

    task: FieldTask
    timing: Timing
    noise: NoiseModel | None
    readout: Readout | None
    repeats: int
    quantities: list[QuantityResult]

    @property
    def comparison(self) -> Comparison:
        """The phase-space comparison of the first quantity (what ``qsn run --plot`` draws)."""
        return self.quantities[0].comparison

    @property
    def verdict(self):
        """The phase-space verdict of the first quantity."""
        return self.comparison.verdict

    def __getitem__(self, name: str) -> QuantityResult:
        for quantity in self.quantities:
            if quantity.name == name:
                return quantity
        raise KeyError(name)

    def field_dict(self) -> dict:
        """The physical side of the model: sensors, field, time, noise, readout, results."""
        array = self.task.array
        sensors = [{"name": array.network.sensors[k].name, "position": array.positions[k],
                    "position_unit": "m", "species": array.species[k],
                    "gamma": array.gammas[k], "gamma_unit": GAMMA_UNIT,
                    "axes": array.network.sensors[k].field_axes} for k in array.sensing]
        roles = {**{n: "estimated" for n in self.task.interest},
                 **{n: "nuisance" for n in self.task.nuisance},
                 **{n: "known" for n in self.task.known}}
        noise = None if self.noise is None else {
            f.name: getattr(self.noise, f.name) for f in dataclasses.fields(self.noise)
            if f.name != "time"}
        if noise is not None:
            noise["unit"] = RATE
        readout = None if self.readout is None else dataclasses.asdict(self.readout)
        return {"model": self.task.field.kind, "description": self.task.field.describe(),
                "parameters": [{"name": p.name, "unit": p.unit, "role": roles[p.name]}
                               for p in self.task.parameters],
                "sensors": sensors,
                "time": {"t": self.timing.t, "dead_time": self.timing.dead_time,
                         "total": self.timing.total, "unit": SECOND},
                "noise": noise, "readout": readout, "repeats": self.repeats,
                "quantities": [q.to_dict(self.readout is not None) for q in self.quantities]}

    def to_dict(self) -> dict:
        """The phase-space JSON of the first quantity (:meth:`Comparison.to_dict`), each of
        its probes with its SI numbers and units, and ``task.field`` (:meth:`field_dict`)."""
        first = self.quantities[0]
        document = self.comparison.to_dict()
        readout = self.readout is not None
        for entry in document["probes"]:
            si = first[entry["name"]].to_dict(first.unit, readout)
            entry.update({key: value for key, value in si.items()
                          if key not in ("name", "ranked", "separable", "note")},
                         quantity=first.name)
            if si["note"] and si["note"] not in entry["note"]:
                entry["note"] = "; ".join(x for x in (entry["note"], si["note"]) if x)
        document["task"]["description"] = (f"{first.name} [{first.unit}]: "
                                           f"{document['task']['description']}")
        document["task"]["field"] = self.field_dict()
        return json_ready(document)

    def sweep_row(self) -> dict:
        """One row of a sweep: every probe's sensitivity to the first quantity (its unit in
        the column ``unit``), ``best`` and ``ratio`` (of sensitivities), ``notes``."""
        first = self.quantities[0]
        row = {p.name: (p.sensitivity if p.sensitivity is not None
                        and np.isfinite(p.sensitivity) else None) for p in first.probes}
        row.update(best=first.best, ratio=first.ratio, resources=self.comparison.resources,
                   unit=first.sensitivity_unit,
                   notes=" | ".join(f"{p.name}: {p.note}" for p in first.probes
                                    if p.note and not p.ranked))
        return json_ready(row)

    def __str__(self) -> str:
        lines = [f"field: {self.task.field.describe()}", *self.task.array.describe(),
                 "parameters:", *self.task.describe(),
                 f"time: {self.timing.describe()}; {_noise_lines(self.noise)}"]
        if self.readout is not None:
            lines.append(f"readout: {self.readout.describe()} (product probe, particle by "
                         f"particle at mid-fringe)")
        after = (f"(T = {format_quantity(self.timing.total, SECOND)})" if self.timing.total
                 else f"(mu = {self.repeats})")
        for quantity in self.quantities:
            lines.append("")
            lines.extend(quantity.lines(self.readout is not None, after))
        if any(not p.ranked and p.applies for q in self.quantities for p in q.probes):
            lines.append(f"(x): not under the {self.comparison.resources} constraint, not "
                         f"ranked")
        return "\n".join(lines)
