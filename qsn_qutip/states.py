r"""Probe states on a network: GHZ-like (Eq. 1), local GHZ, product, NOON, generalised NOON, random.

Every factory takes the :class:`~qsn_qutip.Network` and returns a ``Qobj`` with the network's
dims.  Conventions: :math:`|\lambda_{\min,n}\rangle`, :math:`|\lambda_{\max,n}\rangle` are each
sensor's extremal generator eigenstates for its particle number n
(:meth:`~qsn_qutip.sensors.Sensor.extremal_states`).  A sensor without parameters (a phase
reference, an ancilla) is left in its :meth:`~qsn_qutip.sensors.Sensor.idle_state` (vacuum,
ground level) by the GHZ-like, local-GHZ and product probes.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

import numpy as np
import qutip

from .errors import QSNError
from ._checks import as_positive_int, as_real_vector
from .network import Network, check_network
from .options import tolerances

__all__ = ["ghz_like", "local_ghz", "product", "spin_coherent", "noon", "generalized_noon",
           "random_pure", "random_mixed", "proportional_allocation"]


def _one_parameter_per_sensor(network, what: str) -> Network:
    network = check_network(network)
    for k, sensor in enumerate(network.sensors):
        if sensor.n_params > 1:
            raise QSNError(f"{what} needs at most one parameter per sensor; {network.which(k)} "
                           f"({sensor!r}) carries {sensor.n_params}")
    return network


def _seed(seed, name: str = "seed") -> int | None:
    """``seed`` checked: None or an integer >= 0 (what :func:`numpy.random.default_rng` takes)."""
    if seed is None:
        return None
    return as_positive_int(seed, name, minimum=0)


def proportional_allocation(v: Sequence[float], total: int) -> list[int] | None:
    """Integer particle numbers n with sum ``total`` and n proportional to |v|, or None.

    Examples
    --------
    >>> proportional_allocation([-1, 1], 8)
    [4, 4]
    >>> proportional_allocation([1, 2], 8) is None
    True
    """
    v = np.abs(as_real_vector(v, "v"))
    total = as_positive_int(total, "total")
    if np.any(v == 0):
        return None
    share = total * v / v.sum()
    numbers = np.rint(share).astype(int)
    if np.any(numbers < 1) or numbers.sum() != total or not np.allclose(
            share, numbers, rtol=0, atol=tolerances.ratio_rtol * total):
        return None
    return numbers.tolist()


def ghz_like(network: Network, v: Sequence[float]) -> qutip.Qobj:
    r"""The GHZ-like state of Eq. (1) for :math:`\theta = v^T\phi`.

    .. math::
        |\psi_{\mathrm{ghz},v}\rangle = \frac{1}{\sqrt2}\Big(\bigotimes_k|\lambda_{\max,n_k}\rangle
        + \bigotimes_k|\lambda_{\min,n_k}\rangle\Big),

    with max and min swapped on every sensor with :math:`v_k < 0` (the gradient example
    :math:`|{\downarrow}^{n_1}{\uparrow}^{n_2}\rangle + |{\uparrow}^{n_1}{\downarrow}^{n_2}\rangle`).
    Its QFIM is :math:`\kappa^2N^2vv^T/\|v\|_1^2`.  The particle numbers of the sensors that
    carry parameters must be proportional to :math:`|v|` (:math:`n_k = N|v_k|/\|v\|_1`).

    Examples
    --------
    >>> from qsn_qutip import Network, QubitEnsemble
    >>> psi = ghz_like(Network([QubitEnsemble(4), QubitEnsemble(4)]), [-1, 1])
    >>> psi.dims
    [[5, 5], [1]]
    """
    network = _one_parameter_per_sensor(network, "ghz_like")
    v = as_real_vector(v, "v", length=network.n_params)
    numbers = [network.particles[k] for k in network.sensing]
    wanted = proportional_allocation(v, sum(numbers))
    if wanted != numbers:
        smallest = _smallest_total(v)
        hint = (f"with N = {sum(numbers)} that is n = {wanted}" if wanted is not None
                else f"N must be a multiple of {smallest}" if smallest is not None
                else "v needs non-zero entries with rational ratios")
        raise QSNError(f"ghz_like needs particle numbers proportional to |v| = "
                       f"{np.abs(v).tolist()}, got n = {numbers}: {hint}")
    network.check_memory("ghz_like")
    ups, downs = [], []
    signs = iter(v)
    for sensor in network.sensors:
        if not sensor.n_params:
            ups.append(sensor.idle_state())
            downs.append(sensor.idle_state())
            continue
        lo, hi = sensor.extremal_states()
        positive = next(signs) > 0
        ups.append(hi if positive else lo)
        downs.append(lo if positive else hi)
    # two branches with few amplitudes each: build sparse, make dense once (a dense tensor
    # product per branch would allocate the full space three times over)
    branches = [qutip.tensor([k.to("csr") for k in ket]) for ket in (ups, downs)]
    return ((branches[0] + branches[1]) / np.sqrt(2)).to("dense")


def _smallest_total(v: np.ndarray) -> int | None:
    """The smallest N for which N|v|/||v||_1 is a vector of positive integers, if small."""
    if np.any(v == 0):
        return None
    ratios = [Fraction(float(abs(x) / np.abs(v).min())).limit_denominator(1000) for x in v]
    if not np.allclose([float(r) for r in ratios], np.abs(v) / np.abs(v).min(), rtol=0,
                       atol=tolerances.ratio_rtol):
        return None
    lcm = np.lcm.reduce([r.denominator for r in ratios])
    return int(sum(r * lcm for r in ratios))


def local_ghz(network: Network) -> qutip.Qobj:
    r"""The product of per-sensor GHZ states :math:`\bigotimes_k(|\lambda_{\min,n_k}\rangle+|\lambda_{\max,n_k}\rangle)/\sqrt2`.

    Its QFIM is diagonal with entries :math:`(\lambda_{\max,n_k}-\lambda_{\min,n_k})^2`; it is the
    optimal sensor-separable probe for a fixed allocation (Theorem 1).
    """
    network = _one_parameter_per_sensor(network, "local_ghz")
    network.check_memory("local_ghz")
    return qutip.tensor([s.local_ghz() if s.n_params else s.idle_state()
                         for s in network.sensors])


def product(network: Network) -> qutip.Qobj:
    """Every particle on its own: each sensor's :meth:`~qsn_qutip.sensors.Sensor.product_state`.

    Qubits in :math:`|+\\rangle` (QFI n per sensor, the standard quantum limit), atoms in the
    superposition of their extremal levels, optical modes in a coherent state.  Qubit ensembles
    are built in closed form (:meth:`~qsn_qutip.QubitEnsemble.spin_coherent`): two ensembles
    of 10^4 qubits (10^8 amplitudes) take a second.

    Examples
    --------
    >>> from qsn_qutip import Network, QubitEnsemble, qfim
    >>> net = Network([QubitEnsemble(10 ** 4), QubitEnsemble(3)])
    >>> np.diag(qfim(product(net), net.local_generators)).round(9).tolist()
    [10000.0, 3.0]
    """
    network = check_network(network)
    network.check_memory("product")
    return qutip.tensor([s.product_state() if s.n_params else s.idle_state()
                         for s in network.sensors])


def spin_coherent(network: Network, theta: float = np.pi / 2, phi: float = 0.0) -> qutip.Qobj:
    r"""Every qubit ensemble in the spin-coherent state :math:`|\theta,\phi\rangle`."""
    network = check_network(network)
    theta, phi = as_real_vector([theta, phi], "(theta, phi)")
    for k, sensor in enumerate(network.sensors):
        if not hasattr(sensor, "spin_coherent"):
            raise QSNError(f"spin_coherent needs qubit ensembles; {network.which(k)} is "
                           f"{sensor!r}")
    network.check_memory("spin_coherent")
    return qutip.tensor([sensor.spin_coherent(theta, phi) for sensor in network.sensors])


def _fock(network: Network, occupation: Sequence[int]) -> qutip.Qobj:
    return qutip.basis(network.ket_dims, list(occupation))


def _check_modes(network: Network, photons: int, what: str) -> int:
    photons = as_positive_int(photons, "photons")
    for k, sensor in enumerate(network.sensors):
        if not sensor.bosonic_mode:
            raise QSNError(f"{what} needs optical modes; {network.which(k)} is {sensor!r}")
        if sensor.size - 1 < photons:                  # a mode's Fock basis 0 .. cutoff
            raise QSNError(f"{what} with {photons} photons needs cutoff >= {photons}; "
                           f"{network.which(k)} has cutoff {sensor.size - 1}")
    network.check_memory(what)
    return photons


def noon(network: Network, photons: int) -> qutip.Qobj:
    r"""The two-mode NOON state :math:`(|N,0\rangle + |0,N\rangle)/\sqrt2`."""
    network = check_network(network)
    photons = _check_modes(network, photons, "noon")
    if len(network.sensors) != 2:
        raise QSNError(f"noon needs a network of two modes, got {len(network.sensors)} sensors")
    return (_fock(network, [photons, 0]) + _fock(network, [0, photons])).unit()


def generalized_noon(network: Network, photons: int, alpha: float | None = None, *,
                     reference: int = 0) -> qutip.Qobj:
    r"""The generalised NOON state of Humphreys et al. (PRL 111, 070403):

    .. math::
        \alpha|N,0,\dots,0\rangle + \beta\sum_{k=1}^{d}|0,\dots,N_k,\dots,0\rangle,
        \qquad \alpha^2 + d\beta^2 = 1,

    with the ``reference`` mode first in the sum.  The default :math:`\alpha=1/\sqrt{1+\sqrt d}`
    minimises :math:`\mathrm{Tr}F^{-1} = d(1+\sqrt d)^2/(4N^2)`.
    """
    network = check_network(network)
    photons = _check_modes(network, photons, "generalized_noon")
    modes = len(network.sensors)
    if (isinstance(reference, bool) or not isinstance(reference, (int, np.integer))
            or not 0 <= reference < modes or modes < 2):
        raise QSNError(f"reference must index one of the {modes} modes (at least 2; "
                       f"0-based), got {reference!r}")
    d = modes - 1
    if alpha is None:
        alpha = 1 / np.sqrt(1 + np.sqrt(d))
    if (isinstance(alpha, bool) or not isinstance(alpha, (int, float, np.integer, np.floating))
            or not 0 <= alpha <= 1):
        raise QSNError(f"alpha must lie in [0, 1], got {alpha!r}")
    alpha = float(alpha)
    beta = np.sqrt((1 - alpha ** 2) / d)
    state = 0
    for k in range(modes):
        occupation = [0] * modes
        occupation[k] = photons
        state = state + (alpha if k == reference else beta) * _fock(network, occupation)
    return state


def random_pure(network: Network, seed: int | None = None) -> qutip.Qobj:
    """A Haar-random ket on the network, reproducible with ``seed``.

    A normalised vector of independent complex Gaussian amplitudes is Haar distributed; this
    costs O(D), where :func:`qutip.rand_ket` builds a D x D Haar unitary (O(D^3) time, D^2
    memory: 149 GiB for D = 10^5).
    """
    network = check_network(network)
    rng = np.random.default_rng(_seed(seed))
    network.check_memory("random_pure")
    amplitudes = rng.standard_normal(network.size) + 1j * rng.standard_normal(network.size)
    amplitudes /= np.linalg.norm(amplitudes)
    return qutip.Qobj(amplitudes, dims=[network.ket_dims, [1] * len(network.ket_dims)])


def random_mixed(network: Network, rank: int | None = None,
                 seed: int | None = None) -> qutip.Qobj:
    """A random density matrix of the given rank (Ginibre, :func:`qutip.rand_dm`)."""
    network = check_network(network)
    seed = _seed(seed)
    rank = network.size if rank is None else as_positive_int(rank, "rank")
    if rank > network.size:
        raise QSNError(f"rank must be at most the dimension {network.size}, got {rank}")
    network.check_memory("random_mixed", operator=True)
    return qutip.rand_dm(network.ket_dims, distribution="ginibre", rank=rank, seed=seed)
