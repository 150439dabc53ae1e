r"""The interrogation time that minimises a bound per unit time, :math:`B(t)/t`.

With a total time T split into T/t shots of phases :math:`\phi = \omega t`, the variance of a
frequency estimate is at least :math:`B_\phi(t)/(tT)`; under noise that grows with t the
figure :math:`B(t)/t` has a best t.  It is found by bounded Brent search in :math:`\ln t`
(:func:`scipy.optimize.minimize_scalar`) between :math:`10^{-3}/(\gamma_{\max}N)` and
:math:`10/\gamma_{\min}`, the range that holds the best times of the GHZ state
(:math:`1/(2N\gamma)`) and of the product state (:math:`1/(2\gamma)`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import scipy.optimize

from ..errors import QSNError
from ..noise.model import NoiseModel

__all__ = ["time_range", "best_time"]

#: relative precision of the best time (in ln t)
TIME_XATOL = 1e-2


def time_range(noise: NoiseModel, particles: int) -> tuple[float, float]:
    """The search range of t for ``noise`` on ``particles`` particles in all."""
    rates = [r for r in noise.rates if r > 0]
    if not rates:
        raise QSNError("noise.time is None (per unit time) but no rate grows with time: "
                       "without such noise the bound per unit time falls for ever; give "
                       "noise.time")
    return 1e-3 / (max(rates) * max(1, particles)), 10.0 / min(rates)


def best_time(figure: Callable[[float], float], low: float, high: float,
              also: Sequence[float] = ()) -> tuple[float, float]:
    """``(t*, figure(t*))`` minimising ``figure(t)`` over [low, high] (Brent in ln t) and the
    times ``also``; the smallest value seen is returned, so a flat or noisy figure cannot make
    it worse."""
    seen: dict[float, float] = {t: figure(t) for t in also}

    def objective(log_t: float) -> float:
        t = math.exp(log_t)
        if t not in seen:
            seen[t] = figure(t)
        return seen[t]

    scipy.optimize.minimize_scalar(objective, bounds=(math.log(low), math.log(high)),
                                   method="bounded", options={"xatol": TIME_XATOL})
    t = min(seen, key=seen.get)
    return t, seen[t]
