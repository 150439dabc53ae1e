r"""Applying noise to a probe of a network: which route every sensor takes.

:func:`apply_noise` applies a :class:`~qsn_qutip.noise.NoiseModel` sensor by sensor (the
product of the single-sensor channels, except the common field of ``correlated_dephasing``).
What the result is depends on the sensors and the probe, never on the caller:

* no Dicke ensemble with local noise (:attr:`~qsn_qutip.sensors.Sensor.dicke_qubits`): a dense
  density matrix, every channel an exact Hadamard product or Kraus sum
  (:mod:`qsn_qutip.noise.channels`);
* a ket that is a product over sensors: factor by factor (:class:`NoisyProduct`);
* otherwise Dicke blocks (:class:`DickeBlockState`), dephasing in closed form
  (:mod:`qsn_qutip.noise.schur_weyl`), decay integrated (:mod:`qsn_qutip.noise.lindblad`),
  the other sensors of the probe kept whole.

:func:`noisy_qfim` takes any of these.  :func:`local_dephasing`, :func:`collective_dephasing`,
:func:`photon_loss` and :func:`local_decay` apply one channel.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import qutip

from .._linalg import diagonal_of
from ..errors import QSNError
from ..estimation.qfim import qfim
from ..network import Network
from ..options import tolerances
from ..sensors import Sensor
from .channels import dense_channels, dense_matrix, diffuse_phases
from .dicke import DickeBlockState, SensorAxis
from .lindblad import mesolve_decay
from .model import (NetworkLike, NoiseModel, SensorRates, as_network, check_probe,
                    nonnegative, per_sensor)
from .product import NoisyProduct, factorize
from .builder import ProbeSource, dephased_blocks
from .schur_weyl import METHODS

__all__ = ["apply_noise", "noisy_qfim", "local_dephasing", "collective_dephasing",
           "photon_loss", "local_decay", "NoisyState"]

#: what the channels return: a density matrix, Dicke blocks, or a product of those
NoisyState = qutip.Qobj | DickeBlockState | NoisyProduct


def _truncation(value) -> float:
    return tolerances.dicke_truncation if value is None else nonnegative(value, "truncation")


def _check_method(method) -> str:
    if method not in METHODS:
        raise QSNError(f"method must be 'auto', 'dense' or 'sparse', got {method!r}")
    return method


def _axis(sensor: Sensor, k: int) -> SensorAxis:
    """A sensor of a block state: its generators' diagonals (which the channels require)."""
    diags = tuple(diagonal_of(g) for g in sensor.generators)
    if any(d is None for d in diags):
        raise QSNError(f"sensor {k} ({sensor!r}) has a non-diagonal generator: the noise "
                       "channels here commute with diagonal generators only")
    qubits = sensor.dicke_qubits
    dims = (sensor.size,) if qubits is not None else tuple(sensor.dims)
    return SensorAxis(dims, qubits, diags)


def apply_noise(state: qutip.Qobj, network: NetworkLike, noise: NoiseModel, *,
                truncation: float | None = None, method: str = "auto") -> NoisyState:
    r"""Apply a :class:`NoiseModel` for its interrogation time to a probe of a network.

    Every channel acts sensor by sensor (the product of the single-sensor channels), except
    ``correlated_dephasing``.  Density matrices are exact Hadamard products and Kraus sums;
    Dicke-basis ensembles with local dephasing or decay become Dicke blocks:

    * a ket that is a product over sensors is noised factor by factor (:class:`NoisyProduct`:
      the local GHZ and product probes of a network at any size);
    * an entangled probe of several Dicke ensembles is decomposed jointly over
      :math:`(j_1, j_2, \dots)` from its support only (:class:`DickeBlockState`): a GHZ-like
      probe occupies two basis states, so it costs nothing at any N; a probe spread over many
      (m_1, m_2) costs :math:`\prod_s` (Dicke-block sizes) and is refused above
      ``MAX_TABLE_ENTRIES``;
    * decay of a Dicke ensemble is integrated (:func:`local_decay`); it is supported for a
      Dicke ensemble that is its own factor.

    The probe is checked as the noiseless QFIM checks it (normalised, Hermitian); memory is
    estimated before anything large is allocated, and a state or table above
    ``tolerances.max_bytes`` is refused with its size.

    Parameters
    ----------
    state : Qobj
        Ket or density matrix on the network's space.
    network : Network or Sensor
    noise : NoiseModel
    truncation : float, optional
        As in :func:`local_dephasing` (default ``tolerances.dicke_truncation``).
    method : {"auto", "dense", "sparse"}
        As in :func:`local_dephasing`.

    Returns
    -------
    Qobj or DickeBlockState or NoisyProduct
        Accepted by :func:`noisy_qfim`.

    Examples
    --------
    >>> from qsn_qutip import Network, QubitEnsemble, states
    >>> net = Network([QubitEnsemble(50), QubitEnsemble(50)])
    >>> noisy = apply_noise(states.ghz_like(net, [-1, 1]), net, NoiseModel(dephasing=0.01, time=1))
    >>> F = noisy_qfim(noisy, net)
    >>> bool(np.isclose(F[1, 1], 50 ** 2 * np.exp(-2 * 100 * 0.01)))
    True
    """
    network = as_network(network)
    if not isinstance(noise, NoiseModel):
        raise QSNError(f"noise must be a NoiseModel, got {type(noise).__name__}")
    state = check_probe(state, network)
    truncation = _truncation(truncation)
    method = _check_method(method)
    return _apply(state, network, noise.sensor_rates(network), truncation, method)


def _apply(state: qutip.Qobj, network: Network, rates: SensorRates, truncation: float,
           method: str) -> NoisyState:
    sensors = network.sensors
    blocks = [k for k, s in enumerate(sensors) if s.dicke_qubits is not None and rates.local(k)]
    if blocks and state.isket and len(sensors) > 1 and not rates.is_correlated:
        parts = factorize(state, network)
        if len(parts) > 1:
            return _product(parts, network, rates, truncation, method)
    whole = [k for k in range(len(sensors)) if k not in blocks]
    if not blocks:
        rho = dense_channels(dense_matrix(state), network, rates, whole)
        rho = diffuse_phases(rho, network, rates.collective, False)
        rho = diffuse_phases(rho, network, rates.correlated, True)
        return qutip.Qobj(rho, dims=network.dims)
    if any(rates.dense(k) for k in whole):
        state = qutip.Qobj(dense_channels(dense_matrix(state), network, rates, whole),
                           dims=network.dims)
    noisy = _dicke_blocks(state, network, rates, blocks, truncation, method)
    if any(r > 0 for r in rates.collective):
        noisy = noisy.phase_diffused(rates.collective, False)
    if rates.is_correlated:
        noisy = noisy.phase_diffused(rates.correlated, True)
    return noisy


def _signature(sensor: Sensor) -> tuple:
    """What the channels read of a sensor: dims, Dicke qubits and its generators' matrices."""
    return (tuple(sensor.dims), sensor.dicke_qubits,
            tuple(g.full().tobytes() for g in sensor.generators))


def _product(parts: list, network: Network, rates: SensorRates, truncation: float,
             method: str) -> NoisyProduct:
    """Noise every factor of a product probe on its own sensors; identical factors (the same
    sensors, ket and strengths, as on the sites of a symmetric network) are computed once."""
    factors, done = [], {}
    for group, ket in parts:
        sub = Network([network.sensors[k] for k in group])
        key = (tuple(_signature(s) for s in sub.sensors), rates.subset(group).key(),
               ket.full().tobytes())
        if key not in done:
            done[key] = _apply(ket, sub, rates.subset(group), truncation, method)
        factors.append(done[key])
    return NoisyProduct(factors, [g for g, _ in parts], network)


def _dicke_blocks(state: qutip.Qobj, network: Network, rates: SensorRates,
                  blocks: Sequence[int], truncation: float, method: str) -> DickeBlockState:
    """Local dephasing (closed form) or decay (integrated) of the Dicke ensembles ``blocks``."""
    sensors = network.sensors
    axes = [_axis(s, k) for k, s in enumerate(sensors)]
    if any(rates.decay[k] > 0 for k in blocks):
        if len(sensors) != 1:
            raise QSNError("decay of a Dicke ensemble is supported when the ensemble is its "
                           "own factor (a single sensor or a product probe); use "
                           "basis='full' for entangled probes of small ensembles")
        noisy = mesolve_decay(dense_matrix(state), sensors[0].dicke_qubits, rates.decay[0],
                              rates.dephasing[0])
        return noisy.truncated(truncation)
    source = ProbeSource(state, [a.size for a in axes])
    gammas = [rates.dephasing[k] if k in blocks else 0.0 for k in range(len(sensors))]
    return dephased_blocks(source, axes, gammas, truncation, method)


def noisy_qfim(state: NoisyState, network: NetworkLike,
               phi=None) -> np.ndarray:
    r"""The QFIM of a noisy state from :func:`apply_noise` for the network's generators.

    A density matrix goes to :func:`~qsn_qutip.qfim` (with the network's local generators), a
    :class:`DickeBlockState` or :class:`NoisyProduct` to its own ``qfim``.

    Parameters
    ----------
    state : Qobj or DickeBlockState or NoisyProduct
    network : Network or Sensor
    phi : sequence of float, optional
        Where to evaluate a dense noisy state whose generators do not commute (required
        then, as for :func:`~qsn_qutip.qfim`); Dicke-block and product states carry commuting
        generators and need none.

    Returns
    -------
    numpy.ndarray
        d x d, parameters in network order.
    """
    network = as_network(network)
    if isinstance(state, (DickeBlockState, NoisyProduct)):
        F = state.qfim()
        if F.shape != (network.n_params, network.n_params):
            raise QSNError(f"state carries {F.shape[0]} parameters, the network "
                           f"{network.n_params}")
        return F
    state = network.check(state)
    return qfim(state, network.local_generators, phi=phi)


# ----------------------------------------------------------------------------------------
# one channel at a time
# ----------------------------------------------------------------------------------------
def _one_channel(network: NetworkLike, **arguments: tuple[str, object]) -> NoiseModel:
    """The model of a one-channel function for a unit time: ``argument=(field, value)``; a bad
    value raises QSNError naming the function's argument (``gamma_t: dephasing must ...``)."""
    network = as_network(network)
    fields = {}
    for argument, (field, value) in arguments.items():
        try:
            NoiseModel(**{field: value}).sensor_rates(network)
        except QSNError as err:
            raise QSNError(str(err) if argument == field else f"{argument}: {err}") from None
        fields[field] = value
    return NoiseModel(**fields, time=1.0)


def local_dephasing(state: qutip.Qobj, network: NetworkLike, gamma_t: float | Sequence[float], *,
                    truncation: float | None = None, method: str = "auto") -> NoisyState:
    r"""Independent dephasing of every qubit for a time t: :math:`\rho_{xy}\to\rho_{xy}e^{-\gamma t\,d(x,y)}`.

    The Lindblad operator :math:`\sqrt{\gamma/2}\,\sigma_z` acts on every qubit, so a single
    qubit's coherence decays as :math:`e^{-\gamma t}`; d(x, y) is the Hamming distance between
    computational basis states (the exact channel, no integration).  Qubit ensembles in the full
    basis get this Hadamard product directly.  Dicke-basis ensembles leave the symmetric
    subspace and become a :class:`DickeBlockState` (closed form of
    :mod:`qsn_qutip.noise.schur_weyl`); the GHZ state of N qubits keeps
    :math:`F = N^2e^{-2N\gamma t}` and the product state :math:`|+\rangle^{\otimes N}` keeps
    :math:`F = Ne^{-2\gamma t}`.

    Parameters
    ----------
    state : Qobj
        Ket or density matrix on the network's space.
    network : Network or Sensor
        The network (a single sensor is a network of one).
    gamma_t : float or sequence of float
        :math:`\gamma t` for every qubit ensemble, or one value per sensor (0 for sensors that
        are not qubit ensembles).
    truncation : float, optional
        Dicke-block entries whose weight w satisfies :math:`20h^2w` summed below this are
        dropped; the QFIM changes by at most this much (absolute; 0 keeps every entry).
        Default ``tolerances.dicke_truncation``.
    method : {"auto", "dense", "sparse"}
        How the Dicke transfer is computed: the recursion in j over the kept (m, m') pairs
        ("dense") or the explicit sum on the probe's support ("sparse"); "auto" takes the
        explicit sum for GHZ-like probes (support on :math:`|m| = N/2` only).

    Returns
    -------
    Qobj or DickeBlockState or NoisyProduct
        A density matrix when no Dicke-basis ensemble dephases; a :class:`DickeBlockState`
        (one factor) or :class:`NoisyProduct` (a ket that is a product over sensors) otherwise.

    Examples
    --------
    >>> from qsn_qutip import QubitEnsemble
    >>> ens = QubitEnsemble(10)
    >>> round(local_dephasing(ens.product_state(), ens, 0.05).qfi(), 6)
    9.048374
    """
    noise = _one_channel(network, gamma_t=("dephasing", gamma_t))
    return apply_noise(state, network, noise, truncation=truncation, method=method)


def collective_dephasing(state: qutip.Qobj | DickeBlockState, network: NetworkLike,
                         gamma_t: float | Sequence[float], *, correlated: bool = False
                         ) -> qutip.Qobj | DickeBlockState:
    r"""Phase diffusion of every sensor's generator: :math:`\rho_{ab}\to\rho_{ab}e^{-\Gamma t(h_a-h_b)^2/2}`.

    The Lindblad operator :math:`\sqrt\Gamma\hat H_s` (:math:`\hat J_z` for qubits, :math:`\hat n`
    for a mode) gives :math:`\dot\rho_{ab} = -\tfrac\Gamma2(h_a-h_b)^2\rho_{ab}` in the eigenbasis
    of :math:`\hat H_s`, solved exactly.  Independent per sensor, or ``correlated``: one field
    seen by all sensors, Lindblad operator :math:`\sqrt\Gamma\sum_s\hat H_s` (only the sensors with
    a nonzero rate).  A Dicke ensemble stays in its symmetric subspace.  The GHZ state of N
    qubits has one coherence, between :math:`m = \pm N/2`, which decays as
    :math:`e^{-\Gamma tN^2/2}`, so :math:`F = N^2e^{-\Gamma tN^2}` (the superdecoherence of GHZ
    states under a common fluctuating field, cf. Dorner, NJP 14, 043011 (2012)); a single
    qubit keeps :math:`F = e^{-\Gamma t}`.  The gradient GHZ-like probe
    :math:`|{\downarrow}^{n}{\uparrow}^{n}\rangle + |{\uparrow}^{n}{\downarrow}^{n}\rangle` has
    :math:`\sum_s\hat J_z^{(s)} = 0` on both terms: correlated noise leaves it untouched.

    Parameters
    ----------
    state : Qobj or DickeBlockState
        Ket or density matrix on the network's space, or a block state (the channel commutes
        with local dephasing, so it may come before or after).
    network : Network or Sensor
    gamma_t : float or sequence of float
        :math:`\Gamma t`, for every sensor with a single diagonal generator, or per sensor.
    correlated : bool
        One common field (True) or independent noise on each sensor (False).

    Returns
    -------
    Qobj or DickeBlockState

    Examples
    --------
    >>> from qsn_qutip import QubitEnsemble, qfim
    >>> ens = QubitEnsemble(4)
    >>> rho = collective_dephasing(ens.local_ghz(), ens, 0.01)
    >>> bool(np.isclose(qfim(rho, ens.generators)[0, 0], 16 * np.exp(-0.16), rtol=1e-12))
    True
    """
    network = as_network(network)
    rates = per_sensor(gamma_t, "gamma_t", network, "collective_dephasing")
    if isinstance(state, DickeBlockState):
        if len(state.axes) != len(network.sensors):
            raise QSNError("state is a block state of another network")
        return state.phase_diffused(rates, correlated)
    state = check_probe(state, network)
    rho = diffuse_phases(dense_matrix(state), network, rates, correlated)
    return qutip.Qobj(rho, dims=network.dims)


def photon_loss(state: qutip.Qobj, network: NetworkLike, eta: float | Sequence[float]
                ) -> qutip.Qobj:
    r"""Photon loss with transmission :math:`\eta` on every optical mode (Kraus form, exact).

    .. math::
        \rho\to\sum_l K_l\rho K_l^\dagger,\qquad
        K_l = \sum_n\sqrt{\tbinom nl\eta^{n-l}(1-\eta)^l}\;|n-l\rangle\langle n|,

    the beam-splitter model of loss (loss never raises the photon number, so the truncated
    Fock space is kept exactly).  A coherent state :math:`|\alpha\rangle` becomes
    :math:`|\sqrt\eta\alpha\rangle` (QFI :math:`4\eta|\alpha|^2`); the NOON state with losses in
    both arms keeps :math:`F = \eta^NN^2` and with loss in one arm only
    :math:`F = 2\eta^NN^2/(1+\eta^N)` (see :func:`apply_noise`).

    Parameters
    ----------
    state : Qobj
        Ket or density matrix on the network's space.
    network : Network or Sensor
    eta : float or sequence of float
        Transmission in [0, 1] for every mode, or one per sensor (1 for other sensors).

    Returns
    -------
    Qobj
        The density matrix.

    Examples
    --------
    >>> from qsn_qutip import Network, OpticalMode, qfim, states
    >>> net = Network([OpticalMode(3), OpticalMode(3)])
    >>> rho = photon_loss(states.noon(net, 3), net, 0.9)
    >>> round(float(qfim(rho, net.generators)[0, 0]), 10) == round(0.9 ** 3 * 9, 10)
    True
    """
    return apply_noise(state, network, _one_channel(network, eta=("transmission", eta)))


def local_decay(state: qutip.Qobj, network: NetworkLike, gamma_t: float | Sequence[float], *,
                dephasing: float | Sequence[float] = 0.0,
                truncation: float | None = None) -> NoisyState:
    r"""Spontaneous decay :math:`\sqrt{\gamma_1}\sigma_-` of every qubit (spin up to down), with dephasing.

    Full-basis ensembles: amplitude damping in Kraus form on every qubit (exact),
    :math:`K_0 = |1\rangle\langle1| + e^{-\gamma_1t/2}|0\rangle\langle0|`,
    :math:`K_1 = \sqrt{1-e^{-\gamma_1t}}\,|1\rangle\langle0|`.  Dicke ensembles: no closed form;
    :func:`qutip.mesolve` on :func:`~qsn_qutip.noise.piqs_lindbladian` (``emission = gamma_1``,
    ``dephasing = 2 gamma``), tolerances ``tolerances.lindblad_atol`` (1e-12) and
    ``lindblad_rtol`` (1e-10): accurate to about 1e-9, not to round-off, and the Liouvillian
    has :math:`(n/2+1)^4` entries, so keep n below about 60.  A product probe is treated factor
    by factor; an entangled probe of several Dicke ensembles is not supported (use
    ``basis="full"``).

    Parameters
    ----------
    state : Qobj
    network : Network or Sensor
    gamma_t : float or sequence of float
        :math:`\gamma_1t` for every qubit ensemble or per sensor.
    dephasing : float or sequence of float
        :math:`\gamma t` of simultaneous local dephasing (the two commute).
    truncation : float, optional
        As in :func:`local_dephasing`.

    Returns
    -------
    Qobj or DickeBlockState or NoisyProduct

    Examples
    --------
    >>> from qsn_qutip import QubitEnsemble, qfim
    >>> ens = QubitEnsemble(1, basis="full")
    >>> rho = local_decay(ens.product_state(), ens, 0.2)
    >>> bool(np.isclose(qfim(rho, ens.generators)[0, 0], np.exp(-0.2), rtol=1e-12))
    True
    """
    noise = _one_channel(network, gamma_t=("decay", gamma_t),
                         dephasing=("dephasing", dephasing))
    return apply_noise(state, network, noise, truncation=truncation)
