r"""The two resource constraints a comparison is made under, and which probes satisfy them.

The paper's question, "does entanglement help?", is only answered when like is compared
with like.  Two constraints are natural for a network whose sensors that carry parameters
hold :math:`n_k` particles (qubits, atoms, or photons of a mode), :math:`N=\sum_kn_k`:

``"total"`` (the paper's, the default)
    A total of N particles, allocated freely across the sensors: the probe lives on the
    space of some allocation w with :math:`\|w\|_1 \le N`, the same in every shot (the
    paper's sensor-separable states :math:`\propto(|\lambda_{\min,w_k}\rangle +
    |\lambda_{\max,w_k}\rangle)^{\otimes d}` "optimized over :math:`w\in\mathbb N^d` with
    :math:`\|w\|_1 = N`", and its GHZ-like state, Eq. 1).
``"fixed"`` (the hardware's)
    Sensor k holds at most its :math:`n_k` particles: the allocation is the one built.

A probe satisfies a constraint according to the particles its state actually uses
(:func:`support`): the largest particle number each sensor's state reaches with weight above
``tolerances.truncation``.  For qubit ensembles and atoms that is the sensor's particle number;
for an optical mode the highest occupied Fock level, so a coherent state whose tail reaches
the cutoff uses more photons than its mean.  The time-shared reference moves all N particles
onto one sensor per shot (a mixture of allocations): it satisfies neither constraint and is
reported, not ranked.
"""

from __future__ import annotations

import numpy as np
import qutip

from ..errors import QSNError
from .._linalg import diagonal_of
from ..network import Network
from ..options import tolerances

__all__ = ["RESOURCES", "check_resources", "support", "fits", "satisfies", "describe_resources"]

#: the resource constraints and what each means, for tables and help texts
RESOURCES = {
    "total": "N particles in total, allocated freely across the sensors (one allocation for "
             "all shots; the paper's)",
    "fixed": "each sensor keeps the particles it has (the hardware's)",
}


def check_resources(value, argument: str = "resources") -> str:
    """``value`` if it names a constraint of :data:`RESOURCES`, else a :class:`QSNError`.

    >>> check_resources("fixed")
    'fixed'
    """
    if not isinstance(value, str) or value not in RESOURCES:
        raise QSNError(f'{argument} must be "total" (the paper\'s: N particles allocated '
                       f'freely) or "fixed" (the particles each sensor has), got {value!r}')
    return value


def _label(network: Network, k: int) -> str:
    name = network.sensors[k].name
    return f"sensor {name!r}" if name else f"sensor {k + 1}"


def _marginal(state: qutip.Qobj, network: Network, k: int) -> np.ndarray:
    """The probabilities of sensor k's basis states (diagonal of its reduced state)."""
    full = state.full()
    probs = np.abs(full.ravel()) ** 2 if state.isket else np.real(np.diag(full))
    probs = probs.reshape(network.ket_dims)
    keep = network.sensor_selection(k)
    other = tuple(a for a in range(len(network.ket_dims)) if a not in keep)
    return probs.sum(axis=other).ravel() if other else probs.ravel()


def support(network: Network, state: qutip.Qobj) -> list[float]:
    r"""The largest particle number each sensor that carries parameters reaches in ``state``.

    The largest eigenvalue of the sensor's (diagonal) resource operator among the basis states
    whose probability exceeds ``tolerances.truncation``; a sensor whose resource operator is a
    multiple of the identity (qubits, atoms) simply reports its particle number.

    Examples
    --------
    >>> from qsn_qutip import Network, OpticalMode, QubitEnsemble, states
    >>> net = Network([QubitEnsemble(3), OpticalMode(12, photons=1)])
    >>> [round(x) for x in support(net, states.local_ghz(net))]
    [3, 1]
    >>> support(net, states.product(net))[1] > 1          # the coherent state's tail
    True
    """
    out = []
    for k in network.sensing:
        sensor = network.sensors[k]
        diag = diagonal_of(sensor.resource_operator)
        if diag is None:
            out.append(float(sensor.particles))
            continue
        diag = np.real(np.asarray(diag)).ravel()
        if np.ptp(diag) <= tolerances.atol * max(1.0, np.abs(diag).max()):
            out.append(float(diag[0]))
            continue
        weight = _marginal(state, network, k)
        out.append(float(diag[weight > tolerances.truncation].max()))
    return out


def fits(given: Network, network: Network, state: qutip.Qobj | None) -> dict[str, str | None]:
    """Per constraint, None when the probe ``state`` on ``network`` satisfies it on the
    hardware ``given``, else the reason it does not.

    ``network`` is the probe's own (it may re-allocate the particles of ``given``); ``state``
    None stands for a strategy that is not a probe state (a reference).
    """
    if state is None:
        why = ("a reference: it moves the N particles between sensors shot by shot, which "
               "neither constraint allows")
        return {"total": why, "fixed": why}
    have = [given.particles[k] for k in given.sensing]
    total = sum(have)
    used = support(network, state)
    slack = 1e-9 * max(1, total)
    out: dict[str, str | None] = {"total": None, "fixed": None}
    if sum(used) > total + slack:
        out["total"] = (f"uses {_count(sum(used))} particles on the sensors (more than the "
                        f"N = {total} of the hardware)")
    if len(used) != len(have):
        out["fixed"] = "a different set of sensors"
        return out
    over = [j for j, (u, n) in enumerate(zip(used, have)) if u > n + slack]
    if over:
        j = over[0]
        k = given.sensing[j]
        moved = [network.particles[i] for i in network.sensing] != have
        out["fixed"] = (f"re-allocates the particles to {'+'.join(_count(x) for x in used)}; "
                        f"the hardware has {'+'.join(map(str, have))}" if moved else
                        f"puts weight on {_count(used[j])} particles in {_label(given, k)}, "
                        f"which has {have[j]}")
    return out


def _count(x: float) -> str:
    return str(int(round(x))) if abs(x - round(x)) < 1e-9 else f"{x:.3g}"


def satisfies(given: Network, network: Network, state: qutip.Qobj | None) -> tuple[str, ...]:
    """The constraints of :data:`RESOURCES` the probe satisfies (see :func:`fits`)."""
    return tuple(name for name, why in fits(given, network, state).items() if why is None)


def describe_resources(resources: str, network: Network) -> str:
    """One line naming the constraint with the network's numbers, for tables.

    >>> from qsn_qutip import Network, QubitEnsemble
    >>> print(describe_resources("fixed", Network([QubitEnsemble(4), QubitEnsemble(7)])))
    fixed: n = 4+7 particles, each sensor keeps the particles it has (the hardware's)
    """
    have = [network.particles[k] for k in network.sensing]
    if resources == "total":
        return (f"total: N = {sum(have)} particles in total, allocated freely across the "
                f"sensors (one allocation for all shots; the paper's)")
    return f"fixed: n = {'+'.join(map(str, have))} particles, {RESOURCES['fixed']}"
