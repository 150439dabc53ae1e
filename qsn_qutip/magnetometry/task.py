r"""The estimation task in physical units: field parameters from the phases of a sensor array.

A Ramsey sequence of duration t imprints on phase p (sensor k, field component a) the phase
:math:`\phi_p = \gamma_kt\,B_a(\mathbf r_k;\,q)`, so the phases depend on the field parameters
q through the Jacobian

.. math::
    J(t) = \frac{\partial\phi}{\partial q} = t\,\mathrm{diag}(\gamma)\,
    \frac{\partial B}{\partial q} = t\,J_1 .

A QFIM :math:`F` of the phases gives the Fisher information of the parameters
:math:`F_q = J^TFJ`, and the bound on one parameter of interest with all the other unknown
ones as nuisance parameters is :math:`[F_q^{+}]_{ii}/\mu` (``inf`` when :math:`e_i` is outside
the range of :math:`F_q`).  ``known`` parameters are fixed (their columns dropped); for a
nonlinear model (the dipole) J is taken at the true point.

The parameter :math:`q_i` is a linear function of the phases, :math:`q_i = w_i^T\phi` with
:math:`J^Tw_i = e_i` (the least-norm solution, :math:`w_i = e_i^TJ^{-1}` when J is square):
this :math:`w_i` is the task the probes of :func:`~qsn_qutip.report.compare` are built for
(GHZ-type probes included), and :math:`w_i^TF^{+}w_i` equals :math:`[F_q^{+}]_{ii}` when J is
square and invertible.  Columns of J are scaled to unit norm before any pseudo-inverse, so
that parameters in units of very different size (tesla and metres) are treated alike; bounds
do not depend on the scaling.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..errors import QSNError
from ..estimation.bounds import function_bound
from ..options import tolerances
from ..probes import did_you_mean
from .array import SensorArray
from .fields import FieldModel, Parameter
from .units import per_root_hz

__all__ = ["FieldTask"]


def _names(values, known: Sequence[str], argument: str) -> list[str]:
    if isinstance(values, str) or not isinstance(values, Sequence):
        raise QSNError(f"{argument} must be a list of parameter names, got {values!r}")
    for value in values:
        if value not in known:
            raise QSNError(f"{argument}: unknown parameter {value!r}"
                           f"{did_you_mean(str(value), known)}; the field model has "
                           f"{list(known)}")
    if len(set(values)) != len(values):
        raise QSNError(f"{argument} names a parameter twice: {list(values)}")
    return list(values)


class FieldTask:
    r"""Which field parameters a sensor array estimates, and the Jacobian to its phases.

    Parameters
    ----------
    array : SensorArray
    field : FieldModel
    estimate : sequence of str, optional
        The parameters of interest (default: every parameter not ``known``); the other
        unknown parameters are nuisance parameters.
    known : sequence of str
        Parameters fixed at their value (dropped from the Jacobian).

    Raises
    ------
    QSNError
        Unknown or repeated names, a parameter both estimated and known, or a parameter of
        interest that the phases do not determine (too few sensors, sensors in a line for a
        2-D gradient, the wrong field components).

    Examples
    --------
    >>> import numpy as np
    >>> from qsn_qutip import Network, QubitEnsemble
    >>> from qsn_qutip.magnetometry import GradientField, SensorArray
    >>> array = SensorArray(Network([QubitEnsemble(4), QubitEnsemble(4)]), [[-0.005], [0.005]],
    ...                     gamma=1e7)
    >>> task = FieldTask(array, GradientField(), estimate=["dBz/dx"])
    >>> task.interest, task.nuisance
    (['dBz/dx'], ['Bz'])
    >>> task.function("dBz/dx", t=1e-3)        # dBz/dx = (phi_2 - phi_1) / (gamma t L)
    array([-0.01,  0.01])
    >>> F = np.diag([4.0, 4.0])                 # product states of 4 qubits
    >>> round(task.variance(F, 1e-3, "dBz/dx"), 15)  # 2 / (4 (gamma t L)^2)
    5e-05
    """

    def __init__(self, array: SensorArray, field: FieldModel,
                 estimate: Sequence[str] | None = None, known: Sequence[str] = ()):
        if not isinstance(array, SensorArray):
            raise QSNError(f"array must be a SensorArray, got {type(array).__name__}")
        if not isinstance(field, FieldModel):
            raise QSNError(f"field must be a FieldModel, got {type(field).__name__}")
        self.array, self.field = array, field
        positions = array.site_positions
        self.parameters: list[Parameter] = field.parameters(positions)
        names = [p.name for p in self.parameters]
        self.known = _names(known, names, "known")
        unknown = [n for n in names if n not in self.known]
        if estimate is None:
            estimate = unknown
        self.interest = _names(estimate, names, "estimate")
        both = [n for n in self.interest if n in self.known]
        if both:
            raise QSNError(f"estimate and known both name {both}")
        if not self.interest:
            raise QSNError("nothing to estimate: every parameter is known")
        self.unknown = unknown
        self.nuisance = [n for n in unknown if n not in self.interest]
        columns = [names.index(n) for n in unknown]
        self._j1 = array.phase_jacobian(field.jacobian(positions), 1.0)[:, columns]
        norms = np.linalg.norm(self._j1, axis=0)
        self._scale = np.where(norms > 0, norms, 1.0)
        self._scaled = self._j1 / self._scale
        self._weights = {name: self._least_norm(name) for name in self.interest}

    # -- units and names ---------------------------------------------------------------
    def unit(self, name: str) -> str:
        """The unit of parameter ``name`` (``"T"``, ``"T/m"``, ``"m"``, ``"A m^2"``)."""
        return next(p.unit for p in self.parameters if p.name == name)

    def sensitivity_unit(self, name: str) -> str:
        """The unit of a sensitivity to ``name``: its unit over sqrt(Hz)."""
        return per_root_hz(self.unit(name))

    def _index(self, name: str) -> int:
        if name not in self.unknown:
            raise QSNError(f"quantity: {name!r} is not an unknown parameter"
                           f"{did_you_mean(str(name), self.unknown)}; unknown: {self.unknown}")
        return self.unknown.index(name)

    # -- the Jacobian and the task in phase space ----------------------------------------
    def jacobian(self, t: float) -> np.ndarray:
        r""":math:`J(t) = \partial\phi/\partial q` (phases x unknown parameters) at time t."""
        return t * self._j1

    def _least_norm(self, name: str) -> np.ndarray:
        """w with J_1^T w = e_i (least norm), or QSNError when the phases miss the parameter."""
        i = self._index(name)
        u, s, vt = np.linalg.svd(self._scaled, full_matrices=False)
        rank = int(np.sum(s > tolerances.rank_rtol * (s[0] if s.size else 0)))
        e = np.zeros(len(self.unknown))
        e[i] = 1.0
        coefficients = vt[:rank] @ e
        if np.linalg.norm(vt[:rank].T @ coefficients - e) > np.sqrt(tolerances.rank_rtol):
            raise QSNError(f"estimate: {name!r} is not determined by the sensors' phases (the "
                           f"field model has more unknowns than the array can tell apart "
                           f"along this direction); add sensors, or fix parameters with "
                           f"known = [...]")
        return (u[:, :rank] @ (coefficients / s[:rank])) / self._scale[i]

    def function(self, name: str, t: float = 1.0) -> np.ndarray:
        r""":math:`w` with :math:`q_i = w^T\phi` at time t (in the parameter's unit per radian)."""
        return self._weights[name] / t if name in self._weights else self._least_norm(name) / t

    def direction(self, name: str) -> np.ndarray:
        r"""The unit vector :math:`w/\|w\|` in phase space: the task ``theta = v . phi`` for
        :func:`~qsn_qutip.report.compare` (independent of t)."""
        w = self.function(name)
        return w / np.linalg.norm(w)

    # -- bounds --------------------------------------------------------------------------
    def _fisher(self, F, t: float) -> np.ndarray:
        F = np.asarray(F, dtype=float)
        if F.shape != (self._j1.shape[0],) * 2:
            raise QSNError(f"F must be the {self._j1.shape[0]} x {self._j1.shape[0]} QFIM of "
                           f"the phases, got shape {F.shape}")
        scaled = t * self._scaled
        return scaled.T @ F @ scaled

    def variance(self, F, t: float, name: str, repeats: int = 1) -> float:
        r"""The bound on :math:`\mathrm{Var}(q_i)` (unit squared): :math:`[(J^TFJ)^{+}]_{ii}/\mu`
        for the phase QFIM F at time t (``inf`` when not estimable)."""
        i = self._index(name)
        e = np.zeros(len(self.unknown))
        e[i] = 1.0
        return float(function_bound(self._fisher(F, t), e, repeats) / self._scale[i] ** 2)

    def covariance(self, F, t: float, names: Sequence[str] | None = None,
                   repeats: int = 1) -> np.ndarray:
        r"""The bound :math:`[(J^TFJ)^{+}]/\mu` restricted to ``names`` (default: the
        parameters of interest); all entries ``inf`` when one of them is not estimable."""
        names = self.interest if names is None else list(names)
        index = [self._index(n) for n in names]
        fisher = self._fisher(F, t)
        for i in index:
            e = np.zeros(len(self.unknown))
            e[i] = 1.0
            if not np.isfinite(function_bound(fisher, e)):
                return np.full((len(index), len(index)), np.inf)
        values, vectors = np.linalg.eigh(fisher)
        keep = values > tolerances.rank_rtol * max(values.max(), 0.0)
        pinv = (vectors[:, keep] / values[keep]) @ vectors[:, keep].T
        block = pinv[np.ix_(index, index)] / np.outer(self._scale[index], self._scale[index])
        return block / repeats

    def describe(self) -> list[str]:
        """The parameters with their units and roles."""
        roles = {**{n: "estimated" for n in self.interest},
                 **{n: "nuisance" for n in self.nuisance}, **{n: "known" for n in self.known}}
        return [f"  {p.name} [{p.unit}]: {roles[p.name]} ({p.description})"
                for p in self.parameters]

    def __repr__(self) -> str:
        return (f"FieldTask({self.field.kind}, estimate={self.interest}, "
                f"nuisance={self.nuisance}, known={self.known})")
