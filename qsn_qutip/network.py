r"""A quantum sensing network: sensors on a tensor-product space with their parameters in order.

:math:`\mathcal H = \mathcal H_1\otimes\cdots\otimes\mathcal H_s`; sensor k carries the
parameters :math:`\phi_{[k]}` (sensor 1's first), encoded as
:math:`U = \bigotimes_k U_k`, :math:`U_k = e^{-i\sum_{j\in[k]}\phi_j\hat H_j}`; the resource is
:math:`\hat R = \sum_k \hat R_k`.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property

import numpy as np
import qutip

from .errors import QSNError
from ._checks import as_real_vector, check_state
from .operators import LocalOperator
from .sensors.ancilla import Ancilla
from .sensors.base import Sensor

__all__ = ["Network"]


class Network:
    r"""Sensors on :math:`\mathcal H_1\otimes\cdots\otimes\mathcal H_s`, parameters in sensor order.

    Parameters
    ----------
    sensors : sequence of Sensor
        The nodes, in order.

    Attributes
    ----------
    sensors : tuple of Sensor
    partition : list of list of int
        The parameter indices of each sensor.

    Examples
    --------
    >>> from qsn_qutip import Network, QubitEnsemble
    >>> net = Network([QubitEnsemble(4), QubitEnsemble(4)])
    >>> net.dims, net.partition
    ([[5, 5], [5, 5]], [[0], [1]])
    """

    def __init__(self, sensors: Sequence[Sensor]):
        if isinstance(sensors, Sensor) or not isinstance(sensors, Sequence) or not sensors:
            raise QSNError("sensors must be a non-empty list of Sensor objects")
        for k, sensor in enumerate(sensors):
            if not isinstance(sensor, Sensor):
                raise QSNError(f"sensors[{k}] must be a Sensor, got {type(sensor).__name__}")
        self.sensors = tuple(sensors)
        starts = np.cumsum([0] + [s.n_params for s in self.sensors])
        self.partition = [list(range(starts[k], starts[k + 1])) for k in range(len(sensors))]
        if starts[-1] == 0:
            raise QSNError("the network carries no parameter: every sensor is a reference")

    # -- spaces -------------------------------------------------------------------------
    @property
    def factor_dims(self) -> tuple[tuple[int, ...], ...]:
        """The ket dims of each sensor."""
        return tuple(tuple(s.dims) for s in self.sensors)

    @property
    def ket_dims(self) -> list[int]:
        """QuTiP ket dims of the full space (the sensors' dims concatenated)."""
        return [d for factor in self.factor_dims for d in factor]

    @property
    def dims(self) -> list[list[int]]:
        """QuTiP operator dims of the full space."""
        return [self.ket_dims, self.ket_dims]

    @property
    def size(self) -> int:
        """Dimension of the full space."""
        return int(np.prod([s.size for s in self.sensors]))

    @property
    def n_params(self) -> int:
        """Number of parameters d."""
        return sum(s.n_params for s in self.sensors)

    @property
    def particles(self) -> list[int]:
        """Particle number of every sensor."""
        return [s.particles for s in self.sensors]

    @property
    def sensing(self) -> list[int]:
        """Indices of the sensors that carry parameters (not references or ancillas)."""
        return [k for k, s in enumerate(self.sensors) if s.n_params]

    @property
    def commuting(self) -> bool:
        """True when all generators commute (Theorem 1 applies)."""
        return all(s.commuting for s in self.sensors)

    # -- operators ----------------------------------------------------------------------
    def embed(self, op: qutip.Qobj, site: int) -> LocalOperator:
        """``op`` on sensor ``site`` as an operator on the whole network (not yet built)."""
        return LocalOperator(op, site, self.factor_dims)

    @cached_property
    def local_generators(self) -> list[LocalOperator]:
        """Every generator as a :class:`LocalOperator` (cheap, for huge networks)."""
        return [self.embed(gen, k) for k, s in enumerate(self.sensors) for gen in s.generators]

    @cached_property
    def generators(self) -> list[qutip.Qobj]:
        """Every generator embedded in the full space, in parameter order."""
        return [g.to_qobj() for g in self.local_generators]

    @cached_property
    def resource_operator(self) -> qutip.Qobj:
        r"""The total resource operator :math:`\sum_k \hat R_k`."""
        return sum(self.embed(s.resource_operator, k).to_qobj()
                   for k, s in enumerate(self.sensors))

    def mean_resource(self, state: qutip.Qobj) -> float:
        r""":math:`\mathrm{Tr}(\hat R\rho)`: particles (qubits, atoms) or mean photon number."""
        return float(qutip.expect(self.resource_operator, self.check(state)))

    def unitary(self, phi: Sequence[float]) -> qutip.Qobj:
        r""":math:`U(\phi) = \bigotimes_k e^{-i\sum_{j\in[k]}\phi_j\hat H_j}`."""
        phi = as_real_vector(phi, "phi", length=self.n_params)
        return qutip.tensor([(-1j * sum((phi[j] * g for j, g in zip(part, s.generators)),
                                        0 * qutip.qeye(s.dims))).expm()
                             for s, part in zip(self.sensors, self.partition)])

    def encode(self, state: qutip.Qobj, phi: Sequence[float]) -> qutip.Qobj:
        r""":math:`U|\psi\rangle` for a ket, :math:`U\rho U^\dagger` for a density matrix."""
        u = self.unitary(phi)
        state = self.check(state)
        return u * state if state.isket else u * state * u.dag()

    def check(self, state, name: str = "state") -> qutip.Qobj:
        """Check that ``state`` is a ket or density matrix on this network's space."""
        state = check_state(state, name)
        if list(state.dims[0]) != self.ket_dims:
            raise QSNError(f"{name} has dims {state.dims[0]}, the network has {self.ket_dims}")
        return state

    # -- variants -------------------------------------------------------------------------
    def with_particles(self, numbers: Sequence[int]) -> "Network":
        """The same sensors with the given particle numbers (one per sensor)."""
        if np.ndim(numbers) != 1 or len(numbers) != len(self.sensors):
            raise QSNError(f"numbers must be a list with one entry per sensor "
                           f"({len(self.sensors)}), got {numbers!r}")
        return Network([s.with_particles(n) for s, n in zip(self.sensors, numbers)])

    def with_ancillas(self) -> "Network":
        """Every sensor followed by its local :class:`~qsn_qutip.sensors.Ancilla` (Theorem 2).

        The parameters and their order are unchanged; the resource operator counts the
        ancillas like the sensors (Eq. 25).
        """
        return Network([part for s in self.sensors for part in (s, Ancilla(s))])

    def sensor_selection(self, site: int) -> list[int]:
        """The indices of sensor ``site`` among the flattened dims (for :func:`qutip.ptrace`)."""
        start = sum(len(d) for d in self.factor_dims[:site])
        return list(range(start, start + len(self.factor_dims[site])))

    def reduced_state(self, state: qutip.Qobj, site: int) -> qutip.Qobj:
        """The state of sensor ``site`` alone (:func:`qutip.ptrace`), as a density matrix."""
        state = self.check(state)
        if len(self.sensors) == 1:
            return state.proj() if state.isket else state
        return state.ptrace(self.sensor_selection(site))

    def __repr__(self) -> str:
        return f"Network([{', '.join(map(repr, self.sensors))}])"
