r"""A quantum sensing network: sensors on a tensor-product space with their parameters in order.

:math:`\mathcal H = \mathcal H_1\otimes\cdots\otimes\mathcal H_s`; sensor k carries the
parameters :math:`\phi_{[k]}` (sensor 1's first), encoded as
:math:`U = \bigotimes_k U_k`, :math:`U_k = e^{-i\sum_{j\in[k]}\phi_j\hat H_j}`; the resource is
:math:`\hat R = \sum_k \hat R_k`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from functools import cached_property

import numpy as np
import qutip
import scipy.linalg

from .errors import QSNError
from ._io import html_table
from ._linalg import diagonal_of, ket_array
from ._checks import as_positive_int, as_real_vector, check_state
from .operators import LocalOperator
from .options import check_memory, tolerances
from .sensors.ancilla import Ancilla
from .sensors.base import Sensor

__all__ = ["Network", "check_network", "TruncationWarning"]


class TruncationWarning(UserWarning):
    """A state may be cut off by a sensor's truncated space (an optical mode's Fock cutoff):
    its QFI would be that of the truncated state (:meth:`Network.truncation_note`)."""


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
        if (isinstance(sensors, (Sensor, str)) or not isinstance(sensors, Sequence)
                or not sensors):
            raise QSNError(f"sensors must be a non-empty list of Sensor objects, got "
                           f"{type(sensors).__name__}")
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
        """Dimension D of the full space (a Python int: exact, 2^64 for 64 qubits)."""
        return math.prod(s.size for s in self.sensors)

    def check_memory(self, what: str, *, operator: bool = False) -> int:
        r"""Refuse, before allocating, a dense object on the full space that would not fit.

        A ket needs :math:`16D` bytes, a dense operator or density matrix :math:`16D^2`
        (complex128); above ``tolerances.max_bytes`` this raises :class:`QSNError` naming
        ``what``, the dimension and the memory it would need.

        Returns
        -------
        int
            The bytes needed.

        Examples
        --------
        >>> from qsn_qutip import Network, QubitEnsemble
        >>> Network([QubitEnsemble(4)] * 2).check_memory("a ket")
        400
        >>> Network([QubitEnsemble(1)] * 64).check_memory("the product probe")
        Traceback (most recent call last):
        ...
        qsn_qutip.errors.QSNError: the product probe: a ket of dimension D = 18446744073709551616 would need 256.0 EiB, above the limit tolerances.max_bytes = 4.0 GiB (raise it with qsn_qutip.tolerances(max_bytes=...) on a machine with more memory)
        """
        size = self.size
        nbytes = 16 * size * (size if operator else 1)
        kind = "a dense operator" if operator else "a ket"
        return check_memory(nbytes, f"{what}: {kind} of dimension D = {size}")

    def which(self, site: int) -> str:
        """How messages name sensor ``site`` (0-based index): ``sensor 'left'`` when it has a
        name, else ``sensor 2`` (1-based, as in ``qsn sweep --vary sensor.2.n``).

        Examples
        --------
        >>> from qsn_qutip import Network, QubitEnsemble
        >>> net = Network([QubitEnsemble(2, name="left"), QubitEnsemble(2)])
        >>> net.which(0), net.which(1)
        ("sensor 'left'", 'sensor 2')
        """
        name = self.sensors[site].name
        return f"sensor {name!r}" if name else f"sensor {site + 1}"

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
        """Every generator embedded in the full space, in parameter order (sparse, at least
        a ket's memory each: refused beyond ``tolerances.max_bytes``)."""
        self.check_memory("the embedded generators (use local_generators)")
        return [g.to_qobj() for g in self.local_generators]

    @cached_property
    def resource_operator(self) -> qutip.Qobj:
        r"""The total resource operator :math:`\sum_k \hat R_k`."""
        self.check_memory("the resource operator")
        return sum(self.embed(s.resource_operator, k).to_qobj()
                   for k, s in enumerate(self.sensors))

    def mean_resource(self, state: qutip.Qobj) -> float:
        r""":math:`\mathrm{Tr}(\hat R\rho) = \sum_k \mathrm{Tr}(\hat R_k\rho_k)`: particles
        (qubits, atoms) or mean photon number.

        Every resource operator of the toolkit's sensors is diagonal, so each term is the
        sensor's diagonal resource against its marginal populations: one pass over the
        state, without the embedded :attr:`resource_operator` (which costs as much memory as
        the state and takes seconds to build for :math:`10^8` amplitudes).

        Examples
        --------
        >>> from qsn_qutip import Network, OpticalMode, QubitEnsemble, states
        >>> net = Network([QubitEnsemble(3), OpticalMode(2)])
        >>> round(net.mean_resource(states.local_ghz(net)), 12)
        4.0
        """
        state = self.check(state)
        diagonals = [diagonal_of(s.resource_operator) for s in self.sensors]
        if any(d is None for d in diagonals):
            return float(qutip.expect(self.resource_operator, state))
        if state.isket:
            populations = np.abs(ket_array(state)) ** 2
        else:
            populations = np.real(np.asarray(state.diag()))
        populations = populations.reshape(self.ket_dims)
        total, start = 0.0, 0
        for sensor, diagonal in zip(self.sensors, diagonals):
            count = len(sensor.dims)
            others = tuple(i for i in range(len(self.ket_dims))
                           if not start <= i < start + count)
            total += float(diagonal @ populations.sum(axis=others).reshape(-1))
            start += count
        return total

    def unitary(self, phi: Sequence[float]) -> qutip.Qobj:
        r""":math:`U(\phi) = \bigotimes_k e^{-i\sum_{j\in[k]}\phi_j\hat H_j}`."""
        phi = as_real_vector(phi, "phi", length=self.n_params)
        self.check_memory("the unitary U(phi)", operator=True)
        return qutip.tensor([(-1j * sum((phi[j] * g for j, g in zip(part, s.generators)),
                                        0 * qutip.qeye(s.dims))).expm()
                             for s, part in zip(self.sensors, self.partition)])

    def encode(self, state: qutip.Qobj, phi: Sequence[float]) -> qutip.Qobj:
        r""":math:`U|\psi\rangle` for a ket, :math:`U\rho U^\dagger` for a density matrix."""
        u = self.unitary(phi)
        state = self.check(state)
        return u * state if state.isket else u * state * u.dag()

    def check(self, state, name: str = "state", *, physical: bool = False) -> qutip.Qobj:
        r"""Check that ``state`` is a ket or density matrix on this network's space.

        With ``physical=True`` also that it is a quantum state, as the QFIM does: finite
        entries, :math:`\langle\psi|\psi\rangle = 1` for a ket; Hermitian, unit trace and
        positive semidefinite (smallest eigenvalue above ``-tolerances.atol``) for a density
        matrix.  Raises :class:`QSNError` naming ``name``.
        """
        state = check_state(state, name)
        if list(state.dims[0]) != self.ket_dims:
            raise QSNError(f"{name} has dims {state.dims[0]}, the network has {self.ket_dims}")
        if physical:
            _check_physical(state.full(), state.isket, name)
        return state

    def truncation_weights(self, state: qutip.Qobj, name: str = "state") -> list[float]:
        """Every sensor's :meth:`~qsn_qutip.sensors.Sensor.truncation_weight` for ``state``
        (0 for sensors whose space is not truncated; no partial trace is taken for them)."""
        state = self.check(state, name)
        return [s.truncation_weight(self.reduced_state(state, k)) if s.truncated else 0.0
                for k, s in enumerate(self.sensors)]

    def truncation_note(self, state: qutip.Qobj, name: str = "state") -> str | None:
        r"""Why ``state`` looks cut off by a sensor's truncated space, or None.

        A truncated space (an optical mode's Fock cutoff) cannot hold a state that goes beyond
        it, and the QFI of the truncated state is not that of the intended one: a coherent
        state with mean photon number 6 at cutoff 12 has a Kerr QFI 9 % below the true one.
        The note names ``name``, the first sensor whose
        :meth:`~qsn_qutip.sensors.Sensor.truncation_weight` exceeds ``tolerances.truncation``
        and that weight.  :func:`qsn_qutip.qfim` on raw generators cannot know a cutoff: this
        check needs the network.

        Examples
        --------
        >>> import numpy as np, qutip
        >>> from qsn_qutip import Network, OpticalMode
        >>> net = Network([OpticalMode(12, "kerr", name="a")])
        >>> print(net.truncation_note(qutip.coherent(13, np.sqrt(6))))
        state: sensor 'a' (Kerr mode N=12) holds probability 0.0383 in the top levels of its truncated space (tolerances.truncation = 1e-08): if it was cut off there, its QFI is that of the truncated state, too low; raise the cutoff
        >>> Network([OpticalMode(40, "kerr")]).truncation_note(qutip.coherent(41, np.sqrt(6)))
        >>> net.truncation_note(qutip.fock(13, 12)) is None     # |12> is exact at cutoff 12
        True
        """
        for k, weight in enumerate(self.truncation_weights(state, name)):
            if weight > tolerances.truncation:
                return (f"{name}: {self.which(k)} ({self.sensors[k].label}) holds probability "
                        f"{weight:.3g} in the top levels of its truncated space "
                        f"(tolerances.truncation = {tolerances.truncation:g}): if it was cut "
                        f"off there, its QFI is that of the truncated state, too low; raise "
                        f"the cutoff")
        return None

    def check_truncation(self, state: qutip.Qobj, name: str = "state", *,
                         warn: bool = False) -> qutip.Qobj:
        """Check ``state`` (:meth:`check`) and refuse it when it looks cut off by a sensor's
        truncated space (:meth:`truncation_note`); return it.

        Raises :class:`QSNError` with the note, or with ``warn=True`` issues it as a
        :class:`TruncationWarning` (for states a user gives: a random state of the truncated
        space, or a Fock superposition ending at the cutoff, is exact and looks the same).
        """
        note = self.truncation_note(state, name)
        if note is not None:
            if not warn:
                raise QSNError(note)
            warnings.warn(note, TruncationWarning, stacklevel=2)
        return state

    # -- variants -------------------------------------------------------------------------
    def with_particles(self, numbers: Sequence[int]) -> "Network":
        """The same sensors with the given particle numbers (one per sensor)."""
        if np.ndim(numbers) != 1 or len(numbers) != len(self.sensors):
            raise QSNError(f"numbers must be a list with one entry per sensor "
                           f"({len(self.sensors)}), got {numbers!r}")
        numbers = [as_positive_int(n, f"numbers ({self.which(k)}): n")
                   for k, n in enumerate(numbers)]
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
        if not isinstance(site, (int, np.integer)) or not 0 <= site < len(self.sensors):
            raise QSNError(f"site must be a sensor index 0..{len(self.sensors) - 1}, got "
                           f"{site!r}")
        check_memory(16 * self.sensors[site].size ** 2,
                     f"the reduced state of {self.which(site)}")
        if len(self.sensors) == 1:
            return state.proj() if state.isket else state
        return state.ptrace(self.sensor_selection(site))

    def __repr__(self) -> str:
        return f"Network([{', '.join(map(repr, self.sensors))}])"

    def _repr_html_(self) -> str:
        """A table of the sensors for Jupyter: model, dims, particles, parameters."""
        rows = [[k + 1, sensor.name or "", sensor.label, "×".join(map(str, sensor.dims)),
                 self.particles[k],
                 ", ".join(f"φ{i + 1}" for i in self.partition[k]) or None]
                for k, sensor in enumerate(self.sensors)]
        return html_table(["sensor", "name", "model", "dims", "particles", "parameters"],
                          rows, caption=f"Network: {len(self.sensors)} sensors, "
                                        f"d = {self.n_params} parameters, dimension "
                                        f"{math.prod(self.ket_dims)}")


def check_network(network, name: str = "network") -> Network:
    """Return ``network`` when it is a :class:`Network`, else raise :class:`QSNError` naming ``name``.

    Examples
    --------
    >>> check_network("two qubits")
    Traceback (most recent call last):
    ...
    qsn_qutip.errors.QSNError: network must be a Network, got str
    """
    if not isinstance(network, Network):
        hint = (": wrap the sensors in Network([...])" if isinstance(network, (list, tuple))
                else "")
        raise QSNError(f"{name} must be a Network, got {type(network).__name__}{hint}")
    return network


def _check_physical(data: np.ndarray, ket: bool, name: str) -> None:
    """Raise :class:`QSNError` naming ``name`` unless ``data`` is a normalised ket or a
    Hermitian, unit-trace, positive-semidefinite density matrix (``tolerances.atol``)."""
    if not np.all(np.isfinite(data)):
        raise QSNError(f"{name} contains NaN or inf entries")
    total = float(np.vdot(data, data).real) if ket else float(np.trace(data).real)
    what = "<psi|psi>" if ket else "its trace"
    if abs(total - 1.0) > 100 * tolerances.atol:
        raise QSNError(f"{name} must be normalised: {what} is {total:.12g}, expected 1")
    if ket:
        return
    scale = max(1.0, float(np.abs(data).max()))
    if np.abs(data - data.conj().T).max() > tolerances.atol * scale:
        raise QSNError(f"{name} (a density matrix) must be Hermitian")
    lowest = scipy.linalg.eigvalsh((data + data.conj().T) / 2, subset_by_index=[0, 0])[0]
    if lowest < -tolerances.atol:
        raise QSNError(f"{name} (a density matrix) must be positive semidefinite: smallest "
                       f"eigenvalue {lowest:.3g}")
