r"""Sensors in space: a :class:`~qsn_qutip.Network` with a position and a species per sensor.

The sensors themselves stay free of units (their parameters are phases); a
:class:`SensorArray` adds what the physics needs: where each sensor sits (metres, 1-D to 3-D)
and the gyromagnetic ratio :math:`\gamma` of what senses the field (a species of
:data:`~qsn_qutip.magnetometry.SPECIES` or a number in rad s^-1 T^-1).  Every parameter of a
sensor is the Larmor phase of one field component, :math:`\phi = \gamma tB_a(\mathbf r_k)`,
the component given by the sensor (:attr:`~qsn_qutip.Sensor.field_axes`: ``"z"`` for a qubit
ensemble, the ``axes`` of a spin atom).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..errors import QSNError
from ..network import Network, check_network
from .fields import AXES, as_point
from .species import GAMMA_UNIT, gyromagnetic_ratio, species as find_species

__all__ = ["SensorArray"]


def _per_sensor(value, count: int, name: str) -> list:
    """``value`` for every sensor: one value for all, or a list with one (or None) each."""
    if isinstance(value, (list, tuple)):
        if len(value) != count:
            raise QSNError(f"{name} must have one entry per sensor ({count}), got {len(value)}")
        return list(value)
    return [value] * count


class SensorArray:
    r"""A network whose sensors have positions (m) and gyromagnetic ratios (rad s^-1 T^-1).

    Parameters
    ----------
    network : Network
    positions : sequence
        One position per sensor: 1 to 3 coordinates [x, y, z] in metres (missing ones 0);
        None for a sensor without parameters (a reference or an ancilla).
    species : str or sequence of str, optional
        Names of :data:`~qsn_qutip.magnetometry.SPECIES`, one for all sensors or one each.
    gamma : float or sequence of float, optional
        Gyromagnetic ratios in rad s^-1 T^-1 (instead of ``species``, sensor by sensor).

    Raises
    ------
    QSNError
        A sensor with parameters and no position, no species or gamma (or both), a sensor
        that does not sense a magnetic field (an optical mode), an unknown species.

    Examples
    --------
    >>> from qsn_qutip import Network, QubitEnsemble
    >>> array = SensorArray(Network([QubitEnsemble(10), QubitEnsemble(10)]),
    ...                     [[-0.005], [0.005]], species="87Rb F=2")
    >>> array.phase_axes, array.phase_positions[:, 0].tolist()
    ('zz', [-0.005, 0.005])
    >>> round(float(array.phase_gammas[0]) / 1e10, 4)
    4.3956
    """

    def __init__(self, network: Network, positions: Sequence, *,
                 species: str | Sequence[str | None] | None = None,
                 gamma: float | Sequence[float | None] | None = None):
        self.network = check_network(network)
        count = len(self.network.sensors)
        if isinstance(positions, np.ndarray):
            positions = positions.tolist()
        if isinstance(positions, (str, bytes)) or not isinstance(positions, Sequence):
            raise QSNError(f"positions must be a list with one position [x, y, z] (metres) "
                           f"per sensor, got {positions!r}")
        if len(positions) != count:
            raise QSNError(f"positions must have one entry per sensor ({count}), got "
                           f"{len(positions)}")
        names = _per_sensor(species, count, "species")
        gammas = _per_sensor(gamma, count, "gamma")
        self.positions = np.full((count, 3), np.nan)
        self.gammas = np.full(count, np.nan)
        self.species: list[str | None] = [None] * count
        for k, sensor in enumerate(self.network.sensors):
            label = self.label(k)
            if sensor.n_params == 0:
                if positions[k] is not None:
                    self.positions[k] = as_point(positions[k], f"positions[{k}]")
                continue
            if sensor.field_axes is None:
                raise QSNError(f"{label} ({sensor!r}) does not sense a magnetic field: a "
                               f"sensor array needs qubit ensembles or atoms")
            if positions[k] is None:
                raise QSNError(f"positions[{k}]: {label} carries parameters and needs a "
                               f"position [x, y, z] in metres")
            self.positions[k] = as_point(positions[k], f"positions[{k}]")
            if (names[k] is None) == (gammas[k] is None):
                raise QSNError(f"{label}: give its species (a name) or gamma (in "
                               f"{GAMMA_UNIT}), " + ("not both" if names[k] is not None
                                                     else "neither is given"))
            if names[k] is not None:
                found = find_species(names[k], argument=f"species[{k}]")
                self.species[k], self.gammas[k] = found.name, found.gamma
            else:
                self.gammas[k] = gyromagnetic_ratio(gammas[k], argument=f"gamma[{k}]")

    def label(self, k: int) -> str:
        """``"sensor 'cell A'"`` or ``"sensor 2"`` for sensor index k."""
        name = self.network.sensors[k].name
        return f"sensor {name!r}" if name else f"sensor {k + 1}"

    @property
    def sensing(self) -> list[int]:
        """The sensors that carry parameters."""
        return [k for k, s in enumerate(self.network.sensors) if s.n_params]

    @property
    def phase_sensors(self) -> list[int]:
        """The sensor of every phase (parameter of the network), in network order."""
        return [k for k, part in enumerate(self.network.partition) for _ in part]

    @property
    def phase_axes(self) -> str:
        """The field component every phase senses, one letter per phase."""
        return "".join(self.network.sensors[k].field_axes for k in self.sensing)

    @property
    def phase_positions(self) -> np.ndarray:
        """(P, 3): the position of every phase's sensor, metres."""
        return self.positions[self.phase_sensors]

    @property
    def phase_gammas(self) -> np.ndarray:
        """(P,): the gyromagnetic ratio of every phase's sensor, rad s^-1 T^-1."""
        return self.gammas[self.phase_sensors]

    @property
    def site_positions(self) -> np.ndarray:
        """(K', 3): the positions of the sensors that carry parameters (field models see
        these)."""
        return self.positions[self.sensing]

    def phase_jacobian(self, field_jacobian: np.ndarray, t: float = 1.0) -> np.ndarray:
        r""":math:`\partial\phi_p/\partial q_j = \gamma_p t\,\partial B_{a_p}(\mathbf r_p)/
        \partial q_j` from a field model's Jacobian at :attr:`site_positions` (K', 3, Q)."""
        site = {k: i for i, k in enumerate(self.sensing)}
        rows = [site[k] for k in self.phase_sensors]
        axes = [AXES.index(a) for a in self.phase_axes]
        return t * self.phase_gammas[:, None] * field_jacobian[rows, axes, :]

    def describe(self) -> list[str]:
        """One line per sensor: position, species or gamma, the components it senses."""
        lines = []
        for k, sensor in enumerate(self.network.sensors):
            if not sensor.n_params:
                continue
            what = (f"{self.species[k]}, gamma" if self.species[k] else "gamma")
            lines.append(f"  {self.label(k)} at {np.round(self.positions[k], 12).tolist()} m: "
                         f"{what} = {self.gammas[k]:.6g} {GAMMA_UNIT}, senses "
                         f"B{', B'.join(sensor.field_axes)}")
        return lines

    def __repr__(self) -> str:
        return (f"SensorArray({self.network!r}, positions="
                f"{np.round(self.positions, 12).tolist()})")
