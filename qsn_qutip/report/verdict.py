r"""The verdict of a comparison: which probes are ranked, the limit, and the paper's statement.

A comparison is made under one resource constraint (:data:`~qsn_qutip.probes.RESOURCES`):
``"total"`` (the paper's: N particles allocated freely, one allocation for all shots) or
``"fixed"`` (the hardware's).  Only probes that satisfy it are ranked; the others are reported
with the reason.  The ``time-shared`` reference is never ranked: it moves all N particles onto
one sensor per shot, a mixture of allocations that neither constraint allows, and the verdict
says so whenever it is in the table, with its number (it reaches the paper's
:math:`\|v\|_1^2/(\mu\kappa^2N^2)`, which is why the entangled advantage rests on a definite
allocation per sensor).

The limit no probe beats (:func:`limit`) is stated where it is known: for a function
:math:`\theta = v^T\phi` on a network with one commuting generator per sensor,
:math:`\max_k(v_k/s_k)^2/\mu` on fixed hardware
(:func:`~qsn_qutip.estimation.bounds.hardware_limit`) and its least value over the
allocations of the N particles under the paper's constraint.  Elsewhere (all parameters with
weights, several parameters or non-commuting generators on a sensor) the verdict says that
this limit does not apply rather than print a number.

The statement of the paper is chosen by what it covers: Theorem 1 for commuting generators
and diagonal weights (a function of one parameter included), Theorem 2 for non-commuting
generators and diagonal weights, the global-function section (Eq. 1) for a function of
several parameters with one commuting generator per sensor; a function of several parameters
on sensors with non-commuting generators is outside all three, and the verdict says what the
paper does say about it.
"""

from __future__ import annotations

import numpy as np

from ..errors import QSNError
from ..estimation.bounds import ghz_bound, hardware_limit
from ..network import Network
from ..options import tolerances
from ..probes import REFERENCES, Task, several_parameters
from ..probes.ghz_type import bottleneck, ghz_type_allocation, spreads

__all__ = ["rank", "limit", "flag_resources", "reason"]


def _label(network: Network, k: int) -> str:
    name = network.sensors[k].name
    return f"sensor {name!r}" if name else f"sensor {k + 1}"


def _pick(candidates: list):
    """The probe with the least bound; among ties (``tolerances.tie_rtol``) the first listed."""
    if not candidates:
        return None
    least = min(r.bound for r in candidates)
    return next(r for r in candidates if r.bound <= least + tolerances.tie_rtol * abs(least))


def rank(results: list, resources: str) -> tuple[object, object]:
    """Mark which results are ranked under ``resources`` (``ranked``, ``rank_note``) and return
    (best, best sensor-separable) among them (None when there is none)."""
    for r in results:
        r.ranked = r.applies and r.name not in REFERENCES and resources in r.satisfies
        if r.applies and not r.ranked:
            why = r.fits.get(resources) if r.fits else None
            r.rank_note = (f"not ranked: {why}" if why else
                           f"not ranked: does not satisfy the {resources} constraint")
    ranked = [r for r in results if r.ranked]
    best = _pick(ranked)
    best_sep = _pick([r for r in ranked if r.separable])
    return best, best_sep


def limit(network: Network, task: Task, resources: str) -> tuple[float | None, str]:
    r"""(the least bound any probe reaches under ``resources``, how it is set) — or
    (None, why no such limit is stated)."""
    if task.v is None:
        return None, ("no limit stated: the hardware limit max_k (v_k/s_k)^2 is for a function "
                      "theta = v . phi, not for all parameters with weights")
    problem = several_parameters(network)
    if problem:
        why = "" if network.commuting else ", whose generators do not commute"
        return None, (f"no limit stated: the hardware limit max_k (v_k/s_k)^2 needs one "
                      f"parameter per sensor ({problem}{why})")
    v = task.v
    if resources == "fixed":
        s = spreads(network)
        star = network.sensing[bottleneck(v, s)]
        value = hardware_limit(v, s, task.repeats)
        return value, (f"limit = max_k (v_k/s_k)^2/mu: no probe with at most n_k particles on "
                       f"sensor k does better; set by {_label(network, star)} (spread "
                       f"s = {s[network.sensing.index(star)]:g}, the fewest particles per |v_k|)")
    try:
        full = ghz_type_allocation(network, v)
    except QSNError as err:
        return None, f"no limit stated: {err}"
    net = network.with_particles(full)
    value = hardware_limit(v, spreads(net), task.repeats)
    numbers = [full[k] for k in network.sensing]
    text = (f"limit = min over allocations of the N = {sum(numbers)} particles of "
            f"max_k (v_k/s_k)^2/mu, at n = {'+'.join(map(str, numbers))}: no probe with one "
            f"allocation of N particles does better")
    kappas = {network.sensors[k].kappa for k in network.sensing}
    if len(kappas) == 1 and np.all(v != 0):
        paper = ghz_bound(v, sum(numbers), kappas.pop(), task.repeats)
        text += (" (the paper's ||v||_1^2/(mu kappa^2 N^2))" if value <= paper * (
            1 + tolerances.tie_rtol) else f"; the paper's ||v||_1^2/(mu kappa^2 N^2) = "
            f"{paper:.6g} needs N divisible along |v|, or the allocation changing from shot "
            f"to shot (time-shared)")
    return value, text


def flag_resources(results: list, best_sep, best) -> list[str]:
    """Flag the probes whose mean resource differs from that of the best separable probe
    (else the best): ``resource_note`` on each; returns ``["name R", ...]`` when any differ."""
    anchor = best_sep or best
    states = [r for r in results if r.applies and r.resources is not None
              and r.name not in REFERENCES]
    if anchor is None or anchor.resources is None or not states:
        return []
    ref = anchor.resources
    differ = [r for r in states
              if abs(r.resources - ref) > tolerances.tie_rtol * max(abs(ref), 1.0)]
    for r in differ:
        r.resource_note = (f"mean resource {r.resources:.4g}, not the {ref:.4g} of "
                           f"{anchor.name}: not like for like")
    if not differ:
        return []
    return [f"{r.name} {r.resources:.4g}" for r in [anchor, *differ]]


def _theorem(network: Network, task: Task) -> str | None:
    """The paper's statement for diagonal weights (or a function of one parameter)."""
    if task.v is not None and np.count_nonzero(task.v) > 1:
        return None
    if network.commuting:
        return ("Theorem 1: with commuting generators and independent parameters (or a "
                "function of one of them) a sensor-separable probe with local measurements "
                "is optimal; entanglement between sensors cannot lower the bound.")
    return ("Theorem 2: the generators of a sensor do not commute; for all parameters with "
            "diagonal weights, sensor entanglement can be replaced by entanglement with a local "
            "ancilla at no more than twice the resources (see theorems.ancilla_counterpart).")


def _outside(network: Network) -> str:
    why = ("its generators do not commute" if not network.commuting
           else "it carries several parameters")
    return (f"outside the paper's theorems: a function of several parameters on a network "
            f"where a sensor carries several parameters ({why}). Theorems 1 and 2 are about "
            f"all parameters with diagonal weights, and the global-function section (Eq. 1) "
            f"assumes one identical commuting generator per sensor; the paper says only that "
            f"for global properties of a network 'the optimal protocol ... often requires "
            f"sensor-entangled states'. The best probe here needs a search over probe states "
            f"(\"optimal\" among the probes, where the search covers the network); the table "
            f"compares the listed probes only.")


def _best_entangled(results: list):
    return _pick([r for r in results if r.ranked and r.separable is False])


def _global(network: Network, task: Task, results: list, resources: str,
            best_sep, bound: float | None) -> str:
    active = np.abs(task.v[task.v != 0])
    numbers = [network.particles[k] for k in network.sensing]
    ent = _best_entangled(results)
    if resources == "total":
        gain = np.sum(active) ** 2 / np.sum(active ** (2 / 3)) ** 3
        text = (f"global function under the paper's constraint (N = {sum(numbers)} particles "
                f"allocated freely): the GHZ-like state (Eq. 1) gains ||v||_1^2/||v||_(2/3)^2 "
                f"= {gain:.4g} over every sensor-separable state with a fixed allocation, for "
                f"continuous allocations.")
    else:
        text = (f"global function on this hardware (n = {'+'.join(map(str, numbers))}): "
                f"without noise the best sensor-separable probe is a GHZ state on every "
                f"sensor, sum_k v_k^2/(mu s_k^2) (local-ghz).")
    if ent is not None and best_sep is not None and np.isfinite(best_sep.bound):
        text += (f" Here {ent.name} reaches {ent.bound:.6g} against {best_sep.bound:.6g} for "
                 f"{best_sep.name} (x {ent.bound / best_sep.bound:.4g}).")
    if bound is not None:
        text += f" No probe under this constraint goes below {bound:.6g}"
        if ent is not None and ent.bound <= bound * (1 + tolerances.tie_rtol):
            text += f", which {ent.name} reaches."
        else:
            text += "."
    return text


def _time_shared(task: Task, results: list) -> str:
    ref = next((r for r in results if r.name == "time-shared" and r.applies), None)
    if ref is None:
        return ""
    text = (f" time-shared is a reference, not ranked: it puts all N particles, in a local GHZ "
            f"state, on one sensor per shot (shares in its note), a mixture of allocations "
            f"that neither constraint allows; it reaches {ref.bound:.6g}")
    if task.v is not None:
        return text + (", the paper's GHZ-like value ||v||_1^2/(mu kappa^2 N^2): the entangled "
                       "advantage rests on each sensor's particle number being fixed during "
                       "the shots.")
    return text + (": moving particles between sensors shot by shot beats any fixed "
                   "allocation, which the paper's fixed Hilbert space rules out.")


def _below(results: list, best, resources: str) -> str:
    """Probes that are not ranked (references excluded) yet report a smaller bound."""
    if best is None:
        return ""
    lower = [r for r in results if r.applies and not r.ranked and r.name not in REFERENCES
             and r.bound < best.bound * (1 - tolerances.tie_rtol)]
    return "".join(f" {r.name} reaches {r.bound:.6g} but is not under the {resources} "
                   f"constraint ({r.rank_note.removeprefix('not ranked: ')})." for r in lower)


def _per_unit_time(results: list) -> str:
    timed = [p for p in results if p.omega_bound is not None and p.ranked]
    if not timed:
        return ""
    fastest = min(timed, key=lambda p: p.omega_bound)
    slowest = max(timed, key=lambda p: p.omega_bound)
    if slowest.omega_bound <= fastest.omega_bound * (1 + tolerances.tie_rtol):
        return (f" Per unit time, at each ranked probe's optimal interrogation time, all reach "
                f"the same Var*T = {fastest.omega_bound:.6g}: the noise cancels the advantage "
                f"of entanglement (as local dephasing does, Huelga et al. 1997).")
    return (f" Per unit time, at its optimal interrogation time "
            f"t* = {fastest.optimal_time:.4g}, {fastest.name} is best "
            f"(Var*T = {fastest.omega_bound:.6g}).")


def reason(network: Network, task: Task, results: list, resources: str, best, best_sep,
           bound: float | None, unequal: list[str], noisy: bool = False,
           optimal: str | None = None) -> str:
    """The statement of the paper that explains the result, with the caveats of this table;
    ``optimal``: what the optimiser found (:func:`qsn_qutip.report.optimal.gain_sentence`),
    stated after the menu."""
    if best is not None and not np.isfinite(best.bound):
        text = ("no probe estimates this task: every bound is infinite (a weighted direction "
                "lies outside the range of every QFIM).")
    elif best is None:
        text = (f"no probe in the table satisfies the {resources} constraint, so none is "
                f"ranked.")
    else:
        text = _theorem(network, task)
        if text is None:
            text = (_outside(network) if several_parameters(network) else
                    _global(network, task, results, resources, best_sep, bound))
    text += _per_unit_time(results) + _below(results, best, resources)
    if optimal is not None:
        text += f" Searching the probe states (optimal): {optimal}."
    elif noisy and best is not None:
        text += (" With noise no closed form gives the best probe: the listed probes are "
                 "compared; add \"optimal\" to the probes to search the probe states for the "
                 "best one and the limit no probe beats.")
    text += _time_shared(task, results)
    if unequal:
        text += (f" Not like for like: the probes use different mean resources "
                 f"({', '.join(unequal)}); a ratio between them compares unequal resources.")
    return text
