r"""The QFIM of the phases of a probe under noise, at any interrogation time.

:func:`~qsn_qutip.report.compare` gives every probe's QFIM of the phases; with noise the QFIM
depends on the interrogation time t, and the search for each probe's best t evaluates it at
many t.  :class:`PhaseFisher` does this with the toolkit's one engine (the probe registry's
:func:`~qsn_qutip.probes.build_probe`, :func:`~qsn_qutip.noise.apply_noise`,
:func:`~qsn_qutip.noise.noisy_qfim`), building the probe once, and uses two exact
reductions where they hold:

* a probe that is a product over sensors (``product``, ``local-ghz``,
  ``optimal-separable``) under noise that acts on each sensor alone (no correlated
  dephasing) has a block-diagonal QFIM, one block per sensor, computed on that sensor alone
  (no state of the whole network is ever formed);
* the ``product`` probe of sensors whose particles are independent
  (:attr:`~qsn_qutip.Sensor.independent_particles`: qubit ensembles, atoms) under noise that
  acts on each particle alone (local dephasing, decay; no collective or correlated
  dephasing) is n copies of one particle: its block is n times that of a single particle,
  :math:`F(\rho^{\otimes n}) = nF(\rho)` (additivity of the QFI), exact at any n.

:func:`readout_fisher` gives the classical Fisher information of the ``product`` probe with
an imperfect readout (:class:`~qsn_qutip.magnetometry.Readout`) of every particle at
mid-fringe, :math:`\phi = \pi/(2\kappa)`, by the same reduction: n times the CFIM of one
particle (:func:`~qsn_qutip.measurement.cfim`).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import qutip

from ..measurement import cfim, local_readout
from ..network import Network
from ..noise import DickeBlockState, NoiseModel, NoisyProduct, apply_noise, noisy_qfim
from ..probes import build_probe
from .sensitivity import Readout

__all__ = ["PhaseFisher", "readout_fisher", "per_sensor_noise", "SENSOR_PRODUCTS"]

#: built-in probes that are a product over sensors, and the probe each sensor holds
SENSOR_PRODUCTS = {"product": "product", "local-ghz": "local-ghz",
                   "optimal-separable": "local-ghz"}


def _rates(noise: NoiseModel, name: str) -> np.ndarray:
    return np.atleast_1d(np.asarray(getattr(noise, name), dtype=float))


def per_sensor_noise(noise: NoiseModel, k: int, t: float) -> NoiseModel:
    """The noise of sensor k alone at time t (a rate given per sensor: its k-th entry)."""
    fields = {}
    for field in dataclasses.fields(noise):
        value = getattr(noise, field.name)
        fields[field.name] = (float(value[k]) if np.ndim(value) == 1 else value)
    fields["time"] = t
    return NoiseModel(**fields)


def _sensor_local(noise: NoiseModel | None) -> bool:
    """True when the noise acts on every sensor alone."""
    return noise is None or not np.any(_rates(noise, "correlated_dephasing"))


def _particle_local(noise: NoiseModel | None) -> bool:
    """True when the noise acts on every particle alone."""
    return _sensor_local(noise) and (noise is None or not np.any(
        _rates(noise, "collective_dephasing")))


def _dense(state) -> qutip.Qobj:
    """A noisy state of :func:`~qsn_qutip.noise.apply_noise` as one density matrix."""
    if isinstance(state, DickeBlockState):
        return state.to_full()
    if isinstance(state, NoisyProduct):
        return state.to_qobj()
    return state if state.isoper else state.proj()


class PhaseFisher:
    r"""The QFIM :math:`F_\phi(t)` of one probe's phases under ``noise`` for time t.

    Parameters
    ----------
    probe : str or (str, Qobj)
        A built-in probe name or a user's ``(name, state)``.
    network : Network
        The network as given (the hardware).
    v : numpy.ndarray
        The task :math:`\theta = v^T\phi` the GHZ-like probes are built for.
    allocation : list of int or None
        The particles of each sensing sensor the probe uses (``ProbeResult.allocation`` of
        the comparison; None: the network's).
    noise : NoiseModel or None
        Rates per second (its ``time`` is replaced by t); None: noiseless, F independent of t.

    Examples
    --------
    >>> from qsn_qutip import Network, QubitEnsemble
    >>> net = Network([QubitEnsemble(10 ** 4), QubitEnsemble(10 ** 4)])
    >>> F = PhaseFisher("product", net, np.array([-1.0, 1.0]), None,
    ...                 NoiseModel(dephasing=200.0))(1e-3)
    >>> bool(np.allclose(F, 1e4 * np.exp(-0.4) * np.eye(2), rtol=1e-12))
    True
    """

    def __init__(self, probe, network: Network, v: np.ndarray, allocation, noise):
        self.name = probe if isinstance(probe, str) else probe[0]
        self._probe = probe
        self.network = network
        if allocation is not None and len(allocation) == len(network.sensing):
            numbers = list(network.particles)
            for k, n in zip(network.sensing, allocation):
                numbers[k] = int(n)
            network = network.with_particles(numbers)
        self._hardware = network
        self._v = np.asarray(v, dtype=float)
        self.noise = noise
        self._state = None
        self.reduction = self._reduction()

    def _reduction(self) -> str:
        """``"particles"``, ``"sensors"`` or ``"none"``: how the QFIM is computed."""
        if not isinstance(self._probe, str) or self._probe not in SENSOR_PRODUCTS:
            return "none"
        sensing = [self._hardware.sensors[k] for k in self._hardware.sensing]
        if (self._probe == "product" and _particle_local(self.noise)
                and all(s.independent_particles for s in sensing)):
            return "particles"
        return "sensors" if _sensor_local(self.noise) else "none"

    def _noise(self, t: float, k: int | None = None) -> NoiseModel | None:
        if self.noise is None:
            return None
        if k is None:
            return dataclasses.replace(self.noise, time=t)
        return per_sensor_noise(self.noise, k, t)

    @staticmethod
    def _qfim(state: qutip.Qobj, network: Network, noise: NoiseModel | None) -> np.ndarray:
        if noise is None or noise.is_trivial():
            return noisy_qfim(state, network)
        return noisy_qfim(apply_noise(state, network, noise), network)

    def _blocks(self, t: float) -> np.ndarray:
        net = self._hardware
        F = np.zeros((net.n_params, net.n_params))
        for k in net.sensing:
            sensor = net.sensors[k]
            part = net.partition[k]
            if self.reduction == "particles":
                one = sensor.with_particles(1)
                block = sensor.particles * self._qfim(one.product_state(), Network([one]),
                                                      self._noise(t, k))
            else:
                single = Network([sensor])
                state, _ = build_probe(SENSOR_PRODUCTS[self._probe], single)
                block = self._qfim(state, single, self._noise(t, k))
            F[np.ix_(part, part)] = block
        return F

    def __call__(self, t: float) -> np.ndarray:
        """:math:`F_\\phi(t)`, parameters in network order."""
        if self.reduction != "none":
            return self._blocks(t)
        if self._state is None:
            if isinstance(self._probe, str):
                self._state = build_probe(self._probe, self.network, self._v,
                                          np.abs(self._v))
            else:
                self._state = (self._probe[1], self.network)
        state, net = self._state
        return self._qfim(state, net, self._noise(t))


def readout_fisher(network: Network, readout: Readout, noise: NoiseModel | None,
                   t: float) -> np.ndarray | None:
    r"""The CFIM of the ``product`` probe read out particle by particle with ``readout``.

    Every sensor's particles are measured one by one in the sensor's local readout
    (:meth:`~qsn_qutip.Sensor.readout_basis` of one particle: :math:`\hat J_x` for a qubit)
    through :meth:`Readout.apply`, at mid-fringe :math:`\phi = \pi/(2\kappa)`; independent
    particles add up: :math:`F^C = n\,F^C_1`.  None when it does not apply (a sensor with
    several parameters or dependent particles, noise that correlates particles).

    Examples
    --------
    >>> from qsn_qutip import Network, QubitEnsemble
    >>> net = Network([QubitEnsemble(100)])
    >>> round(float(readout_fisher(net, Readout(fidelity=0.9), None, 1e-3)[0, 0]), 9)
    64.0
    """
    if not _particle_local(noise):
        return None
    F = np.zeros((network.n_params, network.n_params))
    for k in network.sensing:
        sensor = network.sensors[k]
        if sensor.n_params != 1 or not sensor.independent_particles:
            return None
        one = sensor.with_particles(1)
        single = Network([one])
        state = one.product_state()
        if noise is not None and not noise.is_trivial():
            state = _dense(apply_noise(state, single, per_sensor_noise(noise, k, t)))
        povm = readout.apply(local_readout(single))
        point = math.pi / (2 * one.kappa) if one.kappa else math.pi / 2
        block = cfim(state, single.generators, povm, [point])
        F[np.ix_(network.partition[k], network.partition[k])] = sensor.particles * block
    return F

