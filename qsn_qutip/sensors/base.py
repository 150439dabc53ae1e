r"""The small base class every sensor model derives from.

A sensor is one node of a quantum sensing network: a local Hilbert space
:math:`\mathcal{H}_k`, the Hermitian generators :math:`\hat H_j` of the parameters
:math:`\phi_j` it carries (encoded as :math:`U_k = e^{-i\sum_j \phi_j \hat H_j}`), and a
resource operator :math:`\hat R_k` that commutes with the generators (particle or photon
number).  For the global-function results of the paper a sensor with ``n`` particles also
knows its extremal generator eigenstates :math:`|\lambda_{\min,n}\rangle`,
:math:`|\lambda_{\max,n}\rangle` and :math:`\kappa` with
:math:`\lambda_{\max,n} - \lambda_{\min,n} = \kappa n` where that holds.
"""

from __future__ import annotations

import abc
import itertools
import math
from functools import cached_property

import numpy as np
import qutip

from ..errors import QSNError
from .._linalg import diagonal_of
from ..options import tolerances

__all__ = ["Sensor"]


class Sensor(abc.ABC):
    """One node of a network: local space, generators, resource, extremal eigenstates.

    Subclasses set ``dims`` (QuTiP ket dims of the local space), ``generators`` (one Hermitian
    ``Qobj`` per parameter, in parameter order), ``resource_operator``, ``particles`` and
    ``kappa``, and return a copy with another particle number from ``with_particles``.
    """

    #: short name of the physical model, used in tables and model files
    kind: str = "sensor"
    #: the keys a model file's ``[[sensor]]`` table of this kind may set (besides ``name`` and
    #: ``kind``) and their types: ``int`` (an integer >= 1), ``float`` (a number), ``str``, or
    #: ``list`` (a list of numbers); empty for a kind that model files cannot name
    model_keys: dict[str, type] = {}
    #: the keys of ``model_keys`` a model file must set
    model_required: tuple[str, ...] = ()

    def __init__(self, *, name: str | None = None):
        if name is not None and not isinstance(name, str):
            raise QSNError(f"name must be a string (or None), got {type(name).__name__}")
        self.name = name

    @classmethod
    def from_model(cls, *, name: str | None = None, **keys) -> "Sensor":
        """This sensor from the keys of a model file's ``[[sensor]]`` table.

        The model file has checked the keys against :attr:`model_keys` (names and types); the
        values are passed on as keyword arguments of the constructor, which validates them.
        """
        return cls(**keys, name=name)

    # -- what every model defines -----------------------------------------------------
    @property
    @abc.abstractmethod
    def dims(self) -> list[int]:
        """QuTiP ket dims of the local space (e.g. ``[5]`` or ``[2, 2, 2, 2]``)."""

    @property
    @abc.abstractmethod
    def generators(self) -> list[qutip.Qobj]:
        """The local generators, one per parameter carried by this sensor."""

    @property
    @abc.abstractmethod
    def resource_operator(self) -> qutip.Qobj:
        """The local resource operator (commutes with every generator)."""

    @property
    @abc.abstractmethod
    def particles(self) -> int:
        """The particle number n used for the extremal states (qubits, photons, atoms)."""

    @property
    @abc.abstractmethod
    def kappa(self) -> float | None:
        r""":math:`\kappa` with :math:`\lambda_{\max,n}-\lambda_{\min,n} = \kappa n`, or None."""

    @abc.abstractmethod
    def with_particles(self, n: int) -> "Sensor":
        """A copy of this sensor with ``n`` particles (used for particle allocations)."""

    @abc.abstractmethod
    def product_state(self) -> qutip.Qobj:
        """The classical (standard-quantum-limit) probe of this sensor: no entanglement."""

    # -- shared behaviour --------------------------------------------------------------
    @property
    def size(self) -> int:
        """Dimension of the local Hilbert space (a Python int: exact for any size)."""
        return math.prod(int(d) for d in self.dims)

    @property
    def n_params(self) -> int:
        """Number of parameters this sensor carries."""
        return len(self.generators)

    @property
    def label(self) -> str:
        """A short description of the physical model for figures and tables, e.g.
        ``"qubits n=4"`` (without the sensor's name); by default :attr:`kind`."""
        return self.kind

    @property
    def copies(self) -> "Sensor | None":
        """The sensor this one is a parameter-free local copy of (an ancilla, Theorem 2), or
        None for a sensor of its own."""
        return None

    @property
    def noise_channels(self) -> frozenset[str]:
        r"""The :class:`~qsn_qutip.noise.NoiseModel` channels that act on this sensor.

        Names of the model's fields: ``"dephasing"``, ``"decay"``, ``"collective_dephasing"``,
        ``"correlated_dephasing"``, ``"transmission"``.  By default a sensor with a single
        diagonal generator :math:`\hat H` suffers phase diffusion (Lindblad operator
        :math:`\sqrt\Gamma\hat H`, alone or through a field common to several sensors) and
        nothing else; models with physical channels of their own add them (qubits dephase
        and decay, modes lose photons).

        Examples
        --------
        >>> from qsn_qutip import MultiLevelAtom
        >>> sorted(MultiLevelAtom(spin=1).noise_channels)
        ['collective_dephasing', 'correlated_dephasing']
        """
        if self.n_params == 1 and diagonal_of(self.generators[0]) is not None:
            return frozenset({"collective_dephasing", "correlated_dephasing"})
        return frozenset()

    @property
    def dicke_qubits(self) -> int | None:
        """The number of qubits n when the local basis is the symmetric (Dicke) subspace of n
        qubits (index k = n/2 - m): local qubit noise then leaves that subspace and acts on
        Dicke blocks (:class:`~qsn_qutip.noise.DickeBlockState`).  None (the default): the
        channels act on the local space as it is."""
        return None

    #: True when :meth:`product_state` is n identical one-particle states, each particle
    #: carrying the one-particle generators (the sensor's generators are their sums): its QFI
    #: under noise acting on each particle alone is then n times that of one particle
    #: (:meth:`with_particles` ``(1)``), which :mod:`qsn_qutip.magnetometry` uses for large n
    independent_particles: bool = False

    @property
    def field_axes(self) -> str | None:
        """The component of a magnetic field (``"x"``, ``"y"`` or ``"z"``) each parameter of
        the sensor senses, one letter per parameter in parameter order, for
        :mod:`qsn_qutip.magnetometry` (a Larmor phase phi = gamma t B_a); ``""``
        without parameters, None for a sensor that does not sense a magnetic field.  By
        default ``"z"`` (the quantisation axis) for a sensor with one parameter.

        Examples
        --------
        >>> from qsn_qutip import MultiLevelAtom, QubitEnsemble
        >>> QubitEnsemble(3).field_axes, MultiLevelAtom(spin=1, axes="xy").field_axes
        ('z', 'xy')
        """
        if self.n_params > 1:
            return None
        return "z" * self.n_params

    #: True for a sensor whose space truncates an infinite one (an optical mode's Fock cutoff):
    #: only then can :meth:`truncation_weight` be non-zero
    truncated: bool = False

    def truncation_weight(self, reduced_state: qutip.Qobj) -> float:
        r"""The probability ``reduced_state`` (this sensor's density matrix) holds where the
        truncation of the space cuts a distribution off: 0 for a finite-dimensional sensor.

        A state with weight there is the truncation of a state that goes beyond the space,
        and its QFI is that of the truncated state, not of the intended one (too low for a
        coherent state near the cutoff).  :meth:`qsn_qutip.Network.check_truncation`
        compares it with ``tolerances.truncation`` for every sensor of a network.
        """
        return 0.0

    @cached_property
    def commuting(self) -> bool:
        """True when the local generators commute pairwise (Theorem 1 applies)."""
        return all((a * b - b * a).norm("max") <= tolerances.atol
                   for a, b in itertools.combinations(self.generators, 2))

    def _single_generator(self) -> qutip.Qobj:
        if self.n_params != 1:
            raise QSNError(f"{self!r} carries {self.n_params} parameters; extremal generator "
                           "eigenstates are defined for sensors with exactly one parameter")
        return self.generators[0]

    def extremal_states(self) -> tuple[qutip.Qobj, qutip.Qobj]:
        r"""The pair :math:`(|\lambda_{\min,n}\rangle, |\lambda_{\max,n}\rangle)` for this sensor.

        For a diagonal generator these are basis states (the first index of the smallest and
        of the largest diagonal entry); otherwise the extremal eigenvectors of the generator.
        """
        gen = self._single_generator()
        diag = diagonal_of(gen)
        if diag is not None:
            lo, hi = int(np.argmin(diag)), int(np.argmax(diag))
            return (qutip.basis(self.dims, list(np.unravel_index(lo, self.dims))),
                    qutip.basis(self.dims, list(np.unravel_index(hi, self.dims))))
        _, vecs = np.linalg.eigh(gen.full())
        return (qutip.Qobj(vecs[:, 0], dims=[self.dims, [1] * len(self.dims)]),
                qutip.Qobj(vecs[:, -1], dims=[self.dims, [1] * len(self.dims)]))

    def eigenvalue_range(self) -> tuple[float, float]:
        r""":math:`(\lambda_{\min,n}, \lambda_{\max,n})` of the single generator."""
        gen = self._single_generator()
        lo, hi = self.extremal_states()
        return float(qutip.expect(gen, lo)), float(qutip.expect(gen, hi))

    def idle_state(self) -> qutip.Qobj:
        """The basis state of least resource (vacuum, ground level): a sensor left unused."""
        diag = diagonal_of(self.resource_operator)
        index = int(np.argmin(diag)) if diag is not None else 0
        return qutip.basis(self.dims, list(np.unravel_index(index, self.dims)))

    def local_ghz(self) -> qutip.Qobj:
        r"""The optimal single-sensor probe :math:`(|\lambda_{\min,n}\rangle + |\lambda_{\max,n}\rangle)/\sqrt2`."""
        lo, hi = self.extremal_states()
        return (lo + hi).unit()

    # -- readouts (qsn_qutip.measurement.readouts asks the sensor) -------------------------
    #: True for one bosonic mode in its Fock basis (:class:`~qsn_qutip.OpticalMode`): photon
    #: counting reads its basis states, and a beam splitter can mix it with another mode
    bosonic_mode: bool = False

    def _as_operator(self, mat: np.ndarray) -> qutip.Qobj:
        """A matrix as an operator on this sensor's dims."""
        return qutip.Qobj(mat, dims=[list(self.dims), list(self.dims)])

    @staticmethod
    def _axis(axis: str) -> str:
        if axis not in ("x", "y", "z"):
            raise QSNError(f"axis must be 'x', 'y' or 'z', got {axis!r}")
        return axis

    def computational_basis(self) -> tuple[qutip.Qobj, list[str]]:
        """The identity (its columns: the computational basis) and the labels ``"0"``, ``"1"``, ...

        How a sensor without parameters (a reference, an ancilla) is read out.
        """
        return qutip.qeye(list(self.dims)), [str(j) for j in range(self.size)]

    def spin_basis(self, axis: str) -> tuple[qutip.Qobj, list[str]]:
        r"""The eigenbasis of the sensor's spin component :math:`\hat J_a`, ``axis`` = a.

        Returns the unitary whose columns are the eigenvectors (ascending eigenvalue) and one
        outcome label per column.  Sensors with a spin (qubit ensembles, spin atoms) override
        this; a generic sensor has none: without parameters it is read out in its
        computational basis, with parameters it raises :class:`QSNError`.
        """
        self._axis(axis)
        if self.n_params == 0:
            return self.computational_basis()
        raise QSNError(f"{self!r} has no spin component to read out (qubit ensembles and "
                       f"spin atoms, MultiLevelAtom(spin=...), have one)")

    def parity_operator(self) -> qutip.Qobj:
        r"""The sensor's parity :math:`\hat P` (:math:`\hat P^2 = 1`), exchanging its extremal states.

        Generic: with one parameter, the swap :math:`|\lambda_{\min}\rangle\leftrightarrow
        |\lambda_{\max}\rangle` and the identity on the rest,

        .. math::
            \hat P = 1 - |l\rangle\langle l| - |h\rangle\langle h| + |l\rangle\langle h|
            + |h\rangle\langle l|;

        without parameters the identity; with several it raises :class:`QSNError`.  The
        parity of a network, :math:`\bigotimes_k\hat P_k`, exchanges the two branches of a
        GHZ-like state (:func:`qsn_qutip.measurement.parity`).
        """
        if self.n_params == 0:
            return qutip.qeye(list(self.dims))
        if self.n_params > 1:
            raise QSNError(f"{self!r} carries {self.n_params} parameters: a parity needs "
                           f"exactly one")
        lo, hi = (s.full().ravel() for s in self.extremal_states())
        swap = np.outer(lo, hi.conj()) + np.outer(hi, lo.conj())
        return self._as_operator(np.eye(self.size) - np.outer(lo, lo.conj())
                                 - np.outer(hi, hi.conj()) + swap)

    def readout_basis(self) -> tuple[qutip.Qobj, list[str]]:
        r"""The sensor's default local readout (:func:`qsn_qutip.measurement.local_readout`).

        Generic: the eigenbasis of :meth:`parity_operator` — :math:`(|\lambda_{\min}\rangle
        \pm|\lambda_{\max}\rangle)/\sqrt2` and the remaining basis states, labelled
        ``"+j"`` / ``"-j"`` by parity — or, without parameters, the computational basis.
        Returns the unitary whose columns are the basis and one label per column.
        """
        if self.n_params == 0:
            return self.computational_basis()
        values, vecs = np.linalg.eigh(self.parity_operator().full())
        return (self._as_operator(vecs),
                [f"{'+' if v > 0 else '-'}{j}" for j, v in enumerate(values)])

    def _repr_args(self) -> str:
        return ""

    def __repr__(self) -> str:
        name = f", name={self.name!r}" if self.name else ""
        return f"{type(self).__name__}({self._repr_args()}{name})"
