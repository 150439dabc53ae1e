r"""Built-in measurements on a :class:`~qsn_qutip.Network`: one POVM per physical readout.

* :func:`local_projective` — each sensor measured in its own orthonormal basis;
* :func:`spin_readout` — local :math:`\hat J_z`, :math:`\hat J_x`, ... (:meth:`Sensor.spin_basis`);
* :func:`local_readout` — the default local readout of separable probes
  (:meth:`Sensor.readout_basis`);
* :func:`parity` — the two-outcome parity of a GHZ-like state (:meth:`Sensor.parity_operator`);
* :func:`photon_counting` — optionally after a linear optical network such as
  :func:`beam_splitter`;
* :func:`sld_readout` — the locally optimal measurement of Proposition 2;
* :func:`joint_sld_readout` — the eigenbasis of the SLD of the whole network along a direction
  of the parameters (a joint measurement that saturates the QFI of that direction).

What differs between sensor kinds (the spin, the parity, the default basis, whether a sensor is
a bosonic mode) is asked of the sensor; adding a readout is one function here.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
import qutip

from .._checks import as_real_vector
from ..errors import QSNError
from ..network import Network, check_network
from ..operators import effective_generators
from ..options import tolerances
from ..sensors import Sensor
from .cfim import dense_generators
from .povm import POVM, BasisVectors, DenseEffects, ProductBasis

__all__ = ["local_projective", "spin_readout", "local_readout", "parity", "photon_counting",
           "beam_splitter", "sld_readout", "joint_sld_readout", "sld_eigenbasis"]


def _unitary_columns(basis, sensor: Sensor, name: str) -> np.ndarray:
    """The columns of a sensor's measurement basis (a unitary), checked."""
    if basis is None:
        return np.eye(sensor.size, dtype=complex)
    if isinstance(basis, qutip.Qobj):
        if not basis.isoper or list(basis.dims[0]) != list(sensor.dims) or \
                list(basis.dims[1]) != list(sensor.dims):
            raise QSNError(f"{name} must be a unitary operator on the sensor's dims "
                           f"{sensor.dims}, got a Qobj with dims {basis.dims}")
        mat = basis.full()
    else:
        try:
            mat = np.asarray(basis, dtype=complex)
        except (TypeError, ValueError):
            raise QSNError(f"{name} must be a unitary Qobj (its columns are the basis), got "
                           f"{type(basis).__name__}") from None
        if mat.shape != (sensor.size, sensor.size):
            raise QSNError(f"{name} must be a {sensor.size} x {sensor.size} unitary, got shape "
                           f"{mat.shape}")
    if not np.all(np.isfinite(mat)):
        raise QSNError(f"{name} contains NaN or inf entries")
    if np.abs(mat.conj().T @ mat - np.eye(sensor.size)).max() > 100 * tolerances.atol:
        raise QSNError(f"{name} must be unitary (its columns an orthonormal basis)")
    return mat


def local_projective(network: Network, bases: Sequence, *,
                     labels: Sequence[Sequence[str]] | None = None,
                     name: str = "local projective") -> POVM:
    r"""Each sensor measured in its own orthonormal basis: :math:`\hat E_{x} = \bigotimes_k|b_{k,x_k}\rangle\langle b_{k,x_k}|`.

    Parameters
    ----------
    network : Network
    bases : sequence
        One entry per sensor: a unitary ``Qobj`` (or array) on the sensor's space whose columns
        :math:`|b_{k,j}\rangle = U_k|j\rangle` are the basis, or ``None`` for the computational
        (Fock, Dicke, level) basis.
    labels : sequence of sequence of str, optional
        Each sensor's outcome names; outcome labels join them with commas.
    name : str

    Returns
    -------
    POVM
        :math:`\prod_k \dim\mathcal H_k` outcomes, in C order of the local outcomes, stored
        as a :class:`~qsn_qutip.measurement.povm.ProductBasis`.

    Examples
    --------
    >>> from qsn_qutip import Network, QubitEnsemble
    >>> net = Network([QubitEnsemble(1), QubitEnsemble(1)])
    >>> local_projective(net, [None, None]).labels
    ('0,0', '0,1', '1,0', '1,1')
    """
    network = check_network(network)
    if isinstance(bases, (qutip.Qobj, str)) or not isinstance(bases, Sequence) or \
            len(bases) != len(network.sensors):
        raise QSNError(f"bases must be a list with one entry per sensor "
                       f"({len(network.sensors)}): a unitary Qobj or None")
    mats = [_unitary_columns(b, s, f"bases[{k}]")
            for k, (b, s) in enumerate(zip(bases, network.sensors))]
    if labels is None:
        labels = [[str(j) for j in range(s.size)] for s in network.sensors]
    joined = [",".join(parts) for parts in itertools.product(*labels)]
    return POVM.from_storage(network.ket_dims, ProductBasis(tuple(mats)), joined, name)


def _per_sensor(network: Network, what: str, ask) -> list:
    """``ask(sensor)`` for every sensor; a refusal is re-raised naming ``what`` and the sensor."""
    found = []
    for k, sensor in enumerate(network.sensors):
        try:
            found.append(ask(sensor))
        except QSNError as err:
            raise QSNError(f"{what}: {network.which(k)}: {err}") from None
    return found


def spin_readout(network: Network, axis: str = "x") -> POVM:
    r"""Each sensor's collective spin measured along ``axis``: local :math:`\hat J_z` or :math:`\hat J_x` readout.

    Qubit ensembles in the Dicke basis measure :math:`\hat J_a` (outcomes :math:`m`); in the
    full basis every qubit is measured along a (outcomes ``"+-+..."``, a refinement with the same
    information on symmetric states); spin atoms measure each atom's :math:`\hat J_a`.
    Sensors without parameters are read out in their computational basis
    (:meth:`Sensor.spin_basis <qsn_qutip.Sensor.spin_basis>`).  For a local GHZ
    probe :math:`\hat J_x` readout saturates the QCRB (its outcome determines the parity
    :math:`\prod_j\sigma_x^{(j)} = (-1)^{n/2-m_x}`), as it does for the product state
    :math:`|+\rangle^{\otimes n}` (CFI n).

    Parameters
    ----------
    network : Network
    axis : {"x", "y", "z"}

    Examples
    --------
    >>> from qsn_qutip import Network, QubitEnsemble
    >>> spin_readout(Network([QubitEnsemble(2)]), "z").labels
    ('m=-1', 'm=+0', 'm=+1')
    """
    network = check_network(network)
    if axis not in ("x", "y", "z"):
        raise QSNError(f"axis must be 'x', 'y' or 'z', got {axis!r}")
    found = _per_sensor(network, "spin_readout", lambda s: s.spin_basis(axis))
    return local_projective(network, [b for b, _ in found], labels=[lab for _, lab in found],
                            name=f"local J_{axis} readout")


def parity(network: Network) -> POVM:
    r"""The GHZ parity: the two-outcome POVM :math:`\hat E_\pm = (1 \pm \hat P)/2`, :math:`\hat P = \bigotimes_k\hat P_k`.

    :math:`\hat P_k` (:meth:`Sensor.parity_operator <qsn_qutip.Sensor.parity_operator>`)
    exchanges sensor k's extremal states :math:`|\lambda_{\min,n_k}\rangle
    \leftrightarrow|\lambda_{\max,n_k}\rangle`: for qubit ensembles it is the physical parity
    :math:`\prod_j\sigma_x^{(j)}`, which in the Dicke basis maps :math:`|m\rangle` to
    :math:`|-m\rangle` with sign +1; for other sensors the swap of the two states (identity on
    the rest); sensors without parameters are not measured.  :math:`\hat P` exchanges the two
    branches of every GHZ-like state (Eq. 1), the sign-swapped gradient state
    :math:`|{\downarrow}^{n_1}{\uparrow}^{n_2}\rangle + |{\uparrow}^{n_1}{\downarrow}^{n_2}\rangle`
    included, so :math:`\langle\hat P\rangle_\phi = \cos(\Delta(\phi))` with :math:`\Delta` the
    phase between the branches, :math:`p_\pm = (1\pm\cos\Delta)/2`, and the CFI equals the QFI
    (:math:`N^2` for N qubits) wherever :math:`\sin\Delta \ne 0`.

    Examples
    --------
    >>> import numpy as np
    >>> from qsn_qutip import Network, QubitEnsemble, states
    >>> from qsn_qutip.measurement import cfim
    >>> net = Network([QubitEnsemble(3)])
    >>> F = cfim(states.ghz_like(net, [1.0]), net.generators, parity(net), [0.3])
    >>> round(float(F[0, 0]), 9)
    9.0
    """
    network = check_network(network)
    total = np.array([[1.0]])
    for op in _per_sensor(network, "parity", lambda s: s.parity_operator()):
        total = np.kron(total, op.full())
    eye = np.eye(network.size)
    effects = np.array([(eye + total) / 2, (eye - total) / 2], dtype=complex)
    return POVM.from_storage(network.ket_dims, DenseEffects(effects), ("+1", "-1"), "parity")


def local_readout(network: Network) -> POVM:
    r"""The default local measurement of separable probes: one projective measurement per sensor.

    Each sensor's :meth:`Sensor.readout_basis <qsn_qutip.Sensor.readout_basis>`:

    * qubit ensembles: :math:`\hat J_x` readout (:func:`spin_readout`);
    * other sensors with one parameter: the eigenbasis of the sensor's parity
      :math:`\hat P_k` (:func:`parity`), i.e. :math:`(|\lambda_{\min}\rangle \pm
      |\lambda_{\max}\rangle)/\sqrt2` and the remaining basis states;
    * sensors without parameters: their computational basis.

    Both saturate the QCRB of a local GHZ probe away from its special points (Proposition 2:
    a product of local measurements is optimal for the Theorem 1 probe); :math:`\hat J_x`
    also saturates it for qubits in :math:`|+\rangle^{\otimes n}`.  For other probes (a
    coherent state of a mode, which needs a phase reference) they need not be optimal: compare
    :func:`~qsn_qutip.measurement.cfim` with the QFIM, or use :func:`sld_readout`.

    Examples
    --------
    >>> import numpy as np
    >>> from qsn_qutip import Network, OpticalMode, QubitEnsemble, states
    >>> from qsn_qutip.measurement import cfim
    >>> net = Network([QubitEnsemble(2), OpticalMode(3)])
    >>> psi = states.local_ghz(net)
    >>> np.round(cfim(psi, net.generators, local_readout(net), [0.2, 0.3]), 9)
    array([[4., 0.],
           [0., 9.]])
    """
    network = check_network(network)
    found = _per_sensor(network, "local_readout", lambda s: s.readout_basis())
    return local_projective(network, [b for b, _ in found], labels=[lab for _, lab in found],
                            name="local readout")


def _check_modes(network: Network, what: str, sites) -> None:
    for k in sites:
        sensor = network.sensors[k]
        if not sensor.bosonic_mode:
            raise QSNError(f"{what} acts on optical modes; {network.which(k)} is {sensor!r}")


def photon_counting(network: Network, unitary: qutip.Qobj | None = None) -> POVM:
    r"""Photon counting in every mode, optionally after a linear optical network ``unitary``.

    .. math::
        \hat E_{\mathbf n} = \hat V^\dagger|\mathbf n\rangle\langle\mathbf n|\hat V,\qquad
        p_{\mathbf n} = |\langle\mathbf n|\hat V|\psi_\phi\rangle|^2,

    with :math:`\hat V` the network applied before the detectors (e.g. :func:`beam_splitter`),
    the identity by default.  For a NOON state :math:`(|N,0\rangle+|0,N\rangle)/\sqrt2`,
    counting after a balanced beam splitter gives CFI :math:`N^2` (the QFI) away from the
    special points; counting alone gives none.

    Parameters
    ----------
    network : Network
        Every sensor a bosonic mode (:attr:`Sensor.bosonic_mode`: an
        :class:`~qsn_qutip.OpticalMode`, phase references included).
    unitary : Qobj, optional
        A unitary on the network's space (dims kept).

    Examples
    --------
    >>> from qsn_qutip import Network, OpticalMode, states
    >>> from qsn_qutip.measurement import cfim
    >>> net = Network([OpticalMode(2), OpticalMode(2, generator=None)])
    >>> povm = photon_counting(net, beam_splitter(net))
    >>> round(float(cfim(states.noon(net, 2), net.generators, povm, [0.3])[0, 0]), 9)
    4.0
    """
    network = check_network(network)
    _check_modes(network, "photon_counting", range(len(network.sensors)))
    labels = [[str(n) for n in range(s.size)] for s in network.sensors]
    joined = [",".join(parts) for parts in itertools.product(*labels)]
    if unitary is None:
        storage = ProductBasis(tuple(np.eye(s.size) for s in network.sensors))
        return POVM.from_storage(network.ket_dims, storage, joined, "photon counting")
    if not isinstance(unitary, qutip.Qobj) or not unitary.isoper or \
            unitary.dims != network.dims:
        raise QSNError(f"unitary must be an operator Qobj with the network's dims "
                       f"{network.dims}, got "
                       + (f"dims {unitary.dims}" if isinstance(unitary, qutip.Qobj)
                          else type(unitary).__name__))
    mat = unitary.full()
    if np.abs(mat.conj().T @ mat - np.eye(network.size)).max() > 100 * tolerances.atol:
        raise QSNError("unitary must be unitary")
    return POVM.from_storage(network.ket_dims, BasisVectors(mat.conj().T), joined,
                             "photon counting after a linear network")


def beam_splitter(network: Network, modes: tuple[int, int] = (0, 1), *,
                  transmissivity: float = 0.5, phase: float = 0.0) -> qutip.Qobj:
    r"""A beam splitter between two modes of the network, as a unitary on the whole network.

    .. math::
        \hat B = \exp\!\big[\vartheta\,(e^{i\varphi}\hat a^\dagger\hat b
        - e^{-i\varphi}\hat a\hat b^\dagger)\big],\qquad \cos^2\vartheta = T,

    so :math:`\hat B^\dagger\hat a\hat B = \cos\vartheta\,\hat a + e^{i\varphi}\sin\vartheta\,\hat b`.
    :math:`\hat a^\dagger\hat b` conserves the total photon number, so in the truncated space
    :math:`\hat B` is exact on every state with at most ``cutoff`` photons in the two modes
    together (the NOON states of :func:`~qsn_qutip.states.noon`).

    Parameters
    ----------
    network : Network
    modes : (int, int)
        The two sensors (bosonic modes) it acts on.
    transmissivity : float
        T in [0, 1]; 0.5 is the balanced (50:50) beam splitter.
    phase : float
        :math:`\varphi`.

    Examples
    --------
    >>> from qsn_qutip import Network, OpticalMode
    >>> beam_splitter(Network([OpticalMode(2), OpticalMode(2)])).dims
    [[3, 3], [3, 3]]
    """
    network = check_network(network)
    try:
        a_site, b_site = (int(m) for m in modes)
    except (TypeError, ValueError):
        raise QSNError(f"modes must be two sensor indices, got {modes!r}") from None
    count = len(network.sensors)
    if not (0 <= a_site < count and 0 <= b_site < count) or a_site == b_site:
        raise QSNError(f"modes must be two different sensor indices below {count}, got {modes!r}")
    _check_modes(network, "beam_splitter", (a_site, b_site))
    t = float(transmissivity)
    if not 0.0 <= t <= 1.0:
        raise QSNError(f"transmissivity must lie in [0, 1], got {transmissivity!r}")
    angle = np.arccos(np.sqrt(t))

    def lowering(site: int) -> qutip.Qobj:
        return qutip.tensor([qutip.destroy(s.size) if k == site else qutip.qeye(s.dims)
                             for k, s in enumerate(network.sensors)])

    a, b = lowering(a_site), lowering(b_site)
    exponent = angle * (np.exp(1j * phase) * a.dag() * b - np.exp(-1j * phase) * a * b.dag())
    return exponent.expm()


def sld_eigenbasis(rho: np.ndarray, h: np.ndarray) -> np.ndarray:
    r"""The eigenbasis (columns) of the SLD of :math:`\rho` for :math:`\partial\rho = -i[\hat h,\rho]`.

    With :math:`\rho = \sum_i\lambda_i|i\rangle\langle i|`,

    .. math::
        \hat L = \sum_{\lambda_i+\lambda_j>0}\frac{2\langle i|\partial\rho|j\rangle}
        {\lambda_i+\lambda_j}|i\rangle\langle j|,\qquad
        \partial\rho = \tfrac12(\hat L\rho + \rho\hat L),

    pairs with :math:`\lambda_i+\lambda_j` below ``tolerances.eig_cutoff`` times the largest
    eigenvalue left out.  Measuring this basis gives the QFI of the one-parameter family
    :math:`e^{-is\hat h}\rho\,e^{is\hat h}` at s = 0 (Braunstein and Caves).

    Parameters
    ----------
    rho : numpy.ndarray
        A density matrix (D, D).
    h : numpy.ndarray
        The generator (D, D), Hermitian.

    Examples
    --------
    >>> import numpy as np
    >>> plus = np.full((2, 2), 0.5)
    >>> basis = sld_eigenbasis(plus, np.diag([0.5, -0.5]))
    >>> np.round(np.abs(basis) ** 2, 12)                 # the y basis: (|0> -+ i|1>)/sqrt2
    array([[0.5, 0.5],
           [0.5, 0.5]])
    """
    lam, vecs = np.linalg.eigh((rho + rho.conj().T) / 2)
    drho = vecs.conj().T @ (-1j * (h @ rho - rho @ h)) @ vecs
    total = lam[:, None] + lam[None, :]
    keep = total > tolerances.eig_cutoff * max(lam[-1], 0.0)
    sld = np.where(keep, 2 * drho / np.where(keep, total, 1.0), 0.0)
    _, local = np.linalg.eigh((sld + sld.conj().T) / 2)
    return vecs @ local


def sld_readout(network: Network, state: qutip.Qobj, phi: Sequence[float]) -> POVM:
    r"""Each sensor measured in the eigenbasis of its local SLD at :math:`\phi` (Proposition 2).

    For sensor k (one parameter, generator :math:`\hat h_k`) with reduced state
    :math:`\rho_k(\phi) = \sum_i\lambda_i|i\rangle\langle i|` of the encoded probe,
    :math:`\partial\rho_k = -i[\hat h_k,\rho_k]` and

    .. math::
        \hat L_k = \sum_{\lambda_i+\lambda_j>0}\frac{2\langle i|\partial\rho_k|j\rangle}
        {\lambda_i+\lambda_j}|i\rangle\langle j|;

    measuring its eigenbasis gives the sensor's single-parameter QFI at :math:`\phi` (Braunstein
    and Caves).  On a product probe — the separable probe of Theorem 1 — the product of these
    local measurements has a CFIM equal to the (diagonal) QFIM at :math:`\phi`: the measurement
    Proposition 2 guarantees, here built explicitly.  It is optimal at :math:`\phi` itself
    (locally), so an experiment adapts it to a prior estimate.  Sensors without parameters are
    read out in their computational basis.

    Examples
    --------
    >>> import numpy as np
    >>> from qsn_qutip import Network, QubitEnsemble, qfim, states
    >>> from qsn_qutip.measurement import cfim
    >>> net = Network([QubitEnsemble(2), QubitEnsemble(3)])
    >>> psi = states.product(net)
    >>> F = cfim(psi, net.generators, sld_readout(net, psi, [0.1, 0.2]), [0.1, 0.2])
    >>> bool(np.allclose(F, qfim(psi, net.generators)))
    True
    """
    network = check_network(network)
    state = network.check(state)
    encoded = network.encode(state, phi)
    bases = []
    for k, sensor in enumerate(network.sensors):
        if sensor.n_params == 0:
            bases.append(None)
            continue
        if sensor.n_params > 1:
            raise QSNError(f"sld_readout needs one parameter per sensor; {network.which(k)} "
                           f"({sensor!r}) carries {sensor.n_params}")
        rho = network.reduced_state(encoded, k).full()
        bases.append(sld_eigenbasis(rho, sensor.generators[0].full()))
    return local_projective(network, bases, name="local SLD readout")


def joint_sld_readout(network: Network, state: qutip.Qobj, phi: Sequence[float],
                      direction: Sequence[float] | None = None) -> POVM:
    r"""The whole network measured in the eigenbasis of the SLD of the encoded state along ``direction``.

    With :math:`\rho_\phi` the encoded state and :math:`\hat L_k` its SLDs,
    :math:`\partial_k\rho_\phi = \frac12(\hat L_k\rho_\phi+\rho_\phi\hat L_k)`, the SLD along
    u is :math:`\hat L_u = \sum_ku_k\hat L_k`, the SLD of
    :math:`\partial_u\rho_\phi = -i[\sum_ku_k\hat H'_k, \rho_\phi]` (:func:`sld_eigenbasis`;
    :math:`\hat H'_k = U_\phi\tilde H_kU_\phi^\dagger` with the effective generators, the
    generators themselves when they commute).  Its eigenprojectors
    :math:`\hat\Pi_x` (:math:`\hat L_u = \sum_xl_x\hat\Pi_x`) have the CFIM C with

    .. math::
        (Cu)_k = \sum_x l_x\,\partial_kp_x = \mathrm{Tr}(\partial_k\rho_\phi\hat L_u)
        = (F^Qu)_k,\qquad u^TCu = \sum_xl_x^2p_x = u^TF^Qu,

    so for :math:`u = F_Q^{+}v` (v in the range of :math:`F_Q`): :math:`Cu = v` and
    :math:`v^TC^{+}v = u^TCu = v^TF_Q^{+}v` — it saturates the bound of the function
    :math:`\theta = v^T\phi` at :math:`\phi` (for one parameter, the QFI: Braunstein and
    Caves), for pure and mixed states.  A joint measurement of all sensors, optimal at
    :math:`\phi` itself; dense (:math:`D\times D`): meant for spaces up to a few thousand.

    Parameters
    ----------
    network : Network
    state : Qobj
        Ket or density matrix on the network (before the encoding).
    phi : sequence of float
        The working point.
    direction : sequence of float, optional
        u, one entry per parameter (required with more than one parameter).

    Examples
    --------
    >>> import numpy as np
    >>> from qsn_qutip import Network, QubitEnsemble, qfim, states
    >>> from qsn_qutip.measurement import cfim
    >>> net = Network([QubitEnsemble(2), QubitEnsemble(1)])
    >>> psi = states.product(net)
    >>> povm = joint_sld_readout(net, psi, [0.1, 0.2], direction=[1.0, 1.0])
    >>> C = cfim(psi, net.generators, povm, [0.1, 0.2])
    >>> v = qfim(psi, net.generators) @ [1.0, 1.0]           # C u = v = F u
    >>> bool(np.allclose(C @ [1.0, 1.0], v))
    True
    """
    network = check_network(network)
    state = network.check(state)
    d = network.n_params
    if direction is None:
        if d != 1:
            raise QSNError(f"direction must be given (one entry per parameter, {d}) for a "
                           f"network of several parameters")
        direction = [1.0]
    u = as_real_vector(direction, "direction", length=d)
    if not np.any(u):
        raise QSNError("direction must have a non-zero entry")
    phi = as_real_vector(phi, "phi", length=d)
    unitary = network.unitary(phi).full()
    encoded = network.encode(state, phi).full()
    rho = np.outer(encoded[:, 0], encoded[:, 0].conj()) if encoded.shape[1] == 1 else encoded
    gens = effective_generators(dense_generators(network.generators, network.ket_dims), phi)
    h = sum(x * (unitary @ g.full() @ unitary.conj().T) for x, g in zip(u, gens) if x)
    vectors = sld_eigenbasis(rho, h)
    return POVM.from_storage(network.ket_dims, BasisVectors(vectors), None, "SLD readout")
