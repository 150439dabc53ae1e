r"""The exercises of lab 6, "does entanglement help my network?", and their checkers.

The lab's network is ``models/uneven_ensembles.toml``: three qubit ensembles of 4, 7 and 9
qubits and the curvature :math:`\theta = (\phi_1 - 2\phi_2 + \phi_3)/\sqrt6`.  The checkers
rebuild it from those numbers and compute every answer with the library
(:func:`~qsn_qutip.estimation.bounds.hardware_limit`, :func:`~qsn_qutip.report.compare`,
:func:`~qsn_qutip.modelfile.parse_model`, :func:`~qsn_qutip.optimize.optimal_probe` on the
scaled-down copy :data:`SMALL_N` under local dephasing :data:`NOISY_GAMMA_T`).

>>> from qsn_qutip.labs import check
>>> print(check("lab6.hardware_limit", 0.0260797))     # doctest: +ELLIPSIS
✗ lab6.hardware_limit: your limit is 0.02608 = sum_k (v_k/n_k)^2: ... the max, not the sum.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import threadpoolctl

from ..errors import QSNError
from .checking import close, exercise, number, numbers, right, wrong

__all__ = ["UNEVEN_V", "UNEVEN_N", "SMALL_N", "NOISY_GAMMA_T"]

#: the task and the particle numbers of ``models/uneven_ensembles.toml``
UNEVEN_V = (1 / math.sqrt(6), -2 / math.sqrt(6), 1 / math.sqrt(6))
UNEVEN_N = (4, 7, 9)
#: part 6: the same line scaled down (60 Dicke amplitudes, a search of seconds; 4+7+9 has 400)
SMALL_N = (2, 3, 4)
#: part 6: the local dephasing of every qubit at the fixed interrogation time
NOISY_GAMMA_T = 0.1


@functools.lru_cache(maxsize=2)
def _uneven(resources: str):
    """The comparison of the lab's network under ``resources`` (cached: about a second)."""
    from ..network import Network
    from ..report import compare
    from ..sensors import QubitEnsemble
    network = Network([QubitEnsemble(n) for n in UNEVEN_N])
    return compare(network, v=np.array(UNEVEN_V), resources=resources)


@exercise("lab6.hardware_limit", "max_k (v_k/n_k)^2/mu for the 4 + 7 + 9 qubit ensembles")
def _hardware_limit(answer):
    from ..estimation.bounds import ghz_bound, hardware_limit
    value = number(answer, "limit")
    v, n = np.array(UNEVEN_V), np.array(UNEVEN_N, dtype=float)
    want = hardware_limit(v, n)
    if close(value, want):
        k = int(np.argmax((v / n) ** 2))
        return right(f"{value:.6g} rad^2, set by sensor {k + 1} ({UNEVEN_N[k]} qubits, |v_k| = "
                     f"{abs(v[k]):.4f}): the fewest qubits per unit of |v_k|. No probe on this "
                     f"hardware goes below it; the GHZ-type probe reaches it.")
    slip = [(float(np.min((v / n) ** 2)),
             "the smallest (v_k/n_k)^2: the limit is set by the weakest sensor, the LARGEST "
             "(v_k/n_k)^2 — one sensor with too few qubits limits the whole network."),
            (float(np.sum((v / n) ** 2)),
             "sum_k (v_k/n_k)^2: that is the best separable bound (a local GHZ state on every "
             "sensor, local-ghz); the entangled limit is the max, not the sum."),
            (float(np.max(v ** 2 / n)),
             "max_k v_k^2/n_k: the spread of a GHZ state's generator on n_k qubits is s_k = "
             "n_k (kappa n_k), and the variance goes as 1/s_k^2: square n_k."),
            (ghz_bound(v, int(n.sum())),
             "||v||_1^2/N^2, the paper's limit when the N = 20 qubits may be re-allocated "
             "(resources = \"total\"); on the fixed hardware each sensor keeps its n_k.")]
    for candidate, message in slip:
        if close(value, candidate):
            return wrong(f"your limit is {value:.4g} = {message}")
    return wrong(f"your limit is {value:.6g}; compute max_k (v_k/n_k)^2 / mu with v = model.v, "
                 f"n_k the qubits of sensor k and mu = model.repeats = 1.")


@exercise("lab6.fixed_verdict", "(best probe, its ratio to the best separable) on fixed hardware")
def _fixed_verdict(answer):
    if not isinstance(answer, (tuple, list)) or len(answer) != 2 or not isinstance(answer[0],
                                                                                   str):
        raise QSNError("your answer should be a pair (name of the best probe, ratio), e.g. "
                       "('product', 1.0)")
    best, ratio = answer[0], number(answer[1], "ratio")
    verdict = _uneven("fixed").verdict
    total = _uneven("total").verdict
    if best == verdict.best and close(ratio, verdict.ratio, 1e-4):
        return right(f"{best}, {ratio:.4g} x the best separable probe ({verdict.best_separable})"
                     f": on the hardware as it is, entanglement still helps, by less than the "
                     f"paper's {total.ratio:.3g} with free re-allocation.")
    if best in ("optimal-ghz", "optimal-separable"):
        return wrong(f"{best} re-allocates the 20 qubits (5+10+5 or 6+9+5): not allowed when "
                     f"each sensor keeps its own (resources=\"fixed\"); the table marks it (x).")
    if best == "time-shared":
        return wrong("time-shared is a reference strategy (it moves all the qubits between "
                     "sensors shot by shot), never ranked.")
    if best != verdict.best:
        return wrong(f"{best!r} is not the best ranked probe under resources=\"fixed\": read "
                     f"comparison.verdict.best of compare(model.network, v=model.v, "
                     f"resources=\"fixed\").")
    fixed = _uneven("fixed")
    against_reallocated = fixed[verdict.best].bound / fixed["optimal-separable"].bound
    if close(ratio, total.ratio, 1e-4) or close(ratio, against_reallocated, 1e-4):
        return wrong(f"the probe is right; the ratio {ratio:.4g} is against optimal-separable, "
                     f"which re-allocates: on fixed hardware the best separable probe is "
                     f"{verdict.best_separable}.")
    if ratio > 1:
        return wrong(f"the probe is right; your ratio {ratio:.4g} is upside down (best over "
                     f"best separable, below 1 when entanglement helps).")
    return wrong(f"the probe is right; your ratio is {ratio:.6g}: take "
                 f"comparison.verdict.ratio.")


@exercise("lab6.no_help_model", "a model file where entanglement does not help (Theorem 1)")
def _no_help_model(answer):
    from ..modelfile import parse_model
    if not isinstance(answer, str):
        raise QSNError("your answer should be the text of a model file (a string)")
    try:
        comparison = parse_model(answer, "your model file").compare()
    except QSNError as err:
        return wrong(f"your model file does not load: {err}")
    entangled = [p for p in comparison.probes if p.separable is False and p.applies]
    if not entangled:
        return wrong("your comparison has no entangled probe, so it cannot show that "
                     "entanglement does not help: add one, e.g. a GHZ state across the sensors "
                     "as a [[probes.state]] (terms = [{basis = [0, 0], amplitude = 1}, "
                     "{basis = [3, 3], amplitude = 1}] for two sensors of 3 qubits).")
    verdict = comparison.verdict
    if verdict.best is None:
        return wrong("no probe is ranked under your model's resource constraint; use "
                     "resources = \"total\" or list probes that fit the hardware.")
    if comparison[verdict.best].separable is not True:
        return wrong(f"in your network entanglement helps: {verdict.best} beats "
                     f"{verdict.best_separable} (x {verdict.ratio:.3g}). A function of several "
                     f"parameters gains from a GHZ-like probe (Eq. 1); Theorem 1 is about "
                     f"estimating every parameter on its own: try [task] weights = [1, 1, ...].")
    names = ", ".join(p.name for p in entangled)
    return right(f"the best probe is {verdict.best}, sensor-separable; the entangled ones "
                 f"({names}) do no better. {verdict.reason.split('. ')[0]}.")


@functools.lru_cache(maxsize=1)
def _noisy_search():
    """The best probe on :data:`SMALL_N` under dephasing, and the menu's GHZ-type bound there
    (cached: a few seconds)."""
    from ..network import Network
    from ..noise import NoiseModel
    from ..optimize import optimal_probe
    from ..report import compare
    from ..sensors import QubitEnsemble
    network = Network([QubitEnsemble(n) for n in SMALL_N])
    noise = NoiseModel(dephasing=NOISY_GAMMA_T, time=1.0)
    v = np.array(UNEVEN_V)
    with threadpoolctl.threadpool_limits(1):         # 60 x 60 matrices: one thread is faster
        best = optimal_probe(network, v=v, noise=noise, resources="fixed", seed=1, restarts=0)
    menu = compare(network, v=v, noise=noise, resources="fixed", probes=["ghz-type"])
    return best, menu["ghz-type"].bound


@exercise("lab6.optimal_gain", "(gain of the probe found, largest possible gain) under "
                               "dephasing, both over the best sensor-separable probe")
def _optimal_gain(answer):
    from ..estimation.bounds import hardware_limit
    gain, most = numbers(answer, 2, "answer (gain, max_gain)")
    best, ghz = _noisy_search()
    sep, bound, limit = best.separable_bound, best.bound, best.limit
    if close(gain, sep / bound, 1e-4) and close(most, sep / limit, 1e-4):
        return right(f"the probe found gains x {gain:.4g} over the best sensor-separable probe "
                     f"(the menu's GHZ-type probe x {sep / ghz:.3g}); no probe can gain more "
                     f"than x {most:.3g} under this noise, so the search leaves at most a "
                     f"factor {most / gain:.3g} on the table.")
    v, n = np.array(UNEVEN_V), np.array(SMALL_N, dtype=float)
    noiseless = float(np.sum((v / n) ** 2)) / hardware_limit(v, n)
    slips = [((bound / sep, limit / sep), "upside down: the gain is the separable bound over "
              "the probe's (a variance ratio, above 1 when entanglement helps)"),
             ((best.product_bound / bound, best.product_bound / limit), "over the product "
              "state; the gain is over the best sensor-separable probe (separable_bound), "
              "which may entangle the qubits inside each sensor"),
             ((sep / ghz, sep / limit), "the gain of the menu's GHZ-type probe, not of the "
              "probe found (best.bound)"),
             ((noiseless, noiseless), "the noiseless gain on this hardware (local GHZ against "
              "the hardware limit); under the noise use best.separable_bound, best.bound and "
              "best.limit")]
    for (g, m), message in slips:
        if close(gain, g, 1e-4) and close(most, m, 1e-4):
            return wrong(f"your pair is {message}.")
    if close(gain, sep / bound, 1e-4):
        if close(most, bound / limit, 1e-4):
            return wrong(f"the gain is right; {most:.4g} = bound / limit is how far the probe "
                         f"found is from the limit, not the largest gain over the separable "
                         f"probe: take best.separable_bound / best.limit.")
        return wrong(f"the gain is right; your largest gain is {most:.6g}: take "
                     f"best.separable_bound / best.limit.")
    return wrong(f"your gain is {gain:.6g}; take best.separable_bound / best.bound (and "
                 f"best.separable_bound / best.limit for the largest gain).")

