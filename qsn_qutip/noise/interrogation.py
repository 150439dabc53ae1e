r"""Interrogation times under noise: information per unit frequency, per shot and per unit time.

The phase is :math:`\phi = \omega t` and the noise acts for the same time t, so the QFIM per unit
:math:`\omega` is :math:`t^2F_\phi(t)` (:func:`qfim_per_frequency`).  With a total time T split
into T/t shots the variance bound on :math:`\theta = v^T\omega` is
:math:`v^TF_\phi(t)^{+}v/(tT)`: :func:`optimal_interrogation_time` maximises
:math:`t/(v^TF_\phi^+v)` (or :math:`t^2/(v^TF_\phi^+v)` for a fixed number of shots).

Closed forms under local dephasing :math:`\gamma` (a qubit's coherence decays as
:math:`e^{-\gamma t}`; Huelga et al., PRL 79, 3865 (1997)): one ensemble of N qubits, GHZ
:math:`F = N^2e^{-2N\gamma t}` and :math:`|+\rangle^{\otimes N}` :math:`F = Ne^{-2\gamma t}`, equal at
:math:`\gamma t = \ln N/(2(N-1))` (:func:`dephasing_crossover`), best per unit time at
:math:`t^* = 1/(2N\gamma)` and :math:`1/(2\gamma)` with the same :math:`tF = N/(2e\gamma)`.  For the
gradient :math:`\theta = (\omega_2-\omega_1)/\sqrt2` of two ensembles of n qubits
(:data:`GRADIENT_PROBES`, :func:`gradient_bound`):

* global GHZ-like :math:`\propto|{\downarrow}^n{\uparrow}^n\rangle+|{\uparrow}^n{\downarrow}^n\rangle`:
  its one coherence spans all 2n qubits and decays as :math:`e^{-2n\gamma t}`, so
  :math:`v^TF_\phi^+v = e^{4n\gamma t}/(2n^2)`, best at :math:`t^* = 1/(4n\gamma)`;
* a local GHZ state at each site: :math:`e^{2n\gamma t}/n^2`, :math:`t^* = 1/(2n\gamma)`;
* the product state: :math:`e^{2\gamma t}/n`, :math:`t^* = 1/(2\gamma)`;

and all three reach the same :math:`I(t^*) = n/(2e\gamma)`: under local dephasing entanglement
gains nothing per unit time, it only shortens the best interrogation time.  At a fixed
:math:`\gamma t` the global GHZ-like probe wins until :math:`N = \ln2/(\gamma t)` (against the
local GHZ states) and the root of :math:`\gamma t = \ln N/(2(N-1))` (against the product state,
:func:`gradient_crossover`).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

import numpy as np
import qutip
import scipy.optimize

from .._checks import as_real_vector
from ..errors import QSNError
from ..estimation.bounds import function_bound
from ..options import tolerances
from .apply import apply_noise, noisy_qfim
from .model import NetworkLike, NoiseModel, as_network

__all__ = ["InterrogationResult", "qfim_per_frequency", "optimal_interrogation_time",
           "dephasing_crossover", "GRADIENT_PROBES", "gradient_bound", "gradient_info",
           "gradient_optimal_time", "gradient_crossover", "SEARCH_LOW", "SEARCH_HIGH"]

#: the default search for t* runs from SEARCH_LOW / (fastest rate * particles) ...
SEARCH_LOW = 1e-3
#: ... to SEARCH_HIGH / (slowest rate)
SEARCH_HIGH = 1e2
#: the probes of the gradient closed forms: global GHZ-like, local GHZ at each site, product
GRADIENT_PROBES = ("global", "local", "product")


def qfim_per_frequency(state: qutip.Qobj, network: NetworkLike, noise: NoiseModel,
                       times: Sequence[float], **options) -> np.ndarray:
    r"""QFIM per unit frequency, :math:`F_\omega(t) = t^2F_\phi(t)`, for every interrogation time.

    The phase is :math:`\phi = \omega t` and the noise acts for the same time t
    (``noise.time`` is replaced by each entry of ``times``).

    Parameters
    ----------
    state : Qobj
    network : Network or Sensor
    noise : NoiseModel
    times : sequence of float
        Interrogation times (> 0).
    **options
        ``truncation`` and ``method``, passed to :func:`~qsn_qutip.noise.apply_noise`.

    Returns
    -------
    numpy.ndarray, shape (len(times), d, d)

    Examples
    --------
    >>> from qsn_qutip import QubitEnsemble
    >>> ens = QubitEnsemble(10)
    >>> F = qfim_per_frequency(ens.local_ghz(), ens, NoiseModel(dephasing=1.0), [0.05])
    >>> bool(np.isclose(F[0, 0, 0], 0.05 ** 2 * 100 * np.exp(-1), rtol=1e-12))
    True
    """
    network = as_network(network)
    ts = as_real_vector(times, "times")
    if np.any(ts <= 0):
        raise QSNError(f"times must be > 0, got {ts}")
    out = []
    for t in ts:
        noisy = apply_noise(state, network, dataclasses.replace(noise, time=float(t)), **options)
        out.append(t ** 2 * noisy_qfim(noisy, network))
    return np.array(out)


@dataclasses.dataclass(frozen=True)
class InterrogationResult:
    r"""The best interrogation time for a probe under noise.

    Attributes
    ----------
    time : float
        The optimal interrogation time t*.
    value : float
        The figure of merit at t*: information on :math:`\theta = v^T\omega` per unit total
        time, :math:`t/(v^TF_\phi(t)^+v)` (``per="time"``), or per shot,
        :math:`t^2/(v^TF_\phi(t)^+v)` (``per="shot"``); :math:`tF_\phi` and :math:`t^2F_\phi` for a
        single parameter.
    qfim : numpy.ndarray
        :math:`F_\phi(t^*)`.
    per : str
    """

    time: float
    value: float
    qfim: np.ndarray
    per: str


def optimal_interrogation_time(state: qutip.Qobj, network: NetworkLike, noise: NoiseModel, *,
                               v: Sequence[float] | None = None, per: str = "time",
                               t_range: tuple[float, float] | None = None,
                               points: int = 25, **options) -> InterrogationResult:
    r"""The interrogation time that maximises the information on :math:`\theta = v^T\omega`.

    With a total time T split into T/t shots, the variance bound per unit time is
    :math:`v^TF_\phi(t)^{+}v/(tT)`: maximise :math:`t/(v^TF_\phi^+v)` (``per="time"``); for a
    fixed number of shots maximise :math:`t^2/(v^TF_\phi^+v)` (``per="shot"``).  Under local
    dephasing GHZ gives :math:`t^* = 1/(2N\gamma)` and the product state :math:`t^* = 1/(2\gamma)`,
    both with :math:`tF = N/(2e\gamma)` (Huelga et al., PRL 79, 3865 (1997)): no gain per unit
    time.  Search: a log-spaced grid of ``points`` times, refined by bounded Brent search
    (to ``tolerances.time_xatol`` in :math:`\ln t`).

    Parameters
    ----------
    state : Qobj
    network : Network or Sensor
    noise : NoiseModel
        Rates; ``time`` is ignored.  At least one time-dependent rate must be nonzero.
    v : sequence of float, optional
        The function; default: the single parameter (error for several parameters).
    per : {"time", "shot"}
    t_range : (float, float), optional
        Search interval; default :math:`[10^{-3}/(\Gamma_{\max}N), 10^2/\Gamma_{\min}]` from the
        rates and the total number of particles N.
    points : int
        Grid size before the refinement.
    **options
        ``truncation`` and ``method``, passed to :func:`~qsn_qutip.noise.apply_noise`.

    Returns
    -------
    InterrogationResult

    Examples
    --------
    >>> from qsn_qutip import QubitEnsemble
    >>> ens = QubitEnsemble(8)
    >>> best = optimal_interrogation_time(ens.local_ghz(), ens, NoiseModel(dephasing=1.0))
    >>> round(best.time, 6), round(best.value, 6) == round(8 / (2 * np.e), 6)
    (0.0625, True)
    """
    network = as_network(network)
    if per not in ("time", "shot"):
        raise QSNError(f"per must be 'time' or 'shot', got {per!r}")
    if v is None:
        if network.n_params != 1:
            raise QSNError(f"v is needed for a network with {network.n_params} parameters")
        v = [1.0]
    v = as_real_vector(v, "v", length=network.n_params)
    rates = [r for r in noise.rates if r > 0]
    if not rates:
        raise QSNError("noise has no time-dependent rate: the information grows without "
                       "bound with the interrogation time")
    if t_range is None:
        particles = max(1, sum(network.particles))
        t_range = (SEARCH_LOW / (max(rates) * particles), SEARCH_HIGH / min(rates))
    lo, hi = (float(x) for x in t_range)
    if not 0 < lo < hi:
        raise QSNError(f"t_range must be (lo, hi) with 0 < lo < hi, got {t_range}")
    power = 1 if per == "time" else 2
    seen: dict[float, tuple[float, np.ndarray]] = {}

    def figure(log_t: float) -> tuple[float, np.ndarray]:
        if log_t not in seen:                       # the optimum is evaluated twice
            t = math.exp(log_t)
            noisy = apply_noise(state, network, dataclasses.replace(noise, time=t), **options)
            F = noisy_qfim(noisy, network)
            bound = function_bound(F, v)
            info = 0.0 if not np.isfinite(bound) or bound <= 0 else 1.0 / bound
            seen[log_t] = (t ** power * info, F)
        return seen[log_t]

    grid = np.linspace(math.log(lo), math.log(hi), max(3, int(points)))
    values = [figure(x)[0] for x in grid]
    best = int(np.argmax(values))
    if values[best] <= 0:
        raise QSNError("the probe carries no information on v at any time in t_range")
    a, b = grid[max(0, best - 1)], grid[min(len(grid) - 1, best + 1)]
    res = scipy.optimize.minimize_scalar(lambda x: -figure(x)[0], bounds=(a, b),
                                         method="bounded",
                                         options={"xatol": tolerances.time_xatol})
    x = res.x if -res.fun >= values[best] else grid[best]
    value, F = figure(x)
    return InterrogationResult(math.exp(x), value, F, per)


def dephasing_crossover(n: int) -> float:
    r""":math:`\gamma t` at which GHZ and :math:`|+\rangle^{\otimes N}` give the same QFI under local dephasing.

    :math:`N^2e^{-2N\gamma t} = Ne^{-2\gamma t}` at :math:`\gamma t = \ln N/(2(N-1))`; GHZ is better
    before, the product state after (at equal t, so also per unit :math:`\omega`).

    Examples
    --------
    >>> round(dephasing_crossover(10), 8)
    0.12792139
    """
    n = int(n)
    if n < 2:
        raise QSNError(f"n must be an integer >= 2, got {n}")
    return math.log(n) / (2 * (n - 1))


# ----------------------------------------------------------------------------------------
# the gradient of two ensembles under local dephasing, in closed form
# ----------------------------------------------------------------------------------------
def _check_probe_name(probe: str, allowed: Sequence[str] = GRADIENT_PROBES) -> str:
    if probe not in allowed:
        raise QSNError(f"probe must be one of {list(allowed)}, got {probe!r}")
    return probe


def gradient_bound(probe: str, n, gamma_t):
    r"""The closed form of :math:`v^TF_\phi^+v` (one shot, in rad²) at dephasing :math:`\gamma t`.

    For the gradient :math:`v = (-1, 1)/\sqrt2` of two ensembles of n qubits each (module
    docstring).

    Parameters
    ----------
    probe : {"global", "local", "product"}
    n : int or array
        Qubits per site.
    gamma_t : float or array

    Returns
    -------
    float or numpy.ndarray
        :math:`e^{4n\gamma t}/(2n^2)`, :math:`e^{2n\gamma t}/n^2` or :math:`e^{2\gamma t}/n`.

    Examples
    --------
    >>> float(gradient_bound("global", 2, 0.0)), float(gradient_bound("local", 2, 0.0))
    (0.125, 0.25)
    """
    n = np.asarray(n, dtype=float)
    x = np.asarray(gamma_t, dtype=float)
    probe = _check_probe_name(probe)
    if probe == "global":
        return np.exp(4 * n * x) / (2 * n ** 2)
    if probe == "local":
        return np.exp(2 * n * x) / n ** 2
    return np.exp(2 * x) / n


def gradient_info(probe: str, n, gamma: float, t):
    r"""The closed form of the information per unit time :math:`t/(v^TF_\phi(t)^+v)`.

    Examples
    --------
    >>> round(float(gradient_info("product", 3, 1.0, 0.5)), 6) == round(3 * 0.5 / np.e, 6)
    True
    """
    return np.asarray(t, dtype=float) / gradient_bound(probe, n, gamma * np.asarray(t, dtype=float))


def gradient_optimal_time(probe: str, n, gamma: float):
    r""":math:`t^*`: :math:`1/(4n\gamma)`, :math:`1/(2n\gamma)` or :math:`1/(2\gamma)`.

    Examples
    --------
    >>> gradient_optimal_time("global", 10, 1.0), gradient_optimal_time("product", 10, 1.0)
    (0.025, 0.5)
    """
    n = np.asarray(n, dtype=float)
    factor = {"global": 4 * n, "local": 2 * n, "product": np.full_like(n, 2.0)}
    out = 1.0 / (factor[_check_probe_name(probe)] * gamma)
    return float(out) if out.ndim == 0 else out


def gradient_crossover(probe: str, gamma_t: float) -> float:
    r"""The N beyond which the global GHZ-like probe's bound at a fixed :math:`\gamma t` is worse.

    ``"local"``: :math:`N_\times = \ln2/(\gamma t)`; ``"product"``: the root of
    :math:`\gamma t = \ln N/(2(N-1))` (:func:`dephasing_crossover` of N qubits; ``nan`` when
    :math:`\gamma t\ge\ln2/2`, where the product state is better already at N = 2), found to
    ``tolerances.root_xtol`` and ``root_rtol``.

    Examples
    --------
    >>> round(gradient_crossover("local", 0.01), 4), round(gradient_crossover("product", 0.01), 2)
    (69.3147, 283.33)
    """
    x = float(gamma_t)
    if not x > 0:
        raise QSNError(f"gamma_t must be > 0, got {gamma_t!r}")
    if _check_probe_name(probe, ("local", "product")) == "local":
        return math.log(2) / x
    if x >= math.log(2) / 2:
        return math.nan
    # ln N / (2 (N - 1)) decreases from ln2/2 at N = 2; at N = 2 + 2/x^2 it is below x
    return float(scipy.optimize.brentq(lambda N: math.log(N) / (2 * (N - 1)) - x, 2.0,
                                       2.0 + 2.0 / x ** 2, xtol=tolerances.root_xtol,
                                       rtol=tolerances.root_rtol))
