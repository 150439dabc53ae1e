"""Measurements: POVM validation, classical Fisher information against closed forms (J_x readout
of one qubit, GHZ parity N^2, NOON counting after a 50:50 beam splitter N^2, local readout on
local GHZ and SLD readout on Theorem 1 probes reaching the QFIM), CFIM <= QFIM on random states
and POVMs, seeded simulated experiments reaching the bound within their statistical error, the
Holevo bound against closed forms and QuanEstimation, the saturation figure and ``qsn simulate``.

Statistical tolerances come from the number of trials T alone: the sample variance of T normal
estimates has relative standard error sqrt(2/(T-1)), and the tests accept a 4-sigma band.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
import types

import numpy as np
import pytest
import qutip
import scipy.linalg
from hypothesis import given, settings, strategies as st

from qsn_qutip import (MultiLevelAtom, Network, OpticalMode, QSNError, QubitEnsemble, qfim,
                       states)
from qsn_qutip import measurement as M
from qsn_qutip.cli import main
from qsn_qutip.experiment import simulate_task
from qsn_qutip.figures import FIGURES, saturation
from qsn_qutip.fisher import effective_generators
from qsn_qutip.theorems import separable_counterpart

GRADIENT = np.array([-1.0, 1.0]) / np.sqrt(2)
#: acceptance band of a sample variance from T trials, in units of its standard error
SIGMAS = 4.0


def band(trials: int) -> float:
    """The accepted relative deviation of a sample variance of ``trials`` estimates."""
    return SIGMAS * np.sqrt(2.0 / (trials - 1))


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
    model = M._Model(state, net.generators, M._as_povm(povm, net.ket_dims))
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


# -- simulated experiments --------------------------------------------------------------------------
def test_ghz_parity_experiment_reaches_the_bound():
    net = Network([QubitEnsemble(3)])
    ghz = states.ghz_like(net, [1.0])
    trials, mu = 2000, 400
    truth = np.pi / 6                        # the middle of the monotone region (0, pi/3)
    res = M.simulate(ghz, net.generators, M.parity(net), [truth], repeats=mu, trials=trials,
                     seed=2024)
    assert res.estimates.shape == (trials, 1)
    np.testing.assert_allclose(res.crb, res.qcrb, rtol=1e-10)
    assert res.qcrb[0, 0] == pytest.approx(1 / (9 * mu), rel=1e-12)
    assert abs(res.covariance[0, 0] / res.crb[0, 0] - 1) <= band(trials)
    assert abs(res.mean[0] - truth) <= SIGMAS * np.sqrt(res.covariance[0, 0] / trials)
    assert res.at_edge == 0.0
    again = M.simulate(ghz, net.generators, M.parity(net), [truth], repeats=mu, trials=trials,
                       seed=2024)
    np.testing.assert_array_equal(again.estimates, res.estimates)


def test_mle_equals_the_closed_form_for_two_outcomes():
    """For parity p_+ = (1 + cos 3 phi)/2 the MLE in (0, pi/3) is arccos(2 k/mu - 1)/3."""
    net = Network([QubitEnsemble(3)])
    ghz = states.ghz_like(net, [1.0])
    res = M.simulate(ghz, net.generators, M.parity(net), [np.pi / 6], repeats=50, trials=300,
                     seed=5)
    p = M.outcome_probabilities(ghz, net.generators, M.parity(net), [np.pi / 6])
    counts = np.random.default_rng(5).multinomial(50, p / p.sum(), size=300)[:, 0]
    closed = np.arccos(np.clip(2 * counts / 50 - 1, -1, 1)) / 3
    np.testing.assert_allclose(res.estimates[:, 0], closed, atol=1e-8)


@pytest.mark.parametrize("estimator", ["mle", "bayes"])
def test_separable_gradient_experiment_reaches_the_bound(estimator):
    net = Network([QubitEnsemble(2), QubitEnsemble(2)])
    psi = states.local_ghz(net)
    trials, mu = 1500, 300
    truth = np.full(2, np.pi / 4)
    res = M.simulate(psi, net.local_generators, M.local_readout(net), truth, repeats=mu,
                     trials=trials, seed=7, estimator=estimator)
    variance = GRADIENT @ res.covariance @ GRADIENT
    bound = GRADIENT @ res.qcrb @ GRADIENT
    assert bound == pytest.approx(1 / (4 * mu), rel=1e-10)          # v^T F^-1 v / mu
    assert abs(variance / bound - 1) <= band(trials)
    for k in range(2):
        assert abs(res.covariance[k, k] / res.crb[k, k] - 1) <= band(trials)


def test_theta_alone_for_the_singular_ghz_qfim():
    net = Network([QubitEnsemble(2), QubitEnsemble(2)])
    ghz = states.ghz_like(net, GRADIENT)
    with pytest.raises(QSNError, match="the CFIM of parity at phi_true is singular"):
        M.simulate(ghz, net.local_generators, M.parity(net), [0.1, 0.3], repeats=10, trials=5)
    theta_generator = sum(v * g for v, g in zip(GRADIENT, net.generators))
    trials, mu = 1500, 300
    spread = 2 * np.abs(GRADIENT).sum()                  # n ||v||_1, n = 2
    res = M.simulate(ghz, [theta_generator], M.parity(net), [np.pi / (2 * spread)],
                     repeats=mu, trials=trials, seed=11)
    assert res.qcrb[0, 0] == pytest.approx(1 / (8 * mu), rel=1e-10)   # 1/(2 n^2 mu), n = 2
    assert abs(res.covariance[0, 0] / res.qcrb[0, 0] - 1) <= band(trials)


@pytest.mark.parametrize("estimator", ["mle", "bayes"])
def test_noncommuting_experiment_reaches_the_crb(estimator):
    """A qubit rotated about x and y, read out by the tetrahedral (SIC) POVM: the CFIM is
    invertible but below the QFIM (no measurement reaches the QCRB for both), and the
    estimates reach the CRB."""
    directions = [(0, 0, 1), (2 * np.sqrt(2) / 3, 0, -1 / 3),
                  (-np.sqrt(2) / 3, np.sqrt(2 / 3), -1 / 3),
                  (-np.sqrt(2) / 3, -np.sqrt(2 / 3), -1 / 3)]
    sic = [(qutip.qeye(2) + x * qutip.sigmax() + y * qutip.sigmay() + z * qutip.sigmaz()) / 4
           for x, y, z in directions]
    psi = (qutip.basis(2, 0) + 0.3 * qutip.basis(2, 1)).unit()
    gens = [qutip.sigmax() / 2, qutip.sigmay() / 2]
    trials = 600
    res = M.simulate(psi, gens, sic, [0.2, -0.1], repeats=500, trials=trials, seed=1,
                     bracket=0.3, estimator=estimator)
    assert np.linalg.eigvalsh(res.qfim - res.cfim).min() > 0.1
    for k in range(2):
        assert abs(res.covariance[k, k] / res.crb[k, k] - 1) <= band(trials)


@pytest.mark.parametrize("kwargs,match", [
    ({"estimator": "least-squares"}, "estimator must be 'mle' or 'bayes'"),
    ({"trials": 1}, "trials must be an integer >= 2, got 1"),
    ({"repeats": 0}, "repeats must be an integer >= 1, got 0"),
    ({"bracket": -0.1}, "bracket must be positive half-widths"),
])
def test_simulate_refuses_bad_options(kwargs, match):
    net, plus = single_qubit()
    options = {"repeats": 10, "trials": 10} | kwargs
    with pytest.raises(QSNError, match=match):
        M.simulate(plus, net.generators, M.spin_readout(net, "x"), [0.5], **options)


def test_simulate_task_picks_the_parametrisation_and_measurement():
    net = Network([QubitEnsemble(2), QubitEnsemble(2)])
    trials, mu = 1200, 200
    ghz = simulate_task(net, "ghz", v=GRADIENT, repeats=mu, trials=trials, seed=1)
    assert ghz.measurement == "parity"
    assert ghz.basis.shape == (2, 1)
    np.testing.assert_allclose(np.abs(ghz.basis[:, 0]), np.abs(GRADIENT), atol=1e-12)
    assert ghz.qcrb == pytest.approx(1 / (8 * mu), rel=1e-10)
    assert ghz.crb == pytest.approx(ghz.qcrb, rel=1e-10)
    assert abs(ghz.variance / ghz.qcrb - 1) <= band(trials)
    separable = simulate_task(net, "local-ghz", v=GRADIENT, repeats=mu, trials=trials, seed=2)
    assert separable.measurement == "local readout"
    np.testing.assert_array_equal(separable.basis, np.eye(2))
    assert separable.qcrb == pytest.approx(2 * ghz.qcrb, rel=1e-10)
    assert abs(separable.variance / separable.qcrb - 1) <= band(trials)
    weighted = simulate_task(net, "product", repeats=mu, trials=trials, seed=3)
    assert weighted.qcrb == pytest.approx(1 / mu, rel=1e-10)       # 2 x 1/(n mu), n = 2
    assert abs(weighted.variance / weighted.qcrb - 1) <= band(trials)
    document = json.loads(json.dumps(ghz.to_dict(), allow_nan=False))
    assert document["measurement"] == "parity" and document["trials"] == trials
    assert "QCRB" in str(ghz) and "ratio" in str(ghz)


@pytest.mark.parametrize("probe,kwargs,match", [
    ("time-shared", {"v": GRADIENT}, "time-shared is a reference strategy"),
    ("ghz", {}, "ghz: GHZ-like probes are built for a function theta = v . phi: give v"),
    ("ghz", {"v": GRADIENT, "weights": [1, 1]}, "give either v"),
    ("nope", {"v": GRADIENT}, "unknown probe state 'nope'"),
])
def test_simulate_task_refuses_what_it_cannot_simulate(probe, kwargs, match):
    net = Network([QubitEnsemble(2), QubitEnsemble(2)])
    with pytest.raises(QSNError, match=match):
        simulate_task(net, probe, repeats=10, trials=10, **kwargs)
    atoms = Network([MultiLevelAtom(spin=1, axes="xyz")])
    with pytest.raises(QSNError, match="no default measurement for a sensor with several"):
        M.default_measurement(atoms, "product")


# -- the Holevo bound ---------------------------------------------------------------------------------
def random_hermitian(dim: int, rng) -> qutip.Qobj:
    a = rng.normal(size=(dim, dim)) + 1j * rng.normal(size=(dim, dim))
    return qutip.Qobj((a + a.conj().T) / 2)


def qcrb_value(state, generators, w) -> float:
    return float(np.trace(np.diag(w) @ np.linalg.inv(qfim(state, generators))))


def d_invariant_closed_form(psi, generators, w) -> float:
    r""":math:`\mathrm{Tr}(WF^{-1}) + 2\sqrt{\det W}|\mathrm{Im\,Tr}\rho L_1L_2|/\det F`, pure states."""
    F = qfim(psi, generators)
    p = psi.full().ravel()
    h1, h2 = (g.full() for g in generators)
    imaginary = 4 * np.vdot(p, h1 @ h2 @ p).imag
    return (float(np.sum(np.asarray(w) * np.diag(np.linalg.inv(F))))
            + 2 * np.sqrt(np.prod(w)) * abs(imaginary) / np.linalg.det(F))


def test_holevo_equals_qcrb_under_weak_commutativity():
    """Tr(rho [L_k, L_l]) = 0: a pure state with commuting generators, a mixed product state
    with one (non-diagonal) generator per factor.  A mixed state with commuting generators
    need not qualify: there the Holevo bound is strictly above the QCRB."""
    pytest.importorskip("cvxpy")
    rng = np.random.default_rng(1)
    gens = [qutip.Qobj(np.diag([0.0, 1.0, 2.5])), qutip.Qobj(np.diag([1.0, -1.0, 0.5]))]
    w = rng.uniform(0.3, 2.0, 2)
    psi = qutip.rand_ket(3, seed=3)
    assert M.holevo_bound(psi, gens, w) == pytest.approx(qcrb_value(psi, gens, w), rel=1e-5)
    mixed = qutip.rand_dm(3, seed=4)
    assert M.holevo_bound(mixed, gens, w) > qcrb_value(mixed, gens, w) * (1 + 1e-3)
    product = qutip.tensor(qutip.rand_dm(2, seed=5), qutip.rand_dm(3, seed=6))
    local = [qutip.tensor(random_hermitian(2, rng), qutip.qeye(3)),
             qutip.tensor(qutip.qeye(2), qutip.Qobj(random_hermitian(3, rng).full()))]
    assert M.holevo_bound(product, local, w) == pytest.approx(qcrb_value(product, local, w),
                                                              rel=1e-5)
    one = [random_hermitian(3, rng)]
    rho = qutip.rand_dm(3, seed=5)
    assert M.holevo_bound(rho, one, repeats=10) == pytest.approx(
        1 / (10 * qfim(rho, one)[0, 0]), rel=1e-5)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_holevo_pure_qubit_matches_the_two_parameter_closed_form(seed):
    pytest.importorskip("cvxpy")
    rng = np.random.default_rng(seed)
    psi = qutip.rand_ket(2, seed=seed)
    gens = [random_hermitian(2, rng), random_hermitian(2, rng)]
    w = rng.uniform(0.2, 2.0, 2)
    assert M.holevo_bound(psi, gens, w) == pytest.approx(
        d_invariant_closed_form(psi, gens, w), rel=1e-5)


@pytest.mark.parametrize("j", [1, 1.5, 2])
def test_holevo_spin_coherent_state_closed_form(j):
    r"""Spin-coherent :math:`|j,j\rangle` with :math:`\hat J_x,\hat J_y` (a D-invariant model):
    F = 2j 1, :math:`C_H = (\sqrt{w_1}+\sqrt{w_2})^2/(2j)`, twice the QCRB for W = 1."""
    pytest.importorskip("cvxpy")
    psi = qutip.spin_coherent(j, 0.0, 0.0)
    gens = [qutip.jmat(j, "x"), qutip.jmat(j, "y")]
    w = np.array([0.5, 2.0])
    expected = np.sqrt(w).sum() ** 2 / (2 * j)
    assert d_invariant_closed_form(psi, gens, w) == pytest.approx(expected, rel=1e-12)
    assert M.holevo_bound(psi, gens, w) == pytest.approx(expected, rel=1e-5)
    assert M.holevo_bound(psi, gens) == pytest.approx(2 * qcrb_value(psi, gens, [1, 1]),
                                                      rel=1e-5)


def test_holevo_lies_between_the_qcrb_and_twice_it():
    """Generic qutrits: QCRB <= C_H <= 2 QCRB; for a pure non-D-invariant model the SLD-based
    value is attainable, so C_H lies at or below it (strictly here)."""
    pytest.importorskip("cvxpy")
    rng = np.random.default_rng(9)
    for seed in range(2):
        rho = qutip.rand_dm(3, seed=seed)
        gens = [random_hermitian(3, rng) for _ in range(3)]
        w = rng.uniform(0.3, 2.0, 3)
        bound, holevo = qcrb_value(rho, gens, w), M.holevo_bound(rho, gens, w)
        assert bound * (1 - 1e-6) <= holevo <= 2 * bound * (1 + 1e-6)
    psi = qutip.rand_ket(3, seed=30)
    gens = [random_hermitian(3, rng) for _ in range(2)]
    holevo = M.holevo_bound(psi, gens, [1.0, 1.0])
    assert qcrb_value(psi, gens, [1, 1]) < holevo < d_invariant_closed_form(psi, gens, [1, 1])


def test_holevo_options_and_errors(monkeypatch):
    pytest.importorskip("cvxpy")
    up = qutip.basis(2, 0)
    gens = [qutip.sigmax() / 2, qutip.sigmay() / 2]
    assert M.holevo_bound(up, gens, np.eye(2)) == pytest.approx(4.0, rel=1e-6)
    assert M.holevo_bound(up, gens, repeats=4) == pytest.approx(1.0, rel=1e-6)
    # away from phi = 0 the non-commuting generators act through their effective generators
    phi = [0.3, 0.2]
    effective = effective_generators(gens, phi)
    assert M.holevo_bound(up, gens, phi=phi) == pytest.approx(
        d_invariant_closed_form(up, effective, [1, 1]), rel=1e-5)
    assert M.holevo_bound(up, [gens[0], gens[0]]) == float("inf")       # not estimable
    with pytest.raises(QSNError, match="weights must be positive semidefinite"):
        M.holevo_bound(up, gens, [[1.0, 2.0], [2.0, 1.0]])
    monkeypatch.setitem(sys.modules, "cvxpy", None)
    with pytest.raises(QSNError, match=r"holevo_bound needs cvxpy, the optional extra 'sdp'"):
        M.holevo_bound(up, gens)


def _quanestimation_hcrb():
    """QuanEstimation's HCRB, imported with a stand-in ``juliacall`` (it loads Julia on import),
    or None when it is not installed."""
    class _Anything:
        def __getattr__(self, name):
            return self

        def __call__(self, *args, **kwargs):
            return self

        def __getitem__(self, key):
            return self

    stub = types.ModuleType("juliacall")
    stub.Main = stub.convert = stub.newmodule = _Anything()
    saved = sys.modules.get("juliacall")
    sys.modules["juliacall"] = stub
    try:
        from quanestimation import HCRB
    except Exception:
        return None
    finally:
        if saved is None:
            sys.modules.pop("juliacall", None)
        else:
            sys.modules["juliacall"] = saved
    return HCRB


@pytest.mark.parametrize("dim,params,pure", [(2, 2, False), (2, 3, False), (3, 2, False),
                                             (3, 3, False), (3, 2, True)])
def test_holevo_agrees_with_quanestimation(dim, params, pure):
    """Random qubit and qutrit models; the pure qutrit is one where the D-invariant closed form
    is not the minimum (the SDP and QuanEstimation agree below it)."""
    pytest.importorskip("cvxpy")
    hcrb = _quanestimation_hcrb()
    if hcrb is None:
        pytest.skip("quanestimation is not importable")
    rng = np.random.default_rng(10 * dim + params)
    seed = 10 * dim + params
    rho = qutip.ket2dm(qutip.rand_ket(dim, seed=seed)) if pure else qutip.rand_dm(dim, seed=seed)
    gens = [random_hermitian(dim, rng) for _ in range(params)]
    w = rng.uniform(0.3, 2.0, params)
    r = rho.full()
    drho = [-1j * (g.full() @ r - r @ g.full()) for g in gens]
    with contextlib.redirect_stdout(io.StringIO()):
        theirs = hcrb(r, drho, np.diag(w))
    assert M.holevo_bound(rho, gens, w) == pytest.approx(theirs, rel=1e-4)


# -- the figure and the command line -----------------------------------------------------------------
def test_saturation_figure_reaches_the_qcrb(tmp_path):
    assert FIGURES["saturation"] is saturation
    trials = 800
    data = saturation.compute(n=2, repeats=(2, 300), trials=trials, seed=3)
    assert data.qcrb["ghz"] == pytest.approx(1 / 8, rel=1e-10)         # 1/(2 n^2)
    assert data.qcrb["separable"] == pytest.approx(1 / 4, rel=1e-10)   # 1/n^2
    for key in ("ghz", "separable"):
        assert data.crb[key] == pytest.approx(data.qcrb[key], rel=1e-10)
        assert abs(data.variance[key][-1] / data.qcrb[key] - 1) <= band(trials)
        assert data.at_edge[key][0] > 0 and data.at_edge[key][-1] == 0
    fig, axes = saturation.plot(data)
    assert len(axes) == 2 and fig.get_suptitle()
    saturation.to_csv(data, tmp_path / "s.csv")
    lines = [l for l in (tmp_path / "s.csv").read_text().splitlines() if not l.startswith("#")]
    assert lines[0].startswith("repeats,mu_var_ghz") and len(lines) == 3


def test_cli_simulate_prints_json_and_text(capsys, tmp_path):
    model = tmp_path / "gradient.toml"
    model.write_text('[[sensor]]\nkind = "qubits"\nn = 2\n[[sensor]]\nkind = "qubits"\nn = 2\n'
                     '[task]\nfunction = [-0.7071067811865476, 0.7071067811865476]\n'
                     '[probes]\ncompare = ["time-shared", "ghz", "local-ghz"]\n')
    assert main(["simulate", str(model), "--repeats", "100", "--trials", "300", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["probe"] == "ghz" and document["measurement"] == "parity"
    assert document["qcrb"] == pytest.approx(1 / 800, rel=1e-10)
    assert abs(document["ratio_to_qcrb"] - 1) <= band(300)
    assert main(["simulate", str(model), "--probe", "local-ghz", "--trials", "50",
                 "--estimator", "bayes", "--seed", "4"]) == 0
    out = capsys.readouterr().out
    assert "measurement: local readout" in out and "QCRB" in out
    for args, match in ((["--probe", "time-shared"], "time-shared is a reference strategy"),
                        (["--probe", "nope"], "unknown probe 'nope'"),
                        (["--trials", "1"], "trials must be an integer >= 2"),
                        (["--trials", "many"], "invalid int value")):
        assert main(["simulate", str(model), *args]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("qsn: error:") and match in err[0]
