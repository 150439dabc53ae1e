r"""The noise model of a network (the ``[noise]`` section of a model file) and its checks.

:class:`NoiseModel` holds rates per unit time and the interrogation time t, as a user writes
them: a number (every sensor the channel acts on) or one value per sensor.  For one network it
resolves to :class:`SensorRates`, a small typed object with one strength per channel and sensor
for the time t (:math:`\gamma t`, :math:`\gamma_1t`, :math:`\Gamma t`, :math:`\eta`): the form every
channel of :mod:`qsn_qutip.noise` reads.  Which channels act on which sensor, the sensor says
itself (:attr:`~qsn_qutip.sensors.Sensor.noise_channels`).

To add a channel: a field of :class:`NoiseModel` (with its check) and of :class:`SensorRates`,
a line in :meth:`NoiseModel.sensor_rates`, its name in the ``noise_channels`` of the sensors it
acts on, its kernel in :mod:`qsn_qutip.noise.channels` with a line in
:func:`~qsn_qutip.noise.channels.dense_channels` (and, if it acts on Dicke ensembles, its
route in :mod:`qsn_qutip.noise.apply`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import qutip

from .._checks import check_operator, check_state
from .._linalg import ket_array
from ..errors import QSNError
from ..network import Network
from ..options import tolerances
from ..sensors import Sensor

__all__ = ["NoiseModel", "SensorRates", "NetworkLike", "as_network", "check_probe",
           "per_sensor", "nonnegative", "check_range", "times"]

#: a network, or a single sensor (a network of one)
NetworkLike = Network | Sensor

#: the sensors a channel acts on, for messages (the sensors themselves decide, by their
#: ``noise_channels``)
CHANNEL_SENSORS = {
    "dephasing": "qubit ensembles",
    "decay": "qubit ensembles",
    "collective_dephasing": "sensors with a single diagonal generator",
    "correlated_dephasing": "sensors with a single diagonal generator",
    "transmission": "optical modes",
}


# ----------------------------------------------------------------------------------------
# checks
# ----------------------------------------------------------------------------------------
def as_network(network: NetworkLike) -> Network:
    """``network`` as a :class:`~qsn_qutip.Network` (a sensor is a network of one)."""
    if isinstance(network, Network):
        return network
    if isinstance(network, Sensor):
        return Network([network])
    raise QSNError(f"network must be a Network or a Sensor, got {type(network).__name__}")


def nonnegative(value, name: str) -> float:
    """``value`` as a finite float >= 0, or QSNError naming ``name``."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise QSNError(f"{name} must be a real number >= 0, got {value!r}") from None
    if not np.isfinite(x) or x < 0:
        raise QSNError(f"{name} must be a finite real number >= 0, got {value!r}")
    return x


def check_range(value, name: str, low: float, high: float) -> float:
    """``value`` as a float in [low, high], or QSNError naming ``name``."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise QSNError(f"{name} must be a real number, got {value!r}") from None
    if not np.isfinite(x) or not low <= x <= high:
        raise QSNError(f"{name} must lie in [{low}, {high}], got {value!r}")
    return x


def times(rate, t: float):
    """``rate * t`` for a number or every entry of a sequence (a list then)."""
    if np.ndim(rate) == 0:
        return float(rate) * float(t)
    return [float(r) * float(t) for r in rate]


def per_sensor(value, name: str, network: Network, channel: str, *, neutral: float = 0.0,
               low: float = 0.0, high: float = np.inf) -> list[float]:
    """One value per sensor for ``channel``.

    A number applies to every sensor the channel acts on (``channel in
    sensor.noise_channels``) and is ``neutral`` elsewhere; a sequence gives each sensor its
    own value (``neutral`` for the sensors the channel cannot act on).
    """
    sensors = network.sensors
    what = CHANNEL_SENSORS.get(channel, f"sensors with the {channel!r} channel")
    if np.ndim(value) == 0:
        x = check_range(value, name, low, high)
        if x == neutral:
            return [neutral] * len(sensors)
        if not any(channel in s.noise_channels for s in sensors):
            raise QSNError(f"{name} = {x} needs {what}; the network has {list(sensors)}")
        return [x if channel in s.noise_channels else neutral for s in sensors]
    values = np.asarray(value, dtype=object).ravel()
    if values.size != len(sensors):
        raise QSNError(f"{name} must be a number or one value per sensor ({len(sensors)}), "
                       f"got {len(values)} values")
    out = []
    for k, (v, s) in enumerate(zip(values, sensors)):
        x = check_range(v, f"{name}[{k}]", low, high)
        if x != neutral and channel not in s.noise_channels:
            raise QSNError(f"{name}[{k}] = {x}: sensor {k} ({s!r}) is not one of {what}")
        out.append(x)
    return out


def _check_total(total: float, what: str) -> None:
    if not np.isfinite(total):
        raise QSNError(f"state contains NaN or inf entries ({what})")
    if abs(total - 1.0) > tolerances.atol * 100:
        raise QSNError(f"state must be normalised: {what} is {total:.12g}, expected 1")


def check_probe(state, network: Network) -> qutip.Qobj:
    r"""``state`` checked as a probe of ``network``, as the noiseless QFIM path checks it.

    A ket must be finite with :math:`\langle\psi|\psi\rangle = 1`, a density matrix finite,
    Hermitian and of unit trace (to ``100 * tolerances.atol``; positivity is checked where the
    eigenvalues are computed).  Dims must be the network's.
    """
    state = network.check(check_state(state, "state"))
    if state.isket:
        amplitudes = ket_array(state)
        _check_total(float(np.vdot(amplitudes, amplitudes).real), "<psi|psi>")
    else:
        check_operator(state, "state")
        _check_total(float(state.tr().real), "the trace of rho")
    return state


# ----------------------------------------------------------------------------------------
# the model and its strengths on a network
# ----------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class SensorRates:
    r"""What a :class:`NoiseModel` does to every sensor of one network in its time t.

    Every field holds one number per sensor, in network order, 0 (1 for ``transmission``)
    where the channel does not act.

    Attributes
    ----------
    dephasing : tuple of float
        :math:`\gamma t` of local dephasing.
    decay : tuple of float
        :math:`\gamma_1t` of local decay.
    collective : tuple of float
        :math:`\Gamma t` of independent phase diffusion.
    correlated : tuple of float
        :math:`\Gamma_ct` of the common field on the sensors it acts on.
    transmission : tuple of float
        :math:`\eta` of photon loss.

    Examples
    --------
    >>> from qsn_qutip import Network, OpticalMode, QubitEnsemble
    >>> net = Network([QubitEnsemble(2), OpticalMode(2)])
    >>> NoiseModel(dephasing=0.5, transmission=0.9, time=0.2).sensor_rates(net).dephasing
    (0.1, 0.0)
    """

    dephasing: tuple[float, ...]
    decay: tuple[float, ...]
    collective: tuple[float, ...]
    correlated: tuple[float, ...]
    transmission: tuple[float, ...]

    def subset(self, group: Sequence[int]) -> "SensorRates":
        """The strengths of the sensors ``group`` (in that order)."""
        return SensorRates(*(tuple(getattr(self, f.name)[k] for k in group)
                             for f in dataclasses.fields(self)))

    def key(self) -> tuple:
        """The strengths as one hashable tuple (for reusing results)."""
        return dataclasses.astuple(self)

    def local(self, k: int) -> bool:
        """True when sensor k dephases or decays (qubit by qubit)."""
        return self.dephasing[k] > 0 or self.decay[k] > 0

    def dense(self, k: int) -> bool:
        """True when a qubit-by-qubit or photon-loss channel acts on sensor k."""
        return self.local(k) or self.transmission[k] < 1

    @property
    def is_correlated(self) -> bool:
        """True when the common field acts on some sensor."""
        return any(r > 0 for r in self.correlated)


@dataclasses.dataclass(frozen=True)
class NoiseModel:
    r"""Noise on a network for an interrogation time t: the ``[noise]`` section of a model file.

    Rates are per unit time (the same unit as ``time``); a rate is a number (every sensor it
    can act on) or one value per sensor.  All the channels commute with each other and with
    the encoding, so their order does not matter.

    Attributes
    ----------
    dephasing : float or sequence of float
        :math:`\gamma`: local dephasing of every qubit, a qubit's coherence decays as
        :math:`e^{-\gamma t}` (Lindblad :math:`\sqrt{\gamma/2}\sigma_z`).
    collective_dephasing : float or sequence of float
        :math:`\Gamma`: phase diffusion of each sensor's generator, independent per sensor
        (Lindblad :math:`\sqrt\Gamma\hat J_z` for qubits).
    correlated_dephasing : float
        :math:`\Gamma_c`: one fluctuating field seen by every sensor that has a single diagonal
        generator (Lindblad :math:`\sqrt{\Gamma_c}\sum_s\hat H_s`).
    decay : float or sequence of float
        :math:`\gamma_1`: spontaneous decay of every qubit (Lindblad :math:`\sqrt{\gamma_1}\sigma_-`).
    transmission : float or sequence of float
        :math:`\eta` of photon loss on every optical mode (a transmission, independent of
        ``time``; 1 = no loss).  A model file's ``loss = eta`` maps here.
    time : float or None
        The interrogation time t (> 0); the phase is :math:`\phi = \omega t`.  None leaves
        it to be chosen: :func:`~qsn_qutip.optimal_probe` then optimises the time with the
        probe (per unit time); everything that needs a t (:meth:`sensor_rates`) refuses.

    Examples
    --------
    >>> NoiseModel(dephasing=0.5, time=0.1).dephasing_t
    0.05
    """

    dephasing: float | Sequence[float] = 0.0
    collective_dephasing: float | Sequence[float] = 0.0
    correlated_dephasing: float = 0.0
    decay: float | Sequence[float] = 0.0
    transmission: float | Sequence[float] = 1.0
    time: float | None = 1.0

    def __post_init__(self):
        if self.time is not None:
            nonnegative(self.time, "time")
        nonnegative(self.correlated_dephasing, "correlated_dephasing")
        for name in ("dephasing", "collective_dephasing", "decay", "transmission"):
            value = getattr(self, name)
            high = 1.0 if name == "transmission" else np.inf
            for k, x in enumerate(np.atleast_1d(np.asarray(value, dtype=object)).ravel()):
                check_range(x, name if np.ndim(value) == 0 else f"{name}[{k}]", 0.0, high)

    @property
    def dephasing_t(self):
        """:math:`\\gamma t` (number or list)."""
        return times(self.dephasing, self.time)

    @property
    def rates(self) -> list[float]:
        """Every time-dependent rate (for choosing interrogation times)."""
        out = []
        for x in (self.dephasing, self.collective_dephasing, self.correlated_dephasing,
                  self.decay):
            out.extend(np.atleast_1d(np.asarray(x, dtype=float)).tolist())
        return out

    def is_trivial(self) -> bool:
        """True when the model changes no state (every rate 0, every transmission 1)."""
        return all(r == 0 for r in self.rates) and bool(np.all(
            np.asarray(self.transmission, dtype=float) == 1))

    def sensor_rates(self, network: NetworkLike) -> SensorRates:
        """The strength of every channel on every sensor of ``network`` for :attr:`time`.

        Raises QSNError naming the field when a rate is given to a sensor the channel cannot
        act on (or a number to a network without any such sensor).
        """
        network = as_network(network)
        t = self.time
        if t is None:
            raise QSNError("noise.time is None (to be optimised): give the interrogation time "
                           "t, or let optimal_probe choose it")
        correlated = nonnegative(self.correlated_dephasing, "correlated_dephasing") * t
        return SensorRates(
            dephasing=tuple(per_sensor(times(self.dephasing, t), "dephasing", network,
                                       "dephasing")),
            decay=tuple(per_sensor(times(self.decay, t), "decay", network, "decay")),
            collective=tuple(per_sensor(times(self.collective_dephasing, t),
                                        "collective_dephasing", network,
                                        "collective_dephasing")),
            correlated=tuple(per_sensor(correlated, "correlated_dephasing", network,
                                        "correlated_dephasing")
                             if correlated else [0.0] * len(network.sensors)),
            transmission=tuple(per_sensor(self.transmission, "transmission", network,
                                          "transmission", neutral=1.0, low=0.0, high=1.0)))
