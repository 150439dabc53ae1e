r"""The optimised probe in a comparison: ``"optimal"`` among the probes of :func:`compare`.

``compare(..., probes=[..., "optimal"])`` (a model file: ``[probes] compare = [...,
"optimal"]``) runs :func:`~qsn_qutip.optimal_probe` on the comparison's network, task, noise,
resource constraint and seed, adds the state it finds as the row ``optimal`` (evaluated as
every other probe state is, on its own allocation under ``resources="total"``:
:func:`probe_row`, the one place an :class:`~qsn_qutip.optimize.OptimalProbe` becomes a row)
and states the limit next to the menu (:func:`gain_sentence`, :func:`summary` for the JSON):

    entanglement can gain at most :math:`X = B_{sep}/B_{lim}` here; the best probe found
    gains :math:`Y = B_{sep}/B_{opt}`,

with :math:`B_{sep}` the best sensor-separable probe (each sensor optimised alone),
:math:`B_{lim}` the bound no probe goes below under the same noise and constraint, and
:math:`B_{opt}` the probe found (all from :func:`~qsn_qutip.optimal_probe`), so
:math:`Y \le X`.  ``"optimal"`` is opt-in (never in
:data:`~qsn_qutip.probes.DEFAULT_PROBES`): a search takes seconds to minutes.  The registry of
built-in probes (:mod:`qsn_qutip.probes`) sits below the optimiser, so the name lives here
(:data:`PROBE_NAMES`: every name :func:`compare` accepts).
"""

from __future__ import annotations

import numpy as np

from ..errors import QSNError
from ..network import Network
from ..noise import NoiseModel
from ..optimize import OptimalProbe, optimal_probe
from ..probes import BUILTIN_PROBES, Task, did_you_mean
from .rows import ProbeResult, is_product, not_applicable, state_row

__all__ = ["OPTIMAL", "PROBE_NAMES", "check_probe_name", "optimal_row", "probe_row",
           "gain_sentence", "summary"]

#: the name of the optimised probe in comparisons and model files
OPTIMAL = "optimal"
#: every probe name :func:`~qsn_qutip.report.compare` accepts: the registry's and ``optimal``
PROBE_NAMES = (*BUILTIN_PROBES, OPTIMAL)


def check_probe_name(name: str, argument: str = "probe") -> str:
    """``name`` when it is a built-in probe or ``"optimal"``; else :class:`QSNError` naming
    ``argument``, the closest name and every valid one.

    Examples
    --------
    >>> check_probe_name("optimum", "probes[2]")
    Traceback (most recent call last):
    ...
    qsn_qutip.errors.QSNError: probes[2]: unknown probe 'optimum' (did you mean 'optimal'?); probes are ['ghz', 'ghz-type', 'optimal-ghz', 'local-ghz', 'product', 'optimal-separable', 'time-shared', 'optimal']
    """
    if name not in PROBE_NAMES:
        raise QSNError(f"{argument}: unknown probe {name!r}{did_you_mean(name, PROBE_NAMES)}; "
                       f"probes are {list(PROBE_NAMES)}")
    return name


def optimal_row(network: Network, task: Task, noise: NoiseModel | None, resources: str,
                seed: int | None = None,
                phi: np.ndarray | None = None) -> tuple[ProbeResult, OptimalProbe | None]:
    """Run :func:`~qsn_qutip.optimal_probe` for a comparison and return (its row, the
    result); when the search does not apply (a generator that is not diagonal, decay or loss,
    ``resources="total"`` on sensors that are not Dicke ensembles ...) the row is n/a with the
    reason and the result None."""
    try:
        best = optimal_probe(network, v=task.v,
                             weights=None if task.v is not None else task.weights, noise=noise,
                             resources=resources, seed=seed, repeats=task.repeats)
    except QSNError as err:
        return not_applicable(OPTIMAL, network, f"no optimised probe: {err}", False), None
    return probe_row(best, network, task, noise, phi), best


def probe_row(best: OptimalProbe, given: Network, task: Task, noise: NoiseModel | None,
              phi: np.ndarray | None = None) -> ProbeResult:
    r"""The row of a comparison for the probe ``best`` found on the hardware ``given``.

    The state is evaluated by :func:`~qsn_qutip.report.rows.state_row`, the code every other
    probe state goes through (its QFIM after the noise at ``noise.time``, or at its own best
    time when ``noise.time`` is None), so the row compares like for like; it is marked
    separable only when the state found is a product over the sensors.
    """
    row = state_row(OPTIMAL, best.network, best.state, task, noise,
                    is_product(best.state, best.network), given, phi)
    status = "converged" if best.converged else "NOT converged (see qsn optimize)"
    row.note = "; ".join(n for n in (f"the best probe found by optimal_probe ({status})",
                                     row.note) if n)
    return row


def gain_sentence(best: OptimalProbe, short: bool = False) -> str:
    """What entanglement can gain at most under this noise and constraint, and what the best
    probe found gains (the limit next to the menu); ``short``: the two factors alone.

    Examples
    --------
    >>> from qsn_qutip import Network, QubitEnsemble
    >>> from qsn_qutip.optimize import optimal_probe
    >>> best = optimal_probe(Network([QubitEnsemble(2), QubitEnsemble(2)]), v=[1, -1], seed=1)
    >>> print(gain_sentence(best))                           # doctest: +NORMALIZE_WHITESPACE
    entanglement can gain at most 2 x here (best sensor-separable 0.5, limit 0.25: no probe
    below, per shot); the best probe found gains 2 x (0.25)
    >>> gain_sentence(best, short=True)
    'entanglement can gain at most 2 x here; the best probe found gains 2 x'
    """
    if short:
        return (f"entanglement can gain at most {best.max_gain:.4g} x here; the best probe "
                f"found gains {best.gain:.4g} x")
    unit = ("per unit time" if best.per == "time" else "per shot") + (
        f", t = {best.time:.4g}" if best.per == "time" and best.time is not None else "")
    found = f"{best.gain:.4g} x ({best.bound:.6g}"
    found += ")" if best.converged else ", the search did not converge)"
    return (f"entanglement can gain at most {best.max_gain:.4g} x here (best sensor-separable "
            f"{best.separable_bound:.6g}, limit {best.limit:.6g}: no probe below, {unit}); the "
            f"best probe found gains {found}")


def summary(best: OptimalProbe) -> dict:
    """The numbers of :func:`gain_sentence` for a comparison's JSON (``limit.optimal``):
    ``bound``, ``limit``, ``separable_bound``, ``product_bound``, ``gain``, ``max_gain``,
    ``per``, ``time``, ``allocation``, ``converged``, ``notes``, ``text``."""
    return {"bound": best.bound, "limit": best.limit, "separable_bound": best.separable_bound,
            "product_bound": best.product_bound, "gain": best.gain,
            "max_gain": best.max_gain, "per": best.per, "time": best.time,
            "allocation": list(best.allocation), "converged": best.converged,
            "notes": list(best.notes), "text": gain_sentence(best)}
