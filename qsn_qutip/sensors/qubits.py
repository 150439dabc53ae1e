r"""Ensembles of qubits sensing a field along z: generator :math:`\hat J_z = \sum_j \sigma_z^{(j)}/2`.

Two representations of the same physics: ``basis="dicke"`` keeps the symmetric subspace
(dimension n + 1, :func:`qutip.jmat`, ``|0>`` = all spins up, :math:`m = n/2`), which is
exact for permutation-symmetric probes and reaches thousands of qubits; ``basis="full"`` keeps
all :math:`2^n` amplitudes with tensor dims ``[2] * n`` (qubit ``|0>`` = spin up).
:math:`\lambda_{\max,n}-\lambda_{\min,n} = n`, so :math:`\kappa = 1`.
"""

from __future__ import annotations

import itertools

import numpy as np
import qutip
import scipy.stats

from ..errors import QSNError
from .._checks import as_positive_int, as_real_vector
from ..options import check_memory
from .base import Sensor

__all__ = ["QubitEnsemble"]

#: the full 2^n space is refused above this many qubits (2^20 amplitudes per sensor)
MAX_FULL_QUBITS = 20


class QubitEnsemble(Sensor):
    r"""n qubits with the collective generator :math:`\hat J_z`; resource: the number of qubits.

    Parameters
    ----------
    n : int
        Number of qubits (>= 1).
    basis : {"dicke", "full"}
        Symmetric (Dicke) subspace of dimension n + 1, or the full :math:`2^n` space.
    name : str, optional
        Label used in tables and drawings.

    Examples
    --------
    >>> QubitEnsemble(4).dims
    [5]
    >>> QubitEnsemble(3, basis="full").dims
    [2, 2, 2]
    """

    kind = "qubits"
    #: |+>^n: n independent qubits (the QFI of the product state scales as n under local noise)
    independent_particles = True
    model_keys = {"n": int, "basis": str}
    model_required = ("n",)

    def __init__(self, n: int, basis: str = "dicke", *, name: str | None = None):
        super().__init__(name=name)
        self.n = as_positive_int(n, "n")
        if basis not in ("dicke", "full"):
            raise QSNError(f"basis must be 'dicke' or 'full', got {basis!r}")
        if basis == "full" and self.n > MAX_FULL_QUBITS:
            raise QSNError(f"basis='full' holds 2^n amplitudes; n = {self.n} is above the limit "
                           f"{MAX_FULL_QUBITS}: use basis='dicke'")
        if basis == "dicke":      # before any allocation: the Dicke space has n + 1 amplitudes
            check_memory(16 * (self.n + 1), f"QubitEnsemble(n={self.n}): a ket of its Dicke "
                                            f"space (dimension {self.n + 1})")
        self.basis = basis
        self._jz = (qutip.jmat(self.n / 2, "z") if basis == "dicke" else sum(
            qutip.tensor([qutip.jmat(0.5, "z") if j == k else qutip.qeye(2)
                          for j in range(self.n)]) for k in range(self.n)))

    @property
    def dims(self) -> list[int]:
        return [self.n + 1] if self.basis == "dicke" else [2] * self.n

    @property
    def generators(self) -> list[qutip.Qobj]:
        return [self._jz]

    @property
    def resource_operator(self) -> qutip.Qobj:
        return self.n * qutip.qeye(self.dims)

    @property
    def particles(self) -> int:
        return self.n

    @property
    def kappa(self) -> float:
        return 1.0

    @property
    def label(self) -> str:
        """``"qubits n=4"``."""
        return f"qubits n={self.n}"

    @property
    def noise_channels(self) -> frozenset[str]:
        """Phase diffusion of J_z (the base class's) and local dephasing and decay of every
        qubit."""
        return super().noise_channels | {"dephasing", "decay"}

    @property
    def dicke_qubits(self) -> int | None:
        """n in the Dicke basis (local noise acts on Dicke blocks), None in the full basis."""
        return self.n if self.basis == "dicke" else None

    def with_particles(self, n: int) -> "QubitEnsemble":
        return QubitEnsemble(n, self.basis, name=self.name)

    def product_state(self) -> qutip.Qobj:
        r"""Every qubit in :math:`|+\rangle`: the spin-coherent state on the equator (QFI = n)."""
        return self.spin_coherent(np.pi / 2, 0.0)

    def spin_coherent(self, theta: float, phi: float) -> qutip.Qobj:
        r"""The spin-coherent state :math:`|\theta,\phi\rangle` of the n qubits, in closed form.

        Every qubit in :math:`\cos\frac\theta2|{\uparrow}\rangle + e^{i\phi}\sin\frac\theta2
        |{\downarrow}\rangle` (the convention of :func:`qutip.spin_coherent`).  In the Dicke
        basis (index k = number of spins down, :math:`m = n/2 - k`) the amplitudes are

        .. math::
            c_k = \sqrt{\binom nk}\,\cos^{n-k}\tfrac\theta2\,\sin^k\tfrac\theta2\,e^{ik\phi},
            \qquad |c_k| = \sqrt{\mathrm{Binom}(k;\,n,\,\sin^2\tfrac\theta2)},

        with the binomial probabilities from :func:`scipy.stats.binom.pmf` (no overflow for
        any n; O(n) time and memory, where the exponential of :math:`\hat J_\pm` costs
        :math:`O(n^3)`).  In the full basis it is the tensor product of the n one-qubit states.

        Examples
        --------
        >>> import numpy as np, qutip
        >>> psi = QubitEnsemble(5).spin_coherent(1.1, 0.3)
        >>> bool(np.allclose(psi.full(), qutip.spin_coherent(2.5, 1.1, 0.3).full(), atol=1e-12))
        True
        """
        theta, phi = as_real_vector([theta, phi], "(theta, phi)")
        half = theta / 2
        if self.basis == "full":
            one = qutip.Qobj([[np.cos(half)], [np.exp(1j * phi) * np.sin(half)]])
            return qutip.tensor([one] * self.n)
        k = np.arange(self.n + 1)
        cos, sin = np.cos(half), np.sin(half)
        magnitude = np.sqrt(scipy.stats.binom.pmf(k, self.n, sin * sin))
        signs = np.sign(cos) ** (self.n - k) * np.sign(sin) ** k
        return qutip.Qobj(magnitude * signs * np.exp(1j * phi * k), dims=[[self.n + 1], [1]])

    def spin_basis(self, axis: str) -> tuple[qutip.Qobj, list[str]]:
        r"""The eigenbasis of the spin along ``axis``: collective :math:`\hat J_a` (Dicke basis,
        outcomes ``"m=-1"``, ...) or every qubit along a (full basis, outcomes ``"+-+..."``).

        Examples
        --------
        >>> QubitEnsemble(2).spin_basis("z")[1], QubitEnsemble(2, basis="full").spin_basis("x")[1]
        (['m=-1', 'm=+0', 'm=+1'], ['--', '-+', '+-', '++'])
        """
        axis = self._axis(axis)
        if self.basis == "dicke":
            values, vecs = np.linalg.eigh(qutip.jmat(self.n / 2, axis).full())
            return self._as_operator(vecs), [f"m={v:+g}" for v in np.round(values, 9)]
        _, one = np.linalg.eigh(qutip.jmat(0.5, axis).full())
        mats = one
        for _ in range(self.n - 1):
            mats = np.kron(mats, one)
        return self._as_operator(mats), ["".join(s) for s in itertools.product("-+",
                                                                              repeat=self.n)]

    def parity_operator(self) -> qutip.Qobj:
        r"""The physical parity :math:`\prod_j\sigma_x^{(j)}`; in the Dicke basis it maps
        :math:`|m\rangle\to|-m\rangle` with sign +1 (Dicke states are positive sums of
        computational states).

        Examples
        --------
        >>> QubitEnsemble(1).parity_operator().full().real
        array([[0., 1.],
               [1., 0.]])
        """
        if self.basis == "dicke":
            return self._as_operator(np.fliplr(np.eye(self.size)))
        return qutip.tensor([qutip.sigmax()] * self.n)

    def readout_basis(self) -> tuple[qutip.Qobj, list[str]]:
        r""":math:`\hat J_x` readout (:meth:`spin_basis` ``("x")``): it saturates the QCRB of a
        GHZ state and of :math:`|+\rangle^{\otimes n}`."""
        return self.spin_basis("x")

    def _repr_args(self) -> str:
        return f"{self.n}" + (", basis='full'" if self.basis == "full" else "")
