"""Measurements: POVM validation, the built-in readouts, classical Fisher information against
closed forms (J_x readout of one qubit, GHZ parity N^2, NOON counting after a 50:50 beam splitter
N^2, local readout on local GHZ and SLD readout on Theorem 1 probes reaching the QFIM), the
vectorised evaluation against one point at a time, and CFIM <= QFIM on random states and POVMs.
"""

from __future__ import annotations

import numpy as np
import pytest
import qutip
import scipy.linalg
from hypothesis import given, settings, strategies as st

from qsn_qutip import (MultiLevelAtom, Network, OpticalMode, QSNError, QubitEnsemble, qfim,
                       states)
from qsn_qutip import measurement as M
from qsn_qutip.measurement.cfim import SPECTRUM_POINTS, OutcomeModel
from qsn_qutip.measurement.povm import as_povm
from qsn_qutip.theorems import separable_counterpart

def random_povm(dims, outcomes: int, seed: int) -> list[qutip.Qobj]:
    r"""A random POVM: :math:`E_x = S^{-1/2}A_x^\dagger A_xS^{-1/2}`, :math:`S = \sum A_x^\dagger A_x`."""
    rng = np.random.default_rng(seed)
    size = int(np.prod(dims))
    mats = [rng.normal(size=(size, size)) + 1j * rng.normal(size=(size, size))
            for _ in range(outcomes)]
    total = sum(a.conj().T @ a for a in mats)
    lam, vecs = np.linalg.eigh(total)
    root = vecs @ np.diag(lam ** -0.5) @ vecs.conj().T
    return [qutip.Qobj(root @ a.conj().T @ a @ root, dims=[list(dims), list(dims)])
            for a in mats]


def reference_probabilities(state, generators, effects, phi) -> np.ndarray:
    """p_x(phi) with dense matrices and one scipy expm (independent of the module)."""
    unitary = scipy.linalg.expm(-1j * sum(p * g.full() for p, g in zip(phi, generators)))
    if state.isket:
        psi = unitary @ state.full().ravel()
        rho = np.outer(psi, psi.conj())
    else:
        rho = unitary @ state.full() @ unitary.conj().T
    return np.array([np.trace(e.full() @ rho).real for e in effects])


def reference_cfim(state, generators, effects, phi, step=1e-5) -> np.ndarray:
    """The CFIM from central differences of :func:`reference_probabilities`."""
    phi = np.asarray(phi, dtype=float)
    p = reference_probabilities(state, generators, effects, phi)
    dp = []
    for k in range(phi.size):
        e = np.zeros_like(phi)
        e[k] = step
        dp.append((reference_probabilities(state, generators, effects, phi + e)
                   - reference_probabilities(state, generators, effects, phi - e)) / (2 * step))
    dp = np.array(dp).T
    return (dp.T / p) @ dp


def single_qubit():
    net = Network([QubitEnsemble(1)])
    return net, states.product(net)


# -- POVM validation ----------------------------------------------------------------------------
UP, DOWN = qutip.basis(2, 0).proj(), qutip.basis(2, 1).proj()


@pytest.mark.parametrize("effects,match", [
    (UP, r"povm must be a non-empty list of positive operators \(Qobj\) summing to the "
         r"identity, got Qobj"),
    ([], "povm must be a non-empty list"),
    ([UP, np.eye(2)], r"povm\[1\] must be an operator Qobj, got ndarray"),
    ([UP, qutip.basis(2, 1)], r"povm\[1\] must be an operator Qobj, got Qobj of type 'ket'"),
    ([UP, DOWN + qutip.sigmay() * 0.5j], r"povm\[1\] must be Hermitian"),
    ([UP + qutip.sigmax(), DOWN - qutip.sigmax()],
     r"povm\[0\] must be positive semidefinite: smallest eigenvalue -0.618"),
    ([UP, 0.5 * DOWN], r"the effects of povm must sum to the identity: largest deviation 0.5"),
    ([UP, qutip.qeye(3)], r"povm\[1\] acts on dims \[3\], povm\[0\] on \[2\]"),
    ([UP, DOWN * np.nan], r"povm\[1\] contains NaN or inf entries"),
], ids=["qobj", "empty", "array", "ket", "non-hermitian", "negative", "not-complete",
        "dims", "nan"])
def test_invalid_povm_is_refused_by_name(effects, match):
    net, plus = single_qubit()
    with pytest.raises(QSNError, match=match):
        M.cfim(plus, net.generators, effects, [0.3])


def test_povm_dims_must_match_the_state_exactly():
    net = Network([QubitEnsemble(1, basis="full"), QubitEnsemble(1, basis="full")])
    flat = [qutip.Qobj(e.full()) for e in M.spin_readout(net, "z")]      # dims [[4], [4]]
    with pytest.raises(QSNError, match=r"povm acts on dims \[4\], the state has dims \[2, 2\]"):
        M.cfim(states.product(net), net.generators, flat, [0.1, 0.2])
    with pytest.raises(QSNError, match=r"labels must name each of the 2 outcomes, got 1"):
        M.POVM([UP, DOWN], ["up"])
    with pytest.raises(QSNError, match=r"effects\[1\] must be Hermitian"):
        M.POVM([UP, DOWN + 0.5j * qutip.sigmay()])


BUILT_IN = {
    "local-projective": lambda: M.local_projective(
        Network([QubitEnsemble(2), OpticalMode(2)]),
        [qutip.qft(3), None]),
    "spin-x-dicke": lambda: M.spin_readout(Network([QubitEnsemble(3), QubitEnsemble(2)]), "x"),
    "spin-y-full": lambda: M.spin_readout(Network([QubitEnsemble(2, basis="full")]), "y"),
    "spin-z-atoms": lambda: M.spin_readout(Network([MultiLevelAtom(spin=1, atoms=2)]), "z"),
    "parity": lambda: M.parity(Network([QubitEnsemble(2), OpticalMode(2),
                                        MultiLevelAtom(levels=[0, 1, 3])])),
    "local-readout": lambda: M.local_readout(Network([QubitEnsemble(2), OpticalMode(2),
                                                      OpticalMode(1, generator=None)])),
    "counting": lambda: M.photon_counting(Network([OpticalMode(2), OpticalMode(1)])),
    "counting-bs": lambda: M.photon_counting(
        Network([OpticalMode(2), OpticalMode(2)]),
        M.beam_splitter(Network([OpticalMode(2), OpticalMode(2)]), transmissivity=0.3,
                        phase=0.4)),
    "sld": lambda: M.sld_readout(Network([QubitEnsemble(2), OpticalMode(2)]),
                                 qutip.rand_ket([3, 3], seed=4), [0.2, 0.5]),
}


@pytest.mark.parametrize("name", list(BUILT_IN))
def test_builtin_povms_are_valid_and_match_their_dense_effects(name):
    povm = BUILT_IN[name]()
    effects = list(povm)
    assert len(effects) == len(povm.labels) == len(set(povm.labels))
    dims = [povm.dims, povm.dims]
    assert all(e.dims == dims for e in effects)
    total = sum(e.full() for e in effects)
    np.testing.assert_allclose(total, np.eye(povm.size), atol=1e-10)
    assert min(np.linalg.eigvalsh(e.full())[0] for e in effects) > -1e-10
    # the structured fast path and the plain list of its effects give the same CFIM
    gens = [qutip.Qobj(np.diag(np.arange(povm.size) % 3 - 1.0), dims=dims),
            qutip.Qobj(scipy.linalg.circulant(np.arange(povm.size) * 0.1 + 0.05),
                       dims=dims)]
    gens[1] = (gens[1] + gens[1].dag()) / 2
    for state in (qutip.rand_ket(povm.dims, seed=1), qutip.rand_dm(povm.dims, seed=2)):
        np.testing.assert_allclose(M.cfim(state, gens, povm, [0.3, -0.2]),
                                   M.cfim(state, gens, effects, [0.3, -0.2]), atol=1e-9)


# -- classical Fisher information: closed forms ----------------------------------------------------
@pytest.mark.parametrize("phi", [0.3, 1.0, np.pi / 2, 2.5])
def test_single_qubit_jx_readout_on_plus_gives_one(phi):
    net, plus = single_qubit()
    F = M.cfim(plus, net.generators, M.spin_readout(net, "x"), [phi])
    assert F[0, 0] == pytest.approx(1.0, abs=1e-12)


def test_special_points_carry_no_information():
    net, plus = single_qubit()
    assert M.cfim(plus, net.generators, M.spin_readout(net, "x"), [0.0])[0, 0] == pytest.approx(
        0.0, abs=1e-15)
    # J_z readout never sees the phase
    assert M.cfim(plus, net.generators, M.spin_readout(net, "z"), [0.4])[0, 0] == pytest.approx(
        0.0, abs=1e-15)
    ghz_net = Network([QubitEnsemble(4)])
    ghz = states.ghz_like(ghz_net, [1.0])
    assert M.cfim(ghz, ghz_net.generators, M.parity(ghz_net), [np.pi / 4])[0, 0] == \
        pytest.approx(0.0, abs=1e-15)


@pytest.mark.parametrize("N,basis", [(1, "dicke"), (2, "dicke"), (3, "dicke"), (6, "dicke"),
                                     (1, "full"), (2, "full"), (4, "full")])
def test_ghz_parity_gives_n_squared(N, basis):
    net = Network([QubitEnsemble(N, basis=basis)])
    ghz = states.ghz_like(net, [1.0])
    for phi in (0.1, 0.37, 1.1 / N):
        F = M.cfim(ghz, net.generators, M.parity(net), [phi])
        assert F[0, 0] == pytest.approx(N ** 2, rel=1e-10)


@pytest.mark.parametrize("numbers,v", [((3, 3), (-1, 1)), ((2, 4), (-1, 2)), ((2, 2), (1, 1))],
                         ids=["gradient", "uneven", "sum"])
def test_parity_on_gradient_ghz_reaches_the_qfim(numbers, v):
    net = Network([QubitEnsemble(n) for n in numbers])
    psi = states.ghz_like(net, v)
    F = M.cfim(psi, net.local_generators, M.parity(net), [0.11, 0.29])
    np.testing.assert_allclose(F, qfim(psi, net.local_generators), atol=1e-9)


@pytest.mark.parametrize("N", [1, 2, 3, 4])
def test_noon_counting_after_balanced_beam_splitter_gives_n_squared(N):
    net = Network([OpticalMode(N), OpticalMode(N, generator=None)])
    noon = states.noon(net, N)
    after = M.photon_counting(net, M.beam_splitter(net))
    for phi in (0.13, 0.61, 1.3):
        assert M.cfim(noon, net.generators, after, [phi])[0, 0] == pytest.approx(N ** 2,
                                                                                 rel=1e-10)
    assert M.cfim(noon, net.generators, M.photon_counting(net), [0.3])[0, 0] == \
        pytest.approx(0.0, abs=1e-15)
    two = Network([OpticalMode(N), OpticalMode(N)])
    F = M.cfim(states.noon(two, N), two.generators,
               M.photon_counting(two, M.beam_splitter(two)), [0.2, 0.5])
    np.testing.assert_allclose(F, N ** 2 * np.array([[1, -1], [-1, 1]]), atol=1e-9)


NETWORKS_LOCAL = {
    "qubits": lambda: Network([QubitEnsemble(2), QubitEnsemble(3), QubitEnsemble(1)]),
    "full-qubits": lambda: Network([QubitEnsemble(2, basis="full"), QubitEnsemble(1)]),
    "mixed-kinds": lambda: Network([QubitEnsemble(2), OpticalMode(3),
                                    MultiLevelAtom(levels=[-1, 0.5, 2])]),
    "with-reference": lambda: Network([OpticalMode(2), OpticalMode(2, generator=None)]),
}


@pytest.mark.parametrize("name", list(NETWORKS_LOCAL))
def test_local_readout_on_local_ghz_reaches_the_qfim(name):
    """Proposition 2 on the optimal separable probe: local measurements saturate the QCRB, here
    at every phi away from the special points (not only at one)."""
    net = NETWORKS_LOCAL[name]()
    psi = states.local_ghz(net)
    F_q = qfim(psi, net.local_generators)
    rng = np.random.default_rng(3)
    for _ in range(3):
        phi = rng.uniform(0.05, 0.3, net.n_params)
        np.testing.assert_allclose(M.cfim(psi, net.local_generators, M.local_readout(net), phi),
                                   F_q, atol=1e-9)


def test_jx_readout_saturates_the_product_state():
    net = Network([QubitEnsemble(4), QubitEnsemble(2, basis="full")])
    psi = states.product(net)
    F = M.cfim(psi, net.local_generators, M.spin_readout(net, "x"), [0.4, 1.2])
    np.testing.assert_allclose(F, np.diag([4.0, 2.0]), atol=1e-9)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sld_readout_on_theorem1_counterpart_reaches_its_qfim(seed):
    """Proposition 2: the Theorem 1 probe of any input has a local measurement saturating its
    (block-diagonal) QFIM; the local SLD eigenbases are one, optimal at the phi they are built
    for."""
    net = Network([QubitEnsemble(2), QubitEnsemble(3), OpticalMode(2)])
    counterpart = separable_counterpart(states.random_pure(net, seed=seed), net)
    F_q = qfim(counterpart, net.local_generators)
    assert np.count_nonzero(np.abs(F_q - np.diag(np.diag(F_q))) > 1e-9) == 0
    phi = np.random.default_rng(seed).uniform(-1, 1, net.n_params)
    povm = M.sld_readout(net, counterpart, phi)
    np.testing.assert_allclose(M.cfim(counterpart, net.local_generators, povm, phi), F_q,
                               atol=1e-8)


def test_cfim_matches_finite_differences_with_noncommuting_generators():
    net = Network([MultiLevelAtom(spin=1, axes="xyz")])
    phi = [0.3, -0.2, 0.5]
    for state in (qutip.rand_ket([3], seed=1), qutip.rand_dm([3], seed=2)):
        effects = random_povm([3], 4, seed=5)
        np.testing.assert_allclose(M.cfim(state, net.generators, effects, phi),
                                   reference_cfim(state, net.generators, effects, phi),
                                   rtol=0, atol=1e-7)
        np.testing.assert_allclose(M.outcome_probabilities(state, net.generators, effects, phi),
                                   reference_probabilities(state, net.generators, effects, phi),
                                   atol=1e-12)


@pytest.mark.parametrize("kind", ["rank-one", "dense", "list"])
@pytest.mark.parametrize("pure", [True, False], ids=["ket", "rho"])
@pytest.mark.parametrize("commuting", [True, False], ids=["commuting", "non-commuting"])
def test_vectorised_probabilities_match_one_point_at_a_time(kind, pure, commuting):
    """The simulation evaluates p and dp at many phi at once (in the generators' eigenbasis, or
    by the Daleckii-Krein formula for non-commuting ones); the one-point path (expm and the
    effective generators) agrees, and so do both paths for commuting generators."""
    net = Network([MultiLevelAtom(spin=1, axes="x" if commuting else "zx"), QubitEnsemble(2)])
    povm = {"rank-one": M.spin_readout(net, "z"), "dense": M.parity(Network([
                MultiLevelAtom(spin=1), QubitEnsemble(2)])),
            "list": random_povm(net.ket_dims, 3, seed=7)}[kind]
    state = qutip.rand_ket(net.ket_dims, seed=3) if pure else qutip.rand_dm(net.ket_dims, seed=4)
    model = OutcomeModel(state, net.generators, as_povm(povm, net.ket_dims))
    assert model.commuting == commuting
    points = np.random.default_rng(0).normal(size=(6, net.n_params))
    p, dp = model.batch(points)
    general_p, general_dp = model._batch_general(points, True)
    for x, p_x, dp_x, q_x, dq_x in zip(points, p, dp, general_p, general_dp):
        p_one, dp_one = model.point(x)
        p_ref, dp_ref = model._point_general(x)          # expm + effective generators
        for a, b in ((p_x, p_one), (dp_x, dp_one), (p_one, p_ref), (dp_one, dp_ref),
                     (q_x, p_ref), (dq_x, dp_ref)):
            np.testing.assert_allclose(a, b, atol=1e-12)


SPECTRUM_CASES = {
    "dicke local": lambda: (Network([QubitEnsemble(3), QubitEnsemble(4)]), M.local_readout),
    "full-basis local": lambda: (Network([QubitEnsemble(3, basis="full"), QubitEnsemble(2)]),
                                 M.local_readout),
    "parity": lambda: (Network([QubitEnsemble(3), QubitEnsemble(2)]), M.parity),
    "counting+BS": lambda: (Network([OpticalMode(3), OpticalMode(3)]),
                            lambda net: M.photon_counting(net, M.beam_splitter(net))),
}


@pytest.mark.parametrize("name", sorted(SPECTRUM_CASES))
def test_spectrum_of_frequencies_reproduces_the_direct_sums(name):
    """At many points a density matrix is evaluated through its spectrum of frequencies
    (C_{x omega}, equal lambda_a - lambda_b merged exactly): the same p and dp as one point at a
    time (the direct sum over the D^2 pairs) and as the reference expm, to rounding."""
    net, readout = SPECTRUM_CASES[name]()
    povm = readout(net)
    rho = qutip.rand_dm(net.ket_dims, seed=11)
    model = OutcomeModel(rho, net.generators, povm)
    points = np.random.default_rng(2).normal(size=(SPECTRUM_POINTS + 4, net.n_params))
    p, dp = model.batch(points)
    coefficients, omega = model.spectrum()
    assert len(omega) < net.size ** 2 / 4 and coefficients.shape == (len(povm), len(omega))
    for x, p_x, dp_x in zip(points, p, dp):
        p_one, dp_one = model.point(x)
        np.testing.assert_allclose(p_x, p_one, atol=1e-12)
        np.testing.assert_allclose(dp_x, dp_one, atol=1e-12)
    reference = reference_probabilities(rho, net.generators, list(povm), points[0])
    np.testing.assert_allclose(p[0], reference, atol=1e-12)


def test_spectrum_is_skipped_when_it_gains_nothing():
    """Kets, and states whose frequencies are nearly all distinct, keep the direct sums."""
    net = Network([MultiLevelAtom(levels=[0.0, 1.0, np.sqrt(2), np.pi])])
    model = OutcomeModel(qutip.rand_dm(net.ket_dims, seed=1), net.generators,
                         as_povm(random_povm(net.ket_dims, 3, seed=2), net.ket_dims))
    assert model.spectrum() is None
    pure = OutcomeModel(qutip.rand_ket(net.ket_dims, seed=1), net.generators,
                        as_povm(random_povm(net.ket_dims, 3, seed=2), net.ket_dims))
    assert pure.spectrum() is None


# -- CFIM <= QFIM ---------------------------------------------------------------------------------
SENSORS = [
    lambda: QubitEnsemble(2),
    lambda: QubitEnsemble(1, basis="full"),
    lambda: OpticalMode(2),
    lambda: MultiLevelAtom(levels=[-1.0, 0.5, 2.0]),
    lambda: MultiLevelAtom(spin=1, axes="x"),
    lambda: MultiLevelAtom(spin=0.5, axes="xyz"),      # non-commuting
    lambda: MultiLevelAtom(spin=1, axes="zx"),         # non-commuting
]
networks = st.lists(st.integers(0, len(SENSORS) - 1), min_size=1, max_size=2).map(
    lambda picks: Network([SENSORS[i]() for i in picks])).filter(lambda n: n.size <= 12)


@settings(max_examples=40, deadline=None)
@given(net=networks, seed=st.integers(0, 2 ** 32 - 1), rank=st.one_of(st.none(),
                                                                        st.integers(1, 3)),
       outcomes=st.integers(2, 6))
def test_cfim_never_exceeds_the_qfim(net, seed, rank, outcomes):
    state = (states.random_pure(net, seed=seed) if rank is None
             else states.random_mixed(net, rank=min(rank, net.size), seed=seed))
    phi = np.random.default_rng(seed).uniform(-np.pi, np.pi, net.n_params)
    effects = random_povm(net.ket_dims, outcomes, seed=seed + 1)
    F_c = M.cfim(state, net.local_generators, effects, phi)
    F_q = qfim(state, net.local_generators, phi)
    scale = max(1.0, np.abs(F_q).max())
    np.testing.assert_allclose(F_c, F_c.T, atol=1e-12 * scale)
    assert np.linalg.eigvalsh(F_c).min() >= -1e-9 * scale
    assert np.linalg.eigvalsh(F_q - F_c).min() >= -1e-8 * scale
