r"""Magnetic-field models whose parameters are what a user wants to estimate.

A model maps its parameters p to the field :math:`\mathbf B(\mathbf r;p)` at every sensor
position :math:`\mathbf r_k` (metres) and gives the Jacobian
:math:`\partial B_a(\mathbf r_k)/\partial p_j` analytically, shape (K, 3, P): sensor, field
component (x, y, z), parameter.  :class:`~qsn_qutip.magnetometry.FieldTask` turns it into the
phases :math:`\phi = \gamma tB_a(\mathbf r_k)` of the sensors and their Jacobian.

* :class:`UniformField` — one field :math:`B_a` (unit T) per component;
* :class:`GradientField` — the field at an origin and its first derivatives,
  :math:`B_a(\mathbf r) = B_a + \sum_i\partial_iB_a\,\rho_i` with
  :math:`\boldsymbol\rho = \mathbf r - \mathbf r_0` (``"dBz/dx"``, T/m);
* :class:`QuadraticField` — plus the second derivatives,
  :math:`+\tfrac12\sum_{ij}\partial_i\partial_jB_a\,\rho_i\rho_j` (``"d2Bz/dx2"``,
  ``"d2Bz/dxdy"``, T/m^2);
* :class:`SitesField` — an independent field at every sensor (``"Bz_1"``, ``"Bz_2"``, ...):
  the phases themselves, in tesla;
* :class:`DipoleField` — a point magnetic dipole of moment :math:`\mathbf m` (A m^2) at
  :math:`\mathbf r_0` (m), nonlinear in its position:

  .. math::
      \mathbf B(\mathbf r) = \frac{\mu_0}{4\pi}\Big(\frac{3\boldsymbol\rho(\mathbf m\cdot
      \boldsymbol\rho)}{\rho^5} - \frac{\mathbf m}{\rho^3}\Big),\qquad
      \boldsymbol\rho = \mathbf r - \mathbf r_0 .

The polynomial models are linear, :math:`\mathbf B = A p` with a constant A; the dipole's
Jacobian is taken at its true point, which must be given.

Examples
--------
>>> import numpy as np
>>> positions = [[-0.005, 0, 0], [0.005, 0, 0]]
>>> model = GradientField()
>>> [p.name for p in model.parameters(positions)]
['Bz', 'dBz/dx']
>>> model.jacobian(positions)[:, 2, :]          # dBz/dp at the two cells
array([[ 1.   , -0.005],
       [ 1.   ,  0.005]])
"""

from __future__ import annotations

import abc
import dataclasses
import itertools
import math
from collections.abc import Sequence

import numpy as np
import scipy.constants

from ..errors import QSNError
from .._checks import as_real_vector
from .units import METRE, MOMENT, derivative_unit

__all__ = ["Parameter", "FieldModel", "UniformField", "GradientField", "QuadraticField",
           "SitesField", "DipoleField", "FIELD_MODELS", "as_positions", "MU0_OVER_4PI"]

#: :math:`\mu_0/4\pi` in T m/A (CODATA 2022, :mod:`scipy.constants`)
MU0_OVER_4PI = scipy.constants.mu_0 / (4 * math.pi)
AXES = "xyz"


@dataclasses.dataclass(frozen=True)
class Parameter:
    """One parameter of a field model: its name (what ``estimate = [...]`` lists), unit and
    meaning."""

    name: str
    unit: str
    description: str


def as_positions(positions, name: str = "positions") -> np.ndarray:
    """Positions in metres as a (K, 3) array; each given with 1 to 3 coordinates (x, y, z),
    the missing ones 0.

    Examples
    --------
    >>> as_positions([[0.01], [0.02, 0.001]])
    array([[0.01 , 0.   , 0.   ],
           [0.02 , 0.001, 0.   ]])
    """
    if isinstance(positions, np.ndarray) and positions.ndim == 2:
        positions = positions.tolist()
    if isinstance(positions, (str, bytes)) or not isinstance(positions, Sequence) \
            or not positions:
        raise QSNError(f"{name} must be a list of positions [x, y, z] in metres, got "
                       f"{positions!r}")
    out = np.zeros((len(positions), 3))
    for k, position in enumerate(positions):
        out[k] = as_point(position, f"{name}[{k}]")
    return out


def as_point(position, name: str) -> np.ndarray:
    """One position (1 to 3 finite coordinates, metres) as a 3-vector."""
    if isinstance(position, (int, float)) and not isinstance(position, bool):
        position = [position]
    point = as_real_vector(position, name)
    if not 1 <= point.size <= 3 or not np.all(np.isfinite(point)):
        raise QSNError(f"{name} must be 1 to 3 finite coordinates [x, y, z] in metres, got "
                       f"{position!r}")
    return np.concatenate([point, np.zeros(3 - point.size)])


def _components(components: str, name: str = "components") -> str:
    if (not isinstance(components, str) or not components or set(components) - set(AXES)
            or len(set(components)) != len(components)):
        raise QSNError(f"{name} must be distinct letters from 'xyz', got {components!r}")
    return "".join(sorted(components, key=AXES.index))


class FieldModel(abc.ABC):
    """A magnetic-field model: parameters, the field at positions, and its Jacobian."""

    #: the model-file name (``[field] model = "..."``)
    kind: str = "field"
    #: True when the field is linear in the parameters (a constant Jacobian)
    linear: bool = True
    #: the ``[field]`` keys of this model and their types (besides ``model``, ``estimate``,
    #: ``known``), as :attr:`qsn_qutip.sensors.Sensor.model_keys`
    model_keys: dict[str, type] = {}
    #: the keys a model file must set
    model_required: tuple[str, ...] = ()

    @abc.abstractmethod
    def parameters(self, positions) -> list[Parameter]:
        """The parameters for sensors at ``positions``, in order."""

    @abc.abstractmethod
    def jacobian(self, positions) -> np.ndarray:
        r""":math:`\partial B_a(\mathbf r_k)/\partial p_j`, shape (K, 3, P), in SI units."""

    def field(self, positions, values: Sequence[float]) -> np.ndarray:
        """The field (K, 3) in tesla at ``positions`` for the parameter ``values``."""
        jac = self.jacobian(positions)
        p = as_real_vector(values, "values", length=jac.shape[2])
        return jac @ p

    def check(self, positions) -> None:
        """Raise :class:`QSNError` when the model cannot describe sensors at ``positions``."""
        self.parameters(positions)

    def describe(self) -> str:
        """A short description for tables."""
        return self.kind

    @classmethod
    def from_model(cls, **keys) -> "FieldModel":
        """This model from the keys of a ``[field]`` table (checked against
        :attr:`model_keys`)."""
        return cls(**keys)


class PolynomialField(FieldModel):
    r"""A Taylor expansion of the field to ``order`` about ``origin``.

    Parameters
    ----------
    order : {0, 1, 2}
    components : str
        The field components modelled (default ``"z"``, the axis qubit ensembles sense).
    coordinates : str, optional
        The directions of the derivatives; default: those along which the sensors are
        spread.
    origin : sequence of float, optional
        :math:`\mathbf r_0` in metres (default: the centroid of the sensors), where the field
        and its derivatives are the parameters.
    """

    model_keys = {"components": str, "coordinates": str, "origin": list}

    def __init__(self, order: int, components: str = "z", coordinates: str | None = None,
                 origin: Sequence[float] | None = None):
        if order not in (0, 1, 2):
            raise QSNError(f"order must be 0, 1 or 2, got {order!r}")
        self.order = order
        self.components = _components(components)
        self.coordinates = None if coordinates is None else _components(coordinates,
                                                                        "coordinates")
        self.origin = None if origin is None else as_point(origin, "origin")

    def _frame(self, positions) -> tuple[np.ndarray, str]:
        """(rho = r - origin per sensor, the coordinates of the derivatives)."""
        r = as_positions(positions)
        origin = r.mean(axis=0) if self.origin is None else self.origin
        coordinates = self.coordinates
        if coordinates is None:
            spread = np.ptp(r, axis=0)
            coordinates = "".join(a for a, s in zip(AXES, spread)
                                  if s > 1e-9 * max(spread.max(), 1e-300))
        if self.order and not coordinates:
            raise QSNError(f"the sensors share one position: a {self.kind} model needs "
                           f"sensors at different places (or model = 'uniform')")
        return r - origin, coordinates

    def _terms(self, coordinates: str) -> list[tuple[str, tuple[int, ...]]]:
        """(component, indices of the coordinates differentiated) per parameter."""
        index = [AXES.index(c) for c in coordinates]
        terms = []
        for order in range(self.order + 1):
            for a in self.components:
                terms.extend((a, pair)
                             for pair in itertools.combinations_with_replacement(index, order))
        return terms

    @staticmethod
    def _name(a: str, pair: tuple[int, ...]) -> str:
        if not pair:
            return f"B{a}"
        if len(pair) == 1:
            return f"dB{a}/d{AXES[pair[0]]}"
        i, j = (AXES[p] for p in pair)
        return f"d2B{a}/d{i}2" if i == j else f"d2B{a}/d{i}d{j}"

    def parameters(self, positions) -> list[Parameter]:
        _, coordinates = self._frame(positions)
        where = "at the origin" if self.origin is not None else "at the sensors' centroid"
        return [Parameter(self._name(a, pair), derivative_unit(len(pair)),
                          f"{'field' if not pair else 'derivative'} {self._name(a, pair)} "
                          f"{where}") for a, pair in self._terms(coordinates)]

    def jacobian(self, positions) -> np.ndarray:
        rho, coordinates = self._frame(positions)
        terms = self._terms(coordinates)
        jac = np.zeros((rho.shape[0], 3, len(terms)))
        for j, (a, pair) in enumerate(terms):
            value = np.ones(rho.shape[0])
            for p in pair:
                value = value * rho[:, p]
            if len(pair) == 2 and pair[0] == pair[1]:
                value = value / 2
            jac[:, AXES.index(a), j] = value
        return jac

    def describe(self) -> str:
        where = ("the sensors' centroid" if self.origin is None else
                 f"r0 = {np.round(self.origin, 12).tolist()} m")
        return f"{self.kind} field (components {self.components}) about {where}"

    @classmethod
    def from_model(cls, **keys) -> "PolynomialField":
        return cls(**keys)


class UniformField(PolynomialField):
    """A uniform field: one parameter ``B<a>`` (T) per component ``a`` of ``components``.

    Examples
    --------
    >>> [p.name for p in UniformField("xz").parameters([[0, 0, 0]])]
    ['Bx', 'Bz']
    """

    kind = "uniform"
    model_keys = {"components": str}

    def __init__(self, components: str = "z"):
        super().__init__(0, components)


class GradientField(PolynomialField):
    """The field at the origin and its gradient along ``coordinates`` (see
    :class:`PolynomialField`)."""

    kind = "gradient"

    def __init__(self, components: str = "z", coordinates: str | None = None,
                 origin: Sequence[float] | None = None):
        super().__init__(1, components, coordinates, origin)


class QuadraticField(PolynomialField):
    """The field, its gradient and its second derivatives (see :class:`PolynomialField`).

    Examples
    --------
    >>> [p.name for p in QuadraticField().parameters([[0.0], [1e-5], [2e-5]])]
    ['Bz', 'dBz/dx', 'd2Bz/dx2']
    """

    kind = "quadratic"

    def __init__(self, components: str = "z", coordinates: str | None = None,
                 origin: Sequence[float] | None = None):
        super().__init__(2, components, coordinates, origin)


class SitesField(FieldModel):
    """An independent field at every sensor: ``B<a>_<k>`` (T), k = 1, 2, ... in sensor order.

    Examples
    --------
    >>> [p.name for p in SitesField().parameters([[0.0], [0.01]])]
    ['Bz_1', 'Bz_2']
    """

    kind = "sites"
    model_keys = {"components": str}

    def __init__(self, components: str = "z"):
        self.components = _components(components)

    def parameters(self, positions) -> list[Parameter]:
        count = as_positions(positions).shape[0]
        return [Parameter(f"B{a}_{k + 1}", derivative_unit(0), f"field B{a} at sensor {k + 1}")
                for k in range(count) for a in self.components]

    def jacobian(self, positions) -> np.ndarray:
        count = as_positions(positions).shape[0]
        jac = np.zeros((count, 3, count * len(self.components)))
        for k in range(count):
            for c, a in enumerate(self.components):
                jac[k, AXES.index(a), k * len(self.components) + c] = 1.0
        return jac

    def describe(self) -> str:
        return f"an independent field at every sensor (components {self.components})"


class DipoleField(FieldModel):
    r"""A point magnetic dipole: parameters ``mx, my, mz`` (A m^2) and ``x0, y0, z0`` (m).

    The field is nonlinear in the position; the Jacobian is taken at the true point
    (``moment``, ``position``), which must be given.

    .. math::
        \frac{\partial B_a}{\partial m_j} = \frac{\mu_0}{4\pi}\Big(\frac{3\rho_a\rho_j}
        {\rho^5} - \frac{\delta_{aj}}{\rho^3}\Big),\quad
        \frac{\partial B_a}{\partial r_{0j}} = -\frac{\mu_0}{4\pi}\Big(
        \frac{3(\delta_{aj}\,\mathbf m\cdot\boldsymbol\rho + \rho_am_j + m_a\rho_j)}{\rho^5}
        - \frac{15\rho_a\rho_j\,\mathbf m\cdot\boldsymbol\rho}{\rho^7}\Big).

    Parameters
    ----------
    moment : sequence of 3 float
        :math:`\mathbf m` in A m^2.
    position : sequence of 1 to 3 float
        :math:`\mathbf r_0` in metres.

    Examples
    --------
    >>> dipole = DipoleField(moment=[0, 0, 1e-9], position=[0, 0, -0.01])
    >>> round(float(dipole.field([[0, 0, 0]], dipole.values)[0, 2]) * 1e12, 6)   # pT on axis
    200.0
    """

    kind = "dipole"
    linear = False
    model_keys = {"moment": list, "position": list}
    model_required = ("moment", "position")
    NAMES = (("mx", MOMENT), ("my", MOMENT), ("mz", MOMENT), ("x0", METRE), ("y0", METRE),
             ("z0", METRE))

    def __init__(self, moment: Sequence[float], position: Sequence[float]):
        self.moment = as_real_vector(moment, "moment", length=3)
        if not np.all(np.isfinite(self.moment)):
            raise QSNError(f"moment must be 3 finite numbers in A m^2, got {moment!r}")
        self.position = as_point(position, "position")

    @property
    def values(self) -> np.ndarray:
        """The true point (mx, my, mz, x0, y0, z0) the Jacobian is taken at."""
        return np.concatenate([self.moment, self.position])

    def parameters(self, positions) -> list[Parameter]:
        self.check(positions)
        return [Parameter(name, unit, f"dipole {'moment' if unit == MOMENT else 'position'} "
                          f"{name}") for name, unit in self.NAMES]

    def check(self, positions) -> None:
        """The dipole must not sit on a sensor (the field diverges there)."""
        r = as_positions(positions)
        distance = np.linalg.norm(r - self.position, axis=1)
        scale = max(np.ptp(r, axis=0).max(), np.abs(self.position).max(), 1e-300)
        if np.any(distance <= 1e-9 * scale):
            k = int(np.argmin(distance))
            raise QSNError(f"position: the dipole at {self.position.tolist()} m sits on "
                           f"sensor {k + 1}, where its field diverges: put it off the sensors")

    def _rho(self, positions) -> np.ndarray:
        self.check(positions)
        return as_positions(positions) - self.position

    def field(self, positions, values: Sequence[float] | None = None) -> np.ndarray:
        m, r0 = ((self.moment, self.position) if values is None else
                 np.split(as_real_vector(values, "values", length=6), 2))
        rho = as_positions(positions) - r0
        d = np.linalg.norm(rho, axis=1)[:, None]
        mr = (rho @ m)[:, None]
        return MU0_OVER_4PI * (3 * rho * mr / d ** 5 - m / d ** 3)

    def jacobian(self, positions) -> np.ndarray:
        rho = self._rho(positions)
        m = self.moment
        d = np.linalg.norm(rho, axis=1)[:, None, None]
        eye = np.eye(3)[None]
        outer = rho[:, :, None] * rho[:, None, :]                       # rho_a rho_j
        mr = (rho @ m)[:, None, None]
        d_moment = 3 * outer / d ** 5 - eye / d ** 3
        d_rho = (3 * (eye * mr + rho[:, :, None] * m[None, None, :]
                      + m[None, :, None] * rho[:, None, :]) / d ** 5 - 15 * outer * mr / d ** 7)
        return MU0_OVER_4PI * np.concatenate([d_moment, -d_rho], axis=2)

    def describe(self) -> str:
        return (f"point dipole m = {self.moment.tolist()} A m^2 at r0 = "
                f"{self.position.tolist()} m")


#: the field models a model file can name (``[field] model = "..."``)
FIELD_MODELS: dict[str, type[FieldModel]] = {cls.kind: cls for cls in (
    UniformField, GradientField, QuadraticField, SitesField, DipoleField)}
