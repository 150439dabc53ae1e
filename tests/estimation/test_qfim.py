"""QFIM: closed forms, agreement between its code paths, and independent computations.

Ket versus density matrix, full-space ``Qobj`` generators versus ``LocalOperator`` (the fast
path), :func:`qfim` versus :func:`qfim_from_derivatives` on finite differences of the encoded
state, non-commuting generators at a given phi versus finite differences of the encoded ket,
dense reference formulas (covariance, all-pairs SLD sum, Lyapunov SLD), and input errors.
"""

from __future__ import annotations

import numpy as np
import pytest
import qutip

from qsn_qutip import (LocalOperator, MultiLevelAtom, Network, OpticalMode, QSNError,
                       QubitEnsemble, qfim, qfim_from_derivatives, states)
from qsn_qutip.estimation.mixed import checked_density_matrix, low_rank_support
from qsn_qutip.fisher import effective_generators
from qsn_qutip.options import tolerances
from qsn_qutip.sensors import Ancilla

NETWORKS = {
    "dicke+dicke": lambda: Network([QubitEnsemble(3), QubitEnsemble(2)]),
    "full+mode": lambda: Network([QubitEnsemble(2, basis="full"), OpticalMode(2)]),
    "kerr+atoms": lambda: Network([OpticalMode(2, generator="kerr"),
                                   MultiLevelAtom(levels=[-1, 0, 2], atoms=2)]),
    "three-sensors+reference": lambda: Network([OpticalMode(1, generator=None),
                                                QubitEnsemble(1), OpticalMode(2),
                                                MultiLevelAtom(spin=1)]),
    "spin-xyz+qubit": lambda: Network([MultiLevelAtom(spin=1, axes="xyz"), QubitEnsemble(2)]),
    "spin-xyz+ancilla": lambda: Network([MultiLevelAtom(spin=0.5, axes="xyz"),
                                         Ancilla(MultiLevelAtom(spin=0.5))]),
}
networks = pytest.mark.parametrize("make", list(NETWORKS.values()), ids=list(NETWORKS))
COMMUTING = {k: v for k, v in NETWORKS.items() if "xyz" not in k}
commuting_networks = pytest.mark.parametrize("make", list(COMMUTING.values()),
                                             ids=list(COMMUTING))
seeds = pytest.mark.parametrize("seed", [1, 2], ids=["seed1", "seed2"])


# ----------------------------------------------------------------------------------------
# the code paths agree with each other and with dense reference formulas
# ----------------------------------------------------------------------------------------
@networks
@seeds
def test_pure_state_paths_agree(make, seed, reference):
    net = make()
    psi = states.random_pure(net, seed=seed)
    expected = reference.covariance_qfim(psi, net.generators)
    at = np.zeros(net.n_params)                 # phi = 0 (required when they do not commute)
    for F in (qfim(psi, net.generators, at), qfim(psi, net.local_generators, at),
              qfim(qutip.ket2dm(psi), net.generators, at),
              qfim(qutip.ket2dm(psi), net.local_generators, at)):
        assert F.shape == (net.n_params, net.n_params)
        np.testing.assert_allclose(F, expected, rtol=1e-10, atol=1e-10)


@networks
@seeds
@pytest.mark.parametrize("rank", [1, 2, None], ids=["rank1", "rank2", "full-rank"])
def test_mixed_state_paths_agree(make, seed, rank, reference):
    net = make()
    rho = states.random_mixed(net, rank=rank, seed=seed)
    expected = reference.sld_qfim_all_pairs(rho, net.generators)
    at = np.zeros(net.n_params)                 # phi = 0 (required when they do not commute)
    np.testing.assert_allclose(qfim(rho, net.generators, at), expected, rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(qfim(rho, net.local_generators, at), expected, rtol=1e-9,
                               atol=1e-10)
    if rank is None:          # full rank: the SLDs solve a Lyapunov equation
        np.testing.assert_allclose(expected, reference.sld_qfim_lyapunov(rho, net.generators),
                                   rtol=1e-8, atol=1e-9)


def test_diagonal_fast_path_with_several_generators_per_site(reference):
    # the marginal-based pass for diagonal LocalOperators, with 1 to 6 generators spread over
    # four factors (several on one factor), against the dense covariance formula
    rng = np.random.default_rng(2)
    factors = ((2,), (3,), (2, 2), (2,))
    for trial in range(40):
        psi = qutip.rand_ket([2, 3, 2, 2, 2], seed=trial)
        gens = []
        for _ in range(int(rng.integers(1, 7))):
            site = int(rng.integers(0, 4))
            dims = list(factors[site])
            op = qutip.Qobj(np.diag(rng.normal(size=int(np.prod(dims)))), dims=[dims, dims])
            gens.append(LocalOperator(op, site, factors))
        expected = reference.covariance_qfim(psi, [g.to_qobj() for g in gens])
        np.testing.assert_allclose(qfim(psi, gens), expected, rtol=1e-10, atol=1e-12)


# ----------------------------------------------------------------------------------------
# finite differences of the encoding
# ----------------------------------------------------------------------------------------
@networks
@pytest.mark.parametrize("rank", [2, None], ids=["rank2", "full-rank"])
def test_qfim_matches_derivatives_of_the_encoded_state(make, rank, reference):
    net = make()
    rho = states.random_mixed(net, rank=rank, seed=3)
    phi = np.random.default_rng(4).uniform(-1, 1, net.n_params)
    drhos = [qutip.Qobj((d + d.dag()).full() / 2, dims=net.dims) for d in
             reference.central_differences(lambda p: net.encode(rho, p), phi, 1e-4)]
    F_fd = qfim_from_derivatives(net.encode(rho, phi), drhos)
    F = qfim(rho, net.local_generators, phi)
    np.testing.assert_allclose(F, F_fd, rtol=1e-6, atol=1e-6 * np.abs(F).max())


@pytest.mark.parametrize("sites", [1, 2], ids=["one-site", "two-sites"])
@pytest.mark.parametrize("seed", [5, 6, 7], ids=["seed5", "seed6", "seed7"])
def test_noncommuting_generators_against_the_encoded_ket(sites, seed, reference):
    net = Network([MultiLevelAtom(spin=1, axes="xyz")] * sites)
    psi = states.random_pure(net, seed=seed)
    phi = np.random.default_rng(seed).uniform(-1.5, 1.5, net.n_params)
    encoded = net.encode(psi, phi).full().ravel()
    dpsis = [d.full().ravel() for d in
             reference.central_differences(lambda p: net.encode(psi, p), phi, 1e-4)]
    expected = reference.pure_qfim_from_kets(encoded, dpsis)
    for gens in (net.local_generators, net.generators):
        F = qfim(psi, gens, phi)
        np.testing.assert_allclose(F, expected, rtol=1e-6, atol=1e-6 * np.abs(F).max())
    # the generators act at phi: at phi = 0 the answer is a different matrix
    assert np.abs(qfim(psi, net.local_generators, np.zeros(net.n_params)) - expected).max() > 1e-2


def test_noncommuting_mixed_state_against_derivatives(reference):
    net = Network([MultiLevelAtom(spin=0.5, axes="xyz"), MultiLevelAtom(spin=1, axes="zx")])
    rho = states.random_mixed(net, rank=3, seed=8)
    phi = np.array([0.4, -1.1, 0.9, 0.7, -0.3])
    drhos = reference.central_differences(lambda p: net.encode(rho, p), phi, 1e-4)
    drhos = [qutip.Qobj((d + d.dag()).full() / 2, dims=net.dims) for d in drhos]
    F_fd = qfim_from_derivatives(net.encode(rho, phi), drhos)
    F = qfim(rho, net.local_generators, phi)
    np.testing.assert_allclose(F, F_fd, rtol=1e-6, atol=1e-6 * np.abs(F).max())


@commuting_networks
@pytest.mark.parametrize("kind", ["pure", "mixed"])
def test_commuting_generators_give_a_phi_independent_qfim(make, kind):
    net = make()
    state = (states.random_pure(net, seed=9) if kind == "pure"
             else states.random_mixed(net, rank=3, seed=9))
    F0 = qfim(state, net.local_generators)
    for phi in (np.full(net.n_params, 0.7), np.linspace(-2, 3, net.n_params)):
        np.testing.assert_allclose(qfim(state, net.local_generators, phi), F0, rtol=1e-12,
                                   atol=1e-12)
        np.testing.assert_allclose(qfim(state, net.generators, phi), F0, rtol=1e-10,
                                   atol=1e-10)


def test_effective_generators():
    sx, sy, sz = (qutip.jmat(0.5, a) for a in "xyz")
    eff = effective_generators([sx, sz], [0.0, 0.0])          # phi = 0: the generators
    assert (eff[0] - sx).norm() < 1e-14 and (eff[1] - sz).norm() < 1e-14
    # one generator alone: U = exp(-i a sz) gives exactly sz at any a
    assert (effective_generators([sz], [1.3])[0] - sz).norm() < 1e-14
    # U = exp(-i(a sx + b sz)) at b = 0: i U^dag dU/db = int_0^1 e^{i t a sx} sz e^{-i t a sx} dt
    # = sin(a)/a sz + (1 - cos a)/a sy for spin 1/2
    a = 0.8
    eff = effective_generators([sx, sz], [a, 0.0])
    expected = np.sin(a) / a * sz + (1 - np.cos(a)) / a * sy
    assert (eff[1] - expected).norm() < 1e-12
    assert (eff[0] - sx).norm() < 1e-12


# ----------------------------------------------------------------------------------------
# closed forms
# ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("n", [1, 2, 3, 4, 5], ids=[f"N{n}" for n in range(1, 6)])
def test_ghz_qfi_is_n_squared(n):
    full = QubitEnsemble(n, basis="full")
    ghz = qutip.ghz_state(n)
    assert qfim(ghz, full.generators)[0, 0] == pytest.approx(n ** 2, rel=1e-12)
    dicke = QubitEnsemble(n)
    ghz_dicke = (qutip.basis(n + 1, 0) + qutip.basis(n + 1, n)).unit()
    assert qfim(ghz_dicke, dicke.generators)[0, 0] == pytest.approx(n ** 2, rel=1e-12)
    assert qfim(qutip.ket2dm(ghz), full.generators)[0, 0] == pytest.approx(n ** 2, rel=1e-12)


@pytest.mark.parametrize("r", [0.0, 0.3, 0.9, 1.0], ids=["r0", "r0.3", "r0.9", "r1"])
@pytest.mark.parametrize("angle", [0.0, 1.1], ids=["x", "xy"])
def test_dephased_qubit_qfi_is_r_squared(r, angle):
    bloch = r * (np.cos(angle) * qutip.sigmax() + np.sin(angle) * qutip.sigmay())
    rho = (qutip.qeye(2) + bloch) / 2
    assert qfim(rho, [qutip.sigmaz() / 2])[0, 0] == pytest.approx(r ** 2, rel=1e-12, abs=1e-15)


def _ghz_pair(n):
    up, down = qutip.basis([2] * n, [0] * n), qutip.basis([2] * n, [1] * n)
    return (up + down).unit(), (up - down).unit()


@pytest.mark.parametrize("p", [0.0, 0.25, 0.5, 0.9, 1.0], ids=["p0", "p.25", "p.5", "p.9", "p1"])
@pytest.mark.parametrize("n", [2, 3], ids=["N2", "N3"])
def test_mixture_of_ghz_plus_and_minus(p, n):
    plus, minus = _ghz_pair(n)
    rho = p * plus.proj() + (1 - p) * minus.proj()          # rank 2 in 2^n dimensions
    F = qfim(rho, QubitEnsemble(n, basis="full").generators)
    assert F[0, 0] == pytest.approx((2 * p - 1) ** 2 * n ** 2, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("p", [0.1, 0.5, 0.99], ids=["p.1", "p.5", "p.99"])
@pytest.mark.parametrize("basis", ["dicke", "full"])
def test_ghz_with_white_noise(p, basis):
    n = 3
    sensor = QubitEnsemble(n, basis=basis)
    ghz = sensor.local_ghz()
    D = sensor.size
    rho = p * ghz.proj() + (1 - p) * qutip.qeye(sensor.dims) / D
    expected = p ** 2 * n ** 2 / (p + 2 * (1 - p) / D)
    assert qfim(rho, sensor.generators)[0, 0] == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("p", [0.2, 0.7], ids=["p.2", "p.7"])
def test_rank_deficient_state_whose_generator_leaves_the_support(p):
    # rho = p |GHZ><GHZ| + (1 - p)|m=0><m=0|: J_z maps |GHZ> onto the kernel, |m=0> is an
    # eigenvector, so F = 2 * 2 * p * (n/2)^2 = p n^2
    n = 4
    sensor = QubitEnsemble(n)
    ghz = sensor.local_ghz()
    rho = p * ghz.proj() + (1 - p) * qutip.basis(n + 1, n // 2).proj()
    assert qfim(rho, sensor.generators)[0, 0] == pytest.approx(p * n ** 2, rel=1e-12)


def test_two_sensor_mixed_closed_form():
    # p GHZ-like (F = 4 [[1,-1],[-1,1]]) + (1-p) local GHZ (F = diag(4, 4)) for one qubit
    # pair: orthogonal supports connected by the generators only within each part
    net = Network([QubitEnsemble(1), QubitEnsemble(1)])
    v = [-1.0, 1.0]
    glob = states.ghz_like(net, v)             # (|du> + |ud>)/sqrt2
    F_glob = qfim(glob, net.generators)
    np.testing.assert_allclose(F_glob, [[1, -1], [-1, 1]], atol=1e-14)
    for p in (0.3, 0.8):
        other = (qutip.basis([2, 2], [0, 0]) + qutip.basis([2, 2], [1, 1])).unit()
        rho = p * glob.proj() + (1 - p) * other.proj()
        # J_z1 - J_z2 and J_z1 + J_z2 act inside span{|du>,|ud>} and span{|uu>,|dd>}:
        # F = p F_glob + (1 - p) F_other, with F_other = [[1, 1], [1, 1]]
        expected = p * np.array([[1, -1], [-1, 1]]) + (1 - p) * np.array([[1, 1], [1, 1]])
        np.testing.assert_allclose(qfim(rho, net.generators), expected, atol=1e-12)


def test_diagonal_block_is_not_the_qfim_of_the_reduced_state():
    # Bell state, phi_1 on qubit 1: the encoded pure state moves (F_11 = 4 Var(sz/2) = 1) but
    # the reduced state of qubit 1 is I/2 for every phi_1 (QFI 0).  A diagonal block is
    # bounded below by the QFIM of the reduced state, and equals 4 Cov in the reduced state
    # only for pure global states (both are checked on random states in test_properties).
    net = Network([QubitEnsemble(1), QubitEnsemble(1)])
    bell = (qutip.basis([2, 2], [0, 0]) + qutip.basis([2, 2], [1, 1])).unit()
    F = qfim(bell, net.local_generators)
    np.testing.assert_allclose(F, [[1.0, 1.0], [1.0, 1.0]], atol=1e-14)
    reduced = bell.ptrace([0])
    np.testing.assert_allclose(reduced.full(), np.eye(2) / 2, atol=1e-15)
    assert qfim(reduced, net.sensors[0].generators)[0, 0] == pytest.approx(0.0, abs=1e-14)
    # a mixed state with the same reduced states and no information at all
    assert qfim(qutip.qeye([2, 2]) / 4, net.local_generators) == pytest.approx(np.zeros((2, 2)))


def test_qfim_docstring_example_three_qubit_ghz():
    jz = sum(qutip.tensor([qutip.sigmaz() / 2 if j == k else qutip.qeye(2) for j in range(3)])
             for k in range(3))
    np.testing.assert_array_equal(qfim(qutip.ghz_state(3), [jz]).round(12), [[9.0]])


def test_cutoff_drops_tiny_eigenvalues():
    # a 1e-14 admixture is below eig_cutoff * max: treated as exactly zero
    plus = (qutip.basis(2, 0) + qutip.basis(2, 1)).unit()
    minus = (qutip.basis(2, 0) - qutip.basis(2, 1)).unit()
    rho = (1 - 1e-14) * plus.proj() + 1e-14 * minus.proj()
    assert qfim(rho, [qutip.sigmaz() / 2])[0, 0] == pytest.approx(1.0, rel=1e-12)


def test_qfim_from_derivatives_docstring_example():
    rho = qutip.ket2dm((qutip.basis(2, 0) + qutip.basis(2, 1)).unit())
    drho = -1j * (qutip.sigmaz() / 2 * rho - rho * qutip.sigmaz() / 2)
    np.testing.assert_allclose(qfim_from_derivatives(rho, [drho]), [[1.0]], atol=1e-12)
    # a ket is accepted and turned into its density matrix
    ket = (qutip.basis(2, 0) + qutip.basis(2, 1)).unit()
    np.testing.assert_allclose(qfim_from_derivatives(ket, [drho]), [[1.0]], atol=1e-12)


# ----------------------------------------------------------------------------------------
# errors
# ----------------------------------------------------------------------------------------
NET = Network([QubitEnsemble(2), QubitEnsemble(2, basis="full")])
PSI = states.random_pure(NET, seed=1)
RHO = qutip.ket2dm(PSI)
GENS = NET.generators


def _replace(qobj, index, value):
    arr = qobj.full()
    arr[index] = value
    return qutip.Qobj(arr, dims=qobj.dims)


NOT_POSITIVE = qutip.Qobj(np.diag([1.5, -0.5] + [0.0] * 10), dims=NET.dims)
NOT_HERMITIAN = RHO + 1e-3 * qutip.Qobj(np.triu(np.ones((12, 12)), 1), dims=NET.dims)
ERRORS = {
    "non-hermitian-generator": (PSI, [GENS[0] + 1j * GENS[1]], None, "must be Hermitian"),
    "non-hermitian-local": (PSI, [LocalOperator(qutip.create(3), 0, NET.factor_dims)], None,
                            "must be Hermitian"),
    "generator-dims": (PSI, [qutip.qeye([2, 2, 3])], None, r"acts on dims \[2, 2, 3\]"),
    "generator-flat-dims": (PSI, [qutip.qeye(12)], None, "expected \\[3, 2, 2\\]"),
    "local-dims": (PSI, [LocalOperator(qutip.num(3), 0, ((3,), (2,)))], None,
                   "acts on a space with dims"),
    "generator-ket": (PSI, [PSI], None, "must be an operator Qobj"),
    "generator-nan": (PSI, [_replace(GENS[0], (0, 0), np.nan)], None, "NaN or inf"),
    "generator-inf": (PSI, [_replace(GENS[1], (1, 1), np.inf)], None, "NaN or inf"),
    "unnormalised-ket": (2 * PSI, GENS, None, "must be normalised"),
    "unnormalised-ket-local": (2 * PSI, NET.local_generators, None, "must be normalised"),
    "unnormalised-ket-phi": (2 * PSI, GENS, [0.1, 0.2], "must be normalised"),
    "unnormalised-dm": (2 * RHO, GENS, None, "trace of rho is 2"),
    "non-positive-dm": (NOT_POSITIVE, GENS, None, "positive semidefinite"),
    "non-hermitian-dm": (NOT_HERMITIAN, GENS, None, "must be Hermitian"),
    "nan-ket": (_replace(PSI, (0, 0), np.nan), GENS, None, "NaN or inf"),
    "inf-ket-local": (_replace(PSI, (3, 0), np.inf), NET.local_generators, None, "NaN or inf"),
    "nan-dm": (_replace(RHO, (1, 2), np.nan), GENS, None, "NaN or inf"),
    "phi-length": (PSI, GENS, [0.1], "must have length 2"),
    "phi-nan": (PSI, GENS, [0.1, np.nan], "NaN or inf"),
    "no-generators": (PSI, [], None, "non-empty list"),
    "bare-generator": (PSI, GENS[0], None, "non-empty list"),
    "ndarray-state": (PSI.full(), GENS, None, "ket or density-matrix Qobj"),
    "bra-state": (PSI.dag(), GENS, None, "ket or a density matrix"),
}


@pytest.mark.filterwarnings("ignore::RuntimeWarning")     # NaN/inf pass through numpy first
@pytest.mark.parametrize("state,gens,phi,match", list(ERRORS.values()), ids=list(ERRORS))
def test_qfim_errors(state, gens, phi, match):
    with pytest.raises(QSNError, match=match):
        qfim(state, gens, phi)


@pytest.mark.parametrize("rho,drhos,match", [
    (RHO, [], "non-empty list"),
    (RHO, RHO, "non-empty list"),
    (RHO, [1j * RHO], "must be Hermitian"),
    (RHO, [qutip.qeye(4)], "acts on dims"),
    (2 * RHO, [RHO], "trace of rho"),
    (NOT_POSITIVE, [RHO], "positive semidefinite"),
    (np.eye(12), [RHO], "ket or density-matrix Qobj"),
], ids=["empty", "bare", "non-hermitian", "dims", "unnormalised", "non-positive", "ndarray"])
def test_qfim_from_derivatives_errors(rho, drhos, match):
    with pytest.raises(QSNError, match=match):
        qfim_from_derivatives(rho, drhos)


@pytest.mark.parametrize("order", ["split-first", "merged-first"])
def test_local_operators_from_different_factorisations_are_refused(order):
    psi = qutip.rand_ket([2, 2, 2], seed=1)
    # sigma_z on qubit 1 and on qubit 0, from two factorisations of the same space
    split = LocalOperator(qutip.sigmaz(), 1, ((2,), (2,), (2,)))
    merged = LocalOperator(qutip.tensor(qutip.sigmaz(), qutip.qeye(2)), 0, ((2, 2), (2,)))
    gens = [split, merged] if order == "split-first" else [merged, split]
    with pytest.raises(QSNError, match="same factors"):
        qfim(psi, gens)
    # the same generators as Qobj on the full space are fine
    F = qfim(psi, [g.to_qobj() for g in gens])
    assert F.shape == (2, 2) and np.all(np.isfinite(F))


# ----------------------------------------------------------------------------------------
# the low-rank path: support from a certified randomized sketch, no full eigendecomposition
# ----------------------------------------------------------------------------------------
def _low_rank(dims, rank, seed, tail=0.0):
    rng = np.random.default_rng(seed)
    size = int(np.prod(dims))
    w = rng.standard_normal((size, rank)) + 1j * rng.standard_normal((size, rank))
    rho = w @ w.conj().T
    rho = rho / np.trace(rho).real
    rho = (1 - tail) * rho + tail * np.eye(size) / size
    return qutip.Qobj(rho, dims=[list(dims), list(dims)])


def _full_eigendecomposition_qfim(state, gens, monkeypatch, phi=None):
    with tolerances(sketch_min_size=10 ** 9):      # the low-rank search switched off
        return qfim(state, gens, phi=phi)


@pytest.mark.parametrize("rank", [1, 3, 15, 31, 40], ids=lambda r: f"rank{r}")
def test_low_rank_path_equals_the_full_eigendecomposition(rank, monkeypatch):
    net = Network([QubitEnsemble(5, basis="full"), QubitEnsemble(5, basis="full")])
    state = _low_rank(net.ket_dims, rank, seed=rank)
    rho = checked_density_matrix(state.full())
    sketched = low_rank_support(rho)
    # at D = 1024 the only sketch size is 16 (sizes 16, 64, ... up to D/32): rank >= 16 falls back
    assert (sketched is not None) == (rank < 16)
    F = qfim(state, net.local_generators)
    reference = _full_eigendecomposition_qfim(state, net.local_generators, monkeypatch)
    np.testing.assert_allclose(F, reference, rtol=0, atol=1e-12 * np.abs(reference).max())


def test_low_rank_path_with_noncommuting_generators_and_qobj_generators(monkeypatch):
    net = Network([MultiLevelAtom(spin=1, axes="xyz", atoms=4),
                   MultiLevelAtom(spin=1, axes="z", atoms=2)])          # D = 729
    state = _low_rank(net.ket_dims, 4, seed=9)
    assert low_rank_support(checked_density_matrix(state.full())) is not None
    for gens in (net.local_generators, net.generators):
        phi = [0.1, 0.2, 0.3, 0.4]
        F = qfim(state, gens, phi=phi)
        reference = _full_eigendecomposition_qfim(state, gens, monkeypatch, phi)
        np.testing.assert_allclose(F, reference, rtol=0, atol=1e-11 * np.abs(reference).max())


def test_low_rank_path_refuses_a_tail_above_the_cutoff(monkeypatch):
    net = Network([QubitEnsemble(5, basis="full"), QubitEnsemble(4, basis="full")])
    state = _low_rank(net.ket_dims, 2, seed=4, tail=1e-6)       # full rank, tiny tail
    assert low_rank_support(checked_density_matrix(state.full())) is None
    np.testing.assert_allclose(qfim(state, net.local_generators),
                               _full_eigendecomposition_qfim(state, net.local_generators,
                                                             monkeypatch), rtol=1e-12)


def test_low_rank_path_still_refuses_a_state_that_is_not_positive():
    net = Network([QubitEnsemble(5, basis="full"), QubitEnsemble(4, basis="full")])
    rho = _low_rank(net.ket_dims, 2, seed=5).full()
    vec = np.zeros(net.size)
    vec[7] = 1.0
    bad = rho + 0.3 * np.outer(vec, vec) - 0.3 * np.outer(np.roll(vec, 1), np.roll(vec, 1))
    with pytest.raises(QSNError, match="positive semidefinite"):
        qfim(qutip.Qobj(bad, dims=net.dims), net.local_generators)


# ----------------------------------------------------------------------------------------
# qfim_from_derivatives cuts terms, not eigenvalues
# ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("p", [0.3, 1e-6, 1e-13], ids=["p0.3", "p1e-6", "p1e-13"])
def test_a_tiny_eigenvalue_that_carries_information_is_kept(p):
    """rho = diag(1 - p, p), d rho / dp = diag(-1, 1): the classical Fisher information of a
    coin, 1/(p(1 - p)) -- 1e13 at p = 1e-13, where cutting eigenvalues below 1e-12 gave 1."""
    rho = qutip.Qobj(np.diag([1 - p, p]))
    drho = qutip.Qobj(np.diag([-1.0, 1.0]))
    F = qfim_from_derivatives(rho, [drho])
    assert F[0, 0] == pytest.approx(1 / (p * (1 - p)), rel=1e-9)


def test_round_off_outside_the_support_of_a_pure_state_adds_nothing(reference):
    """A unitarily encoded pure GHZ state: the derivative has only round-off where rho is
    zero, and the QFIM is the covariance formula's (4 Var J_z = N^2)."""
    net = Network([QubitEnsemble(5)])
    psi = states.ghz_like(net, [1.0])
    rho = psi.proj()
    jz = net.generators[0]
    drho = -1j * (jz * rho - rho * jz)
    F = qfim_from_derivatives(rho, [drho])
    assert F[0, 0] == pytest.approx(25.0, rel=1e-12)
    np.testing.assert_allclose(F, reference.covariance_qfim(psi, [jz]), rtol=1e-12)


def test_a_derivative_where_rho_is_exactly_zero_is_refused():
    rho = qutip.Qobj(np.diag([1.0, 0.0]))
    with pytest.raises(QSNError, match="rank"):
        qfim_from_derivatives(rho, [qutip.Qobj(np.diag([-1.0, 1.0]))])
