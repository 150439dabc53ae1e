r"""Time, sensitivities and readout: from a variance per shot to units per square-root hertz.

One cycle of a Ramsey magnetometer lasts the interrogation time t plus a dead time
:math:`t_d` (preparation and readout).  With :math:`\sigma^2(t)` the bound on the variance of
a quantity from one shot, a total time T holds :math:`T/(t+t_d)` shots, so the standard
deviation is :math:`\sigma(t)\sqrt{(t+t_d)/T}` and the *sensitivity*

.. math::
    \eta(t) = \sigma(t)\sqrt{t+t_d}

(unit of the quantity per :math:`\sqrt{\mathrm{Hz}}`) is the standard deviation after one
second.  For N independent spins in a product state, :math:`\sigma^2 = 1/(N\gamma^2t^2)` and
:math:`\eta = \sqrt{(t+t_d)/t}\,/(\gamma\sqrt{Nt})`.  With dephasing (coherence
:math:`e^{-t/T_2}`) :math:`\sigma^2 = e^{2t/T_2}/(N\gamma^2t^2)` and, without dead time, the
best t is :math:`T_2/2`, where :math:`\eta = \sqrt{2e/(NT_2)}/\gamma`.

:func:`best_time` finds the t that minimises :math:`\eta(t)^2` for any probe (a grid in
:math:`\log t` refined by bounded Brent search); :class:`Timing` holds t, the dead time and a
total time (or a bandwidth); :class:`Readout` is the finite detection efficiency and readout
fidelity of each particle (:meth:`Readout.apply` turns a POVM into the noisy one).
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Callable

import numpy as np
import qutip
import scipy.optimize

from ..errors import QSNError
from ..measurement import POVM

__all__ = ["Timing", "Readout", "sensitivity", "best_time", "time_range"]


def _positive(value, name: str, *, zero: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating)):
        raise QSNError(f"{name} must be a number of seconds, got {value!r}")
    value = float(value)
    if not math.isfinite(value) or value < 0 or (value == 0 and not zero):
        raise QSNError(f"{name} must be a finite number of seconds {'>= 0' if zero else '> 0'}"
                       f", got {value!r}")
    return value


@dataclasses.dataclass(frozen=True)
class Timing:
    """The time budget of a magnetometer.

    Attributes
    ----------
    t : float or None
        The interrogation (Ramsey) time per shot, s; None: each probe at its best t (needs
        noise, otherwise the information grows without bound with t).
    dead_time : float
        Preparation and readout per shot, s.
    total : float or None
        A total measurement time T, s: standard deviations are then given after T (the
        sensitivity over :math:`\\sqrt T`); None: after the model's repeats.

    Examples
    --------
    >>> Timing(t=1e-3, dead_time=1e-3).cycle(1e-3)
    0.002
    >>> Timing.from_bandwidth(10.0, t=1e-3).total       # T = 1/(2 bandwidth)
    0.05
    """

    t: float | None = None
    dead_time: float = 0.0
    total: float | None = None

    def __post_init__(self):
        if self.t is not None:
            object.__setattr__(self, "t", _positive(self.t, "t"))
        object.__setattr__(self, "dead_time", _positive(self.dead_time, "dead_time",
                                                        zero=True))
        if self.total is not None:
            object.__setattr__(self, "total", _positive(self.total, "total"))

    @classmethod
    def from_bandwidth(cls, bandwidth: float, *, t: float | None = None,
                       dead_time: float = 0.0) -> "Timing":
        r"""A timing whose total time is that of a measurement bandwidth :math:`f_{BW}`,
        :math:`T = 1/(2f_{BW})` (the Nyquist relation)."""
        if isinstance(bandwidth, bool) or not isinstance(bandwidth, (int, float)) \
                or not math.isfinite(bandwidth) or bandwidth <= 0:
            raise QSNError(f"bandwidth must be a positive number of hertz, got {bandwidth!r}")
        return cls(t, dead_time, 1.0 / (2.0 * float(bandwidth)))

    def cycle(self, t: float) -> float:
        """The duration of one shot, :math:`t + t_d`."""
        return t + self.dead_time

    def describe(self) -> str:
        """One line: t, the dead time and the total time."""
        from .units import format_quantity
        what = ("t = " + format_quantity(self.t, "s") if self.t is not None
                else "t: each probe at its best")
        text = f"{what}, dead time {format_quantity(self.dead_time, 's')} per shot"
        if self.total is not None:
            text += f"; standard deviations after a total time {format_quantity(self.total, 's')}"
        return text


def sensitivity(variance: float, t: float, dead_time: float = 0.0) -> float:
    r"""The sensitivity :math:`\eta = \sigma\sqrt{t+t_d}` of a variance per shot (``inf``
    stays ``inf``).

    Examples
    --------
    >>> gamma, N, t = 1e10, 100, 1e-3            # product state, no dead time
    >>> float(sensitivity(1 / (N * gamma ** 2 * t ** 2), t)) * gamma * math.sqrt(N * t)
    1.0
    """
    if variance is None:
        return None
    for name, value, low in (("variance", variance, 0.0), ("t", t, None),
                             ("dead_time", dead_time, 0.0)):
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or math.isnan(value):
            raise QSNError(f"{name} must be a number, got {value!r}")
        if (value < low) if low is not None else not (0 < value < math.inf):
            raise QSNError(f"{name} must be {'positive and finite' if low is None else '>= 0'}"
                           f", got {value!r}")
    return math.sqrt(variance * (t + dead_time)) if math.isfinite(variance) else math.inf


def time_range(rates, particles: int) -> tuple[float, float]:
    r"""The interval :func:`best_time` searches: :math:`[10^{-3}/(\Gamma_{\max}N),
    10^2/\Gamma_{\min}]` from the time-dependent noise rates and the number of particles N
    (as :func:`~qsn_qutip.noise.optimal_interrogation_time`)."""
    rates = [float(r) for r in rates if r > 0]
    if not rates:
        raise QSNError("the interrogation time t is needed: without noise the information "
                       "grows without bound with t (give t, or a noise rate)")
    return 1e-3 / (max(rates) * max(1, particles)), 1e2 / min(rates)


def best_time(objective: Callable[[float], float], t_range: tuple[float, float],
              points: int = 25) -> tuple[float, float]:
    r"""The interrogation time that minimises ``objective(t)`` (e.g. :math:`\eta(t)^2`).

    A grid of ``points`` times, log-spaced over ``t_range``, refined around its least value
    by bounded Brent search (:func:`scipy.optimize.minimize_scalar`) in :math:`\log t`.

    Returns
    -------
    (float, float)
        :math:`t^*` and ``objective(t*)``; ``(nan, inf)`` when the objective is infinite at
        every grid point (no information at any time).

    Examples
    --------
    >>> T2, td = 5e-3, 0.0                       # product state: t* = T2/2
    >>> t, value = best_time(lambda t: (t + td) * math.exp(2 * t / T2) / t ** 2, (1e-6, 1.0))
    >>> round(t / T2, 6), round(value * T2 / (2 * math.e), 9)
    (0.5, 1.0)
    """
    lo, hi = (float(x) for x in t_range)
    if not 0 < lo < hi:
        raise QSNError(f"t_range must be (lo, hi) with 0 < lo < hi, got {t_range}")
    grid = np.linspace(math.log(lo), math.log(hi), max(3, int(points)))
    values = np.array([objective(math.exp(x)) for x in grid], dtype=float)
    values = np.where(np.isnan(values), np.inf, values)
    if not np.any(np.isfinite(values)):
        return math.nan, math.inf
    best = int(np.argmin(values))
    a, b = grid[max(0, best - 1)], grid[min(len(grid) - 1, best + 1)]

    def log_objective(x: float) -> float:
        value = objective(math.exp(x))
        return math.inf if not np.isfinite(value) else math.log(value)

    found = scipy.optimize.minimize_scalar(log_objective, bounds=(a, b), method="bounded",
                                           options={"xatol": 1e-10})
    if np.isfinite(found.fun) and found.fun <= math.log(values[best]):
        return math.exp(found.x), math.exp(found.fun)
    return math.exp(grid[best]), float(values[best])


@dataclasses.dataclass(frozen=True)
class Readout:
    r"""Imperfect detection of every particle: efficiency and fidelity.

    Attributes
    ----------
    efficiency : float
        The probability that a particle is detected at all (an undetected particle gives an
        outcome that carries no information); in (0, 1].
    fidelity : float
        The probability that a detected particle is reported in its true outcome; otherwise
        in one of the other outcomes with equal probability.  For a two-outcome readout
        :math:`F^C` shrinks by :math:`(2f-1)^2` at mid-fringe.

    Examples
    --------
    >>> import qutip
    >>> from qsn_qutip.measurement import POVM, cfim
    >>> plus = (qutip.basis(2, 0) + qutip.basis(2, 1)).unit()
    >>> jx = POVM([plus.proj(), 1 - plus.proj()])
    >>> noisy = Readout(efficiency=0.5, fidelity=0.9).apply(jx)
    >>> round(float(cfim(plus, [qutip.sigmaz() / 2], noisy, [1.5707963267948966])[0, 0]), 12)
    0.32
    """

    efficiency: float = 1.0
    fidelity: float = 1.0

    def __post_init__(self):
        for name in ("efficiency", "fidelity"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) \
                    or not 0 < value <= 1:
                raise QSNError(f"{name} must be a probability in (0, 1], got {value!r}")
            object.__setattr__(self, name, float(value))

    @property
    def ideal(self) -> bool:
        """True for perfect detection (the projection-noise limit)."""
        return self.efficiency == 1 and self.fidelity == 1

    def apply(self, povm: POVM) -> POVM:
        r"""The noisy POVM :math:`E'_i = \eta\,[fE_i + \tfrac{1-f}{d-1}\sum_{j\ne i}E_j]`,
        plus :math:`(1-\eta)\,1` (not detected) when :math:`\eta < 1`."""
        effects = list(povm)
        d = len(effects)
        total = sum(effects[1:], effects[0])
        other = (1 - self.fidelity) / (d - 1) if d > 1 else 0.0
        noisy = [self.efficiency * ((self.fidelity - other) * e + other * total)
                 for e in effects]
        labels = list(povm.labels)
        if self.efficiency < 1:
            noisy.append((1 - self.efficiency) * qutip.qeye(list(povm.dims)))
            labels.append("undetected")
        return POVM(noisy, labels, name=f"{povm.name} (efficiency {self.efficiency:g}, "
                                        f"fidelity {self.fidelity:g})")

    def describe(self) -> str:
        return f"detection efficiency {self.efficiency:g}, readout fidelity {self.fidelity:g}"
