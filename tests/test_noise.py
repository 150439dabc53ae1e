"""Noise channels: closed forms, the Dicke-block path against the full 2^n space, piqs, errors.

References computed here without :mod:`qsn_qutip.noise`: the local-dephasing channel as the
Hadamard product :math:`\\rho_{xy}e^{-\\gamma t\\,d(x,y)}` on the full space (d the Hamming
distance), the Dicke-to-full isometry of ``conftest``, :func:`qutip.mesolve` with explicit
collapse operators, and :mod:`qutip.piqs` (single precision) for the convention of its rates.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest
import qutip
import scipy.sparse.linalg
from qutip import piqs

from qsn_qutip import (Network, OpticalMode, QSNError, QubitEnsemble, MultiLevelAtom, qfim,
                       states, tolerances)
from qsn_qutip.noise import (DickeBlockState, NoiseModel, NoisyProduct, apply_noise,
                             collective_dephasing, dephasing_crossover, local_decay,
                             local_dephasing, noisy_qfim, optimal_interrogation_time,
                             photon_loss, piqs_lindbladian, qfim_per_frequency)


# ----------------------------------------------------------------------------------------
# references
# ----------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=None)
def hamming(n: int) -> np.ndarray:
    idx = np.arange(2 ** n)
    x = idx[:, None] ^ idx[None, :]
    return np.vectorize(lambda v: bin(v).count("1"))(x)


def full_dephased(psi: qutip.Qobj, gamma_t: float, iso: np.ndarray) -> qutip.Qobj:
    """The exact channel on the full space for a Dicke-basis ket (independent reference)."""
    n = int(round(math.log2(iso.shape[0])))
    amp = iso @ psi.full().ravel()
    rho = np.outer(amp, amp.conj()) * np.exp(-gamma_t * hamming(n))
    return qutip.Qobj(rho, dims=[[2] * n] * 2)


def full_jz(n: int) -> qutip.Qobj:
    return QubitEnsemble(n, basis="full").generators[0]


def probes(n: int) -> dict:
    ens = QubitEnsemble(n)
    jz, jx = ens.generators[0], qutip.jmat(n / 2, "x")
    css = ens.spin_coherent(1.1, 0.4)
    twisted = (-1j * 0.6 * jz * jz / 2).expm() * ens.product_state()
    return {"ghz": ens.local_ghz(), "css": css, "one-axis-twisted": twisted,
            "twisted-rotated": (-1j * 0.4 * jx).expm() * twisted}


def rel(a: float, b: float) -> float:
    return abs(a - b) / max(abs(b), 1e-300)


# ----------------------------------------------------------------------------------------
# closed forms
# ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["auto", "dense", "sparse"])
@pytest.mark.parametrize("n, gamma_t", [(10, 0.05), (3, 0.7), (40, 0.02), (150, 0.05)])
def test_ghz_under_local_dephasing(n, gamma_t, method):
    ens = QubitEnsemble(n)
    F = local_dephasing(ens.local_ghz(), ens, gamma_t, method=method).qfi()
    assert rel(F, n ** 2 * math.exp(-2 * n * gamma_t)) < 1e-12


def test_issue_reference_values():
    ens = QubitEnsemble(10)
    assert local_dephasing(ens.local_ghz(), ens, 0.05).qfi() == pytest.approx(36.787944, abs=5e-7)
    assert local_dephasing(ens.product_state(), ens, 0.05).qfi() == pytest.approx(9.048374,
                                                                                  abs=5e-7)


@pytest.mark.parametrize("n, gamma_t, method", [
    (10, 0.05, "auto"), (10, 0.05, "sparse"), (7, 1.3, "dense"), (7, 1.3, "sparse"),
    (120, 0.1, "auto"), (301, 0.02, "dense")])
def test_product_state_under_local_dephasing(n, gamma_t, method):
    ens = QubitEnsemble(n)
    noisy = local_dephasing(ens.product_state(), ens, gamma_t, method=method)
    assert rel(noisy.qfi(), n * math.exp(-2 * gamma_t)) < 1e-10
    assert noisy.trace() == pytest.approx(1.0, abs=1e-12)


def test_ghz_keeps_relative_precision_when_its_qfi_is_tiny():
    ens = QubitEnsemble(600)
    F = local_dephasing(ens.local_ghz(), ens, 0.05).qfi()      # 3.15e-21
    assert rel(F, 600 ** 2 * math.exp(-60)) < 1e-12


@pytest.mark.parametrize("n", [2, 10, 57])
def test_qfi_per_frequency_and_the_ghz_product_crossover(n):
    ens = QubitEnsemble(n)
    gamma = 2.0
    t_cross = dephasing_crossover(n) / gamma
    times = [0.3 * t_cross, t_cross, 3 * t_cross]
    noise = NoiseModel(dephasing=gamma)
    ghz = qfim_per_frequency(ens.local_ghz(), ens, noise, times)[:, 0, 0]
    prod = qfim_per_frequency(ens.product_state(), ens, noise, times)[:, 0, 0]
    t = np.array(times)
    np.testing.assert_allclose(ghz, n ** 2 * t ** 2 * np.exp(-2 * n * gamma * t), rtol=1e-10)
    np.testing.assert_allclose(prod, n * t ** 2 * np.exp(-2 * gamma * t), rtol=1e-10)
    assert ghz[0] > prod[0] and ghz[2] < prod[2]
    assert ghz[1] == pytest.approx(prod[1], rel=1e-10)


@pytest.mark.parametrize("n", [1, 4, 9])
def test_ghz_and_product_optimal_interrogation_times(n):
    """Huelga et al. (1997): t* = 1/(2 N gamma) and 1/(2 gamma), both with t F = N / (2 e gamma)."""
    ens = QubitEnsemble(n)
    gamma = 0.5
    noise = NoiseModel(dephasing=gamma)
    ghz = optimal_interrogation_time(ens.local_ghz(), ens, noise)
    prod = optimal_interrogation_time(ens.product_state(), ens, noise)
    assert ghz.time == pytest.approx(1 / (2 * n * gamma), rel=1e-6)
    assert prod.time == pytest.approx(1 / (2 * gamma), rel=1e-6)
    for best in (ghz, prod):
        assert best.value == pytest.approx(n / (2 * math.e * gamma), rel=1e-10)
    shot = optimal_interrogation_time(ens.local_ghz(), ens, noise, per="shot")
    assert shot.time == pytest.approx(1 / (n * gamma), rel=1e-6)


def test_gradient_probes_have_equal_information_per_unit_time_at_their_optimal_times():
    r"""theta = (omega_2 - omega_1)/sqrt2 under local dephasing: the global GHZ-like state
    (:math:`2n^2e^{-4n\gamma t}` on theta) is best at :math:`t^* = 1/(4n\gamma)`, the local GHZ
    state at :math:`1/(2n\gamma)`, the product state at :math:`1/(2\gamma)`; all reach
    :math:`t\,F_\theta = n/(2e\gamma)`."""
    n, gamma = 3, 0.5
    net = Network([QubitEnsemble(n), QubitEnsemble(n)])
    v = np.array([-1.0, 1.0]) / math.sqrt(2)
    noise = NoiseModel(dephasing=gamma)
    expected = {"ghz": 1 / (4 * n * gamma), "local": 1 / (2 * n * gamma),
                "product": 1 / (2 * gamma)}
    probes_ = {"ghz": states.ghz_like(net, [-1, 1]), "local": states.local_ghz(net),
               "product": states.product(net)}
    for name, psi in probes_.items():
        best = optimal_interrogation_time(psi, net, noise, v=v)
        assert best.time == pytest.approx(expected[name], rel=1e-6), name
        assert best.value == pytest.approx(n / (2 * math.e * gamma), rel=1e-10), name


def test_entangled_probe_of_large_ensembles_is_refused():
    net = Network([QubitEnsemble(60), QubitEnsemble(60)])
    rng = np.random.default_rng(1)
    amplitudes = rng.normal(size=net.size) + 1j * rng.normal(size=net.size)
    psi = qutip.Qobj(amplitudes / np.linalg.norm(amplitudes), dims=[net.ket_dims, [1, 1]])
    with pytest.raises(QSNError, match="general entangled probe only for small ensembles"):
        apply_noise(psi, net, NoiseModel(dephasing=0.1))


@pytest.mark.parametrize("n", [1, 3, 6])
@pytest.mark.parametrize("basis", ["dicke", "full"])
def test_ghz_under_collective_dephasing(n, basis):
    ens = QubitEnsemble(n, basis=basis)
    gt = 0.03
    rho = collective_dephasing(ens.local_ghz(), ens, gt)
    assert rel(qfim(rho, ens.generators)[0, 0], n ** 2 * math.exp(-gt * n ** 2)) < 1e-12


def test_collective_dephasing_against_mesolve():
    ens = QubitEnsemble(4)
    psi = ens.spin_coherent(1.0, 0.2)
    rate = 0.3
    exact = collective_dephasing(psi, ens, rate)
    result = qutip.mesolve(0 * ens.generators[0], psi.proj(), [0.0, 1.0],
                           c_ops=[math.sqrt(rate) * ens.generators[0]],
                           options={"atol": 1e-13, "rtol": 1e-12})
    assert (exact - result.states[-1]).norm("max") < 1e-10


def test_correlated_noise_leaves_the_gradient_ghz_state_alone():
    net = Network([QubitEnsemble(5), QubitEnsemble(5)])
    ghz = states.ghz_like(net, [-1, 1])
    F = noisy_qfim(apply_noise(ghz, net, NoiseModel(correlated_dephasing=3.0)), net)
    np.testing.assert_allclose(F, 25 * np.array([[1, -1], [-1, 1]]), atol=1e-12)
    with_local = apply_noise(ghz, net, NoiseModel(correlated_dephasing=3.0, dephasing=0.1))
    np.testing.assert_allclose(noisy_qfim(with_local, net),
                               25 * math.exp(-2) * np.array([[1, -1], [-1, 1]]), rtol=1e-12)
    independent = apply_noise(ghz, net, NoiseModel(collective_dephasing=0.01))
    # both sensors' coherences (m = -+5/2 against +-5/2) decay: exp(-2 * 0.01 * 25 / 2)
    np.testing.assert_allclose(noisy_qfim(independent, net),
                               25 * math.exp(-0.5) * np.array([[1, -1], [-1, 1]]), rtol=1e-12)


@pytest.mark.parametrize("photons", [1, 3, 6])
@pytest.mark.parametrize("eta", [0.95, 0.6])
def test_noon_state_under_loss(photons, eta):
    r"""Loss on both arms: :math:`F = \eta^NN^2`; on one arm: :math:`F = 2\eta^NN^2/(1+\eta^N)`.

    Only the no-loss branch keeps the coherence between :math:`|N,0\rangle` and :math:`|0,N\rangle`
    (Dorner et al., PRL 102, 040403 (2009); Demkowicz-Dobrzanski et al., PRA 80, 013825 (2009)).
    """
    net = Network([OpticalMode(photons), OpticalMode(photons)])
    noon = states.noon(net, photons)
    both = qfim(photon_loss(noon, net, eta), net.generators)
    one = qfim(photon_loss(noon, net, [1.0, eta]), net.generators)
    e = eta ** photons
    np.testing.assert_allclose(both, e * photons ** 2 * np.array([[1, -1], [-1, 1]]),
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(one[0, 0], 2 * e * photons ** 2 / (1 + e), rtol=1e-12)


def test_coherent_state_under_loss():
    mode = OpticalMode(40, photons=4)
    rho = photon_loss(mode.product_state(), mode, 0.7)
    assert qfim(rho, mode.generators)[0, 0] == pytest.approx(4 * 0.7 * 4, rel=1e-7)
    target = qutip.coherent(41, math.sqrt(0.7 * 4), method="analytic").unit()
    assert qutip.expect(rho, target) == pytest.approx(1.0, abs=1e-7)


@pytest.mark.parametrize("basis", ["dicke", "full"])
def test_single_qubit_decay(basis):
    ens = QubitEnsemble(1, basis=basis)
    noisy = local_decay(ens.product_state(), ens, 0.4)
    assert noisy_qfim(noisy, ens)[0, 0] == pytest.approx(math.exp(-0.4), rel=1e-8)


@pytest.mark.parametrize("n", [2, 4])
@pytest.mark.parametrize("probe", ["ghz", "css"])
def test_decay_dicke_mesolve_against_full_kraus(n, probe):
    dicke, full = QubitEnsemble(n), QubitEnsemble(n, basis="full")
    make = {"ghz": lambda e: e.local_ghz(), "css": lambda e: e.spin_coherent(1.2, 0.3)}[probe]
    blocks = local_decay(make(dicke), dicke, 0.3, dephasing=0.2)
    exact = local_decay(make(full), full, 0.3, dephasing=0.2)
    assert isinstance(blocks, DickeBlockState)
    assert (blocks.to_full() - exact).norm("max") < 1e-9
    assert rel(blocks.qfi(), qfim(exact, full.generators)[0, 0]) < 1e-8


# ----------------------------------------------------------------------------------------
# Dicke blocks against the full 2^n space
# ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("n", range(1, 9))
def test_dicke_blocks_equal_the_full_space(n, reference):
    iso = reference.dicke_isometry(n)
    jz = full_jz(n)
    ens = QubitEnsemble(n)
    for name, psi in probes(n).items():
        for gamma_t in (0.03, 0.4, 2.0):
            exact = full_dephased(psi, gamma_t, iso)
            F_full = qfim(exact, [jz])[0, 0]
            purity = (exact * exact).tr().real
            entropy = qutip.entropy_vn(exact)
            for method in ("dense", "sparse"):
                noisy = local_dephasing(psi, ens, gamma_t, method=method, truncation=0)
                where = f"{name} n={n} gamma_t={gamma_t} {method}"
                assert abs(noisy.qfi() - F_full) <= 1e-10 * max(F_full, 1e-3), where
                assert (noisy.to_full() - exact).norm("max") < 1e-13, where
                # degeneracy-weighted nonlinear functions (the qutip #993 trap)
                assert noisy.purity() == pytest.approx(purity, abs=1e-12), where
                assert noisy.entropy() == pytest.approx(entropy, abs=1e-10), where
                assert noisy.trace() == pytest.approx(1.0, abs=1e-13), where


def test_block_qfi_against_the_all_pairs_reference(reference):
    n = 5
    psi = probes(n)["twisted-rotated"]
    exact = full_dephased(psi, 0.2, reference.dicke_isometry(n))
    F_ref = reference.sld_qfim_all_pairs(exact, [full_jz(n)], cutoff=0.0)[0, 0]
    F = local_dephasing(psi, QubitEnsemble(n), 0.2, truncation=0).qfi()
    assert F == pytest.approx(F_ref, rel=1e-11)


def test_blocks_need_no_degeneracy_factor_but_purity_does():
    """F = sum_j F(rho_j): a degeneracy factor in the QFI would be wrong (#993 is about
    non-homogeneous functions such as the purity, sum_j Tr(rho_j^2) / d_j)."""
    n = 6
    ens = QubitEnsemble(n)
    noisy = local_dephasing(ens.spin_coherent(1.0, 0.0), ens, 0.5, truncation=0)
    assert any(b.degeneracy > 1 for b in noisy.blocks)
    assert sum(b.weight for b in noisy.blocks) == pytest.approx(1.0, abs=1e-14)
    unweighted = sum(np.sum(np.abs(b.rho) ** 2) for b in noisy.blocks)
    assert noisy.purity() < unweighted - 1e-3


def test_dense_and_sparse_transfers_agree_at_large_n():
    ens = QubitEnsemble(60)
    psi = (ens.local_ghz() + qutip.basis(61, 30)).unit()
    a = local_dephasing(psi, ens, 0.07, method="dense", truncation=0)
    b = local_dephasing(psi, ens, 0.07, method="sparse", truncation=0)
    assert len(a.blocks) == len(b.blocks)
    for x, y in zip(a.blocks, b.blocks):
        assert x.j == y.j
        np.testing.assert_array_equal(x.index, y.index)
        np.testing.assert_allclose(x.rho, y.rho, rtol=1e-10, atol=1e-15)
    assert a.qfi() == pytest.approx(b.qfi(), rel=1e-12)


def test_truncation_error_is_a_rigorous_bound():
    ens = QubitEnsemble(80)
    psi = probes(80)["twisted-rotated"]
    exact = local_dephasing(psi, ens, 0.1, truncation=0)
    for truncation in (1e-2, 1e-6, 1e-13):
        cut = local_dephasing(psi, ens, 0.1, truncation=truncation)
        assert cut.truncation_error <= truncation
        assert 0 <= exact.qfi() - cut.qfi() <= cut.truncation_error + 1e-12
        assert 1 - cut.trace() <= cut.truncation_error + 1e-15
    assert sum(b.rho.shape[0] for b in cut.blocks) < sum(
        b.rho.shape[0] for b in exact.blocks)


def test_dicke_dm_round_trip_and_block_layout():
    n = 5
    ens = QubitEnsemble(n)
    noisy = local_dephasing(ens.spin_coherent(0.8, 0.1), ens, 0.3, truncation=0)
    dm = noisy.to_dicke_dm()
    assert dm.shape == (piqs.num_dicke_states(n),) * 2
    again = DickeBlockState.from_dicke_dm(dm, n)
    assert again.qfi() == pytest.approx(noisy.qfi(), rel=1e-13)
    assert (again.to_dicke_dm() - dm).norm("max") < 1e-15
    # piqs's block extraction and degeneracies agree with ours
    for block, piqs_block, j in zip(again.blocks, piqs.dicke_blocks(dm), np.arange(n / 2, 0, -1)):
        np.testing.assert_allclose(block.rho, piqs_block, atol=1e-15)
        assert block.degeneracy == piqs.state_degeneracy(n, j)
    assert again.purity() == pytest.approx(piqs.purity_dicke(dm), abs=1e-12)


# ----------------------------------------------------------------------------------------
# piqs
# ----------------------------------------------------------------------------------------
RATES = [dict(dephasing=0.6), dict(emission=0.3), dict(pumping=0.2),
         dict(collective_emission=0.1), dict(collective_dephasing=0.4),
         dict(collective_pumping=0.3),
         dict(emission=0.3, dephasing=0.5, pumping=0.1, collective_dephasing=0.2)]


@pytest.mark.parametrize("n", [1, 4, 7])
@pytest.mark.parametrize("rates", RATES, ids=[",".join(r) for r in RATES])
def test_double_precision_lindbladian_matches_piqs(n, rates):
    ours = piqs_lindbladian(n, **rates).full()
    theirs = piqs.Dicke(n, **rates).lindbladian().full()
    scale = np.abs(ours).max()
    assert np.abs(ours - theirs).max() <= 1e-6 * scale      # piqs computes in C float


@pytest.mark.parametrize("n", [4, 7])
def test_closed_form_is_the_piqs_dynamics(n):
    """expm of the double-precision Lindbladian with dephasing = 2 gamma is the closed form
    to round-off; piqs's own (single precision) agrees to 1e-6."""
    ens = QubitEnsemble(n)
    gamma_t = 0.37
    noisy = local_dephasing(ens.spin_coherent(1.0, 0.4), ens, gamma_t, truncation=0)
    closed = noisy.to_dicke_dm().full()
    rho0 = np.zeros_like(closed)
    rho0[:n + 1, :n + 1] = ens.spin_coherent(1.0, 0.4).proj().full()
    vec = rho0.ravel(order="F")
    nds = closed.shape[0]
    for L, tol in ((piqs_lindbladian(n, dephasing=2 * gamma_t), 1e-13),
                   (piqs.Dicke(n, dephasing=2 * gamma_t).liouvillian(), 1e-6)):
        out = scipy.sparse.linalg.expm_multiply(L.data_as("csr_matrix"), vec)
        assert np.abs(out.reshape(nds, nds, order="F") - closed).max() < tol


@pytest.mark.parametrize("n", [2, 5, 8])
def test_double_precision_lindbladian_is_the_exact_channel(n, reference):
    """expm(t L) of the replica, read back as Dicke blocks and expanded to 2^n amplitudes,
    is the exact channel rho_xy exp(-gamma t d(x, y)) of the full space."""
    psi = probes(n)["twisted-rotated"]
    gamma_t = 0.3
    L = piqs_lindbladian(n, dephasing=2 * gamma_t)
    nds = piqs.num_dicke_states(n)
    rho0 = np.zeros((nds, nds), dtype=complex)
    rho0[:n + 1, :n + 1] = psi.proj().full()
    out = scipy.sparse.linalg.expm_multiply(L.data_as("csr_matrix"), rho0.ravel(order="F"))
    rho = qutip.Qobj(out.reshape(nds, nds, order="F"))
    blocks = DickeBlockState.from_dicke_dm((rho + rho.dag()) / 2, n)
    exact = full_dephased(psi, gamma_t, reference.dicke_isometry(n))
    assert (blocks.to_full() - exact).norm("max") < 1e-13


# ----------------------------------------------------------------------------------------
# networks
# ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("n", [2, 4, 100])
def test_gradient_probes_under_local_dephasing(n):
    net = Network([QubitEnsemble(n), QubitEnsemble(n)])
    gamma_t = 0.02
    c2 = math.exp(-2 * gamma_t)
    noise = NoiseModel(dephasing=gamma_t)
    ones = np.array([[1, -1], [-1, 1]])
    ghz = apply_noise(states.ghz_like(net, [-1, 1]), net, noise)
    local = apply_noise(states.local_ghz(net), net, noise)
    prod = apply_noise(states.product(net), net, noise)
    assert isinstance(ghz, DickeBlockState)
    assert isinstance(local, NoisyProduct) and isinstance(prod, NoisyProduct)
    np.testing.assert_allclose(noisy_qfim(ghz, net), n ** 2 * c2 ** (2 * n) * ones, rtol=1e-11)
    np.testing.assert_allclose(noisy_qfim(local, net), n ** 2 * c2 ** n * np.eye(2),
                               rtol=1e-11)
    np.testing.assert_allclose(noisy_qfim(prod, net), n * c2 * np.eye(2), rtol=1e-10,
                               atol=1e-12)


def test_network_blocks_against_the_full_basis_network(reference):
    """An entangled probe of a Dicke ensemble and a mode, with dephasing, phase diffusion and
    loss, against the same probe on full-basis qubits (dense exact channels)."""
    dicke = Network([QubitEnsemble(3), OpticalMode(2)])
    full = Network([QubitEnsemble(3, basis="full"), OpticalMode(2)])
    psi = states.random_pure(dicke, seed=3)
    iso = np.kron(reference.dicke_isometry(3), np.eye(3))
    psi_full = qutip.Qobj(iso @ psi.full(), dims=[full.ket_dims, [1] * 4])
    noise = NoiseModel(dephasing=0.3, collective_dephasing=[0.2, 0.1], transmission=0.7,
                       time=0.8)
    blocks = apply_noise(psi, dicke, noise, truncation=0)
    dense = apply_noise(psi_full, full, noise)
    assert isinstance(blocks, DickeBlockState) and isinstance(dense, qutip.Qobj)
    assert (blocks.to_full() - dense).norm("max") < 1e-14
    np.testing.assert_allclose(noisy_qfim(blocks, dicke), qfim(dense, full.generators),
                               rtol=1e-11)


def test_two_dicke_ensembles_entangled_against_the_full_space(reference):
    dicke = Network([QubitEnsemble(2), QubitEnsemble(3)])
    full = Network([QubitEnsemble(2, basis="full"), QubitEnsemble(3, basis="full")])
    psi = states.random_pure(dicke, seed=5)
    iso = np.kron(reference.dicke_isometry(2), reference.dicke_isometry(3))
    psi_full = qutip.Qobj(iso @ psi.full(), dims=[full.ket_dims, [1] * 5])
    noise = NoiseModel(dephasing=[0.4, 0.15], correlated_dephasing=0.05)
    blocks = apply_noise(psi, dicke, noise, truncation=0)
    dense = apply_noise(psi_full, full, noise)
    assert {b.j for b in blocks.blocks} >= {(1.0, 1.5), (0.0, 0.5)}
    assert (blocks.to_full() - dense).norm("max") < 1e-14
    np.testing.assert_allclose(noisy_qfim(blocks, dicke), qfim(dense, full.generators),
                               rtol=1e-11)


def test_product_with_a_reference_mode_is_factorised():
    net = Network([OpticalMode(2, generator=None), QubitEnsemble(4), QubitEnsemble(3)])
    psi = states.product(net)
    noisy = apply_noise(psi, net, NoiseModel(dephasing=0.1))
    assert isinstance(noisy, NoisyProduct)
    assert noisy.groups == [[0, 1], [2]]
    np.testing.assert_allclose(noisy_qfim(noisy, net), np.diag([4, 3]) * math.exp(-0.2),
                               rtol=1e-12)


def test_full_basis_channels_are_exact_hadamard_and_kraus_maps():
    full = QubitEnsemble(3, basis="full")
    psi = states.random_pure(Network([full]), seed=2)
    rho = local_dephasing(psi, full, 0.25)
    expected = psi.proj().full() * np.exp(-0.25 * hamming(3))
    assert np.abs(rho.full() - expected).max() < 1e-15
    decayed = local_decay(psi, full, 0.3)
    c_ops = [math.sqrt(0.3) * qutip.tensor([qutip.destroy(2).dag() if i == k else qutip.qeye(2)
                                            for i in range(3)]) for k in range(3)]
    ref = qutip.mesolve(0 * psi.proj(), psi.proj(), [0, 1], c_ops=c_ops,
                        options={"atol": 1e-13, "rtol": 1e-12}).states[-1]
    assert (decayed - ref).norm("max") < 1e-10


# ----------------------------------------------------------------------------------------
# errors
# ----------------------------------------------------------------------------------------
ENS = QubitEnsemble(3)
MODES = Network([OpticalMode(2), OpticalMode(2)])


@pytest.mark.parametrize("call, match", [
    (lambda: local_dephasing(ENS.local_ghz(), ENS, -0.1), r"dephasing must lie in \[0"),
    (lambda: local_dephasing(ENS.local_ghz(), ENS, float("nan")), "dephasing must lie"),
    (lambda: local_dephasing(ENS.local_ghz(), "ens", 0.1), "network must be a Network"),
    (lambda: local_dephasing(qutip.basis(3, 0), ENS, 0.1), "state has dims"),
    (lambda: local_dephasing(states.noon(MODES, 2), MODES, 0.1), "needs qubit ensembles"),
    (lambda: local_dephasing(ENS.local_ghz(), ENS, [0.1, 0.2]), "one value per sensor"),
    (lambda: local_dephasing(ENS.local_ghz(), ENS, 0.1, truncation=-1), "truncation"),
    (lambda: local_dephasing(ENS.local_ghz(), ENS, 0.1, method="fast"), "method must be"),
    (lambda: photon_loss(states.noon(MODES, 2), MODES, 1.5), r"transmission must lie in \[0"),
    (lambda: photon_loss(ENS.local_ghz(), ENS, 0.5), "needs optical modes"),
    (lambda: apply_noise(ENS.local_ghz(), ENS, {"dephasing": 0.1}), "noise must be a NoiseModel"),
    (lambda: NoiseModel(time=-1), "time must be"),
    (lambda: NoiseModel(dephasing=[0.1, -0.2]), r"dephasing\[1\]"),
    (lambda: NoiseModel(transmission=2), "transmission"),
    (lambda: apply_noise(states.local_ghz(Network([OpticalMode(2), QubitEnsemble(2)])),
                         Network([OpticalMode(2), QubitEnsemble(2)]),
                         NoiseModel(dephasing=[0.1, 0.1])), r"dephasing\[0\] = 0.1: sensor 0"),
    (lambda: collective_dephasing(ENS.local_ghz(), Network([MultiLevelAtom(spin=1, axes="xyz")]),
                                  0.1), "single diagonal generator"),
    (lambda: local_decay(states.ghz_like(Network([QubitEnsemble(2), QubitEnsemble(2)]), [1, 1]),
                         Network([QubitEnsemble(2), QubitEnsemble(2)]), 0.1),
     "decay of a Dicke ensemble"),
    (lambda: optimal_interrogation_time(ENS.local_ghz(), ENS, NoiseModel()),
     "no time-dependent rate"),
    (lambda: optimal_interrogation_time(ENS.local_ghz(), ENS, NoiseModel(dephasing=1), per="x"),
     "per must be"),
    (lambda: optimal_interrogation_time(
        states.local_ghz(Network([ENS, ENS])), Network([ENS, ENS]), NoiseModel(dephasing=1)),
     "v is needed"),
    (lambda: qfim_per_frequency(ENS.local_ghz(), ENS, NoiseModel(dephasing=1), [0.0]),
     "times must be > 0"),
    (lambda: dephasing_crossover(1), "n must be"),
    (lambda: piqs_lindbladian(3, emission=-1), "emission must be"),
    (lambda: DickeBlockState.from_dicke_dm(qutip.qeye(4), 3), "piqs Dicke-basis"),
])
def test_errors_name_the_argument(call, match):
    with pytest.raises(QSNError, match=match):
        call()


def test_block_state_method_errors():
    net = Network([QubitEnsemble(2), QubitEnsemble(2)])
    noisy = apply_noise(states.ghz_like(net, [-1, 1]), net, NoiseModel(dephasing=0.1))
    with pytest.raises(QSNError, match="single parameter"):
        noisy.qfi()
    with pytest.raises(QSNError, match="single Dicke ensemble"):
        noisy.to_dicke_dm()
    with pytest.raises(QSNError, match="carries 2 parameters"):
        noisy_qfim(noisy, QubitEnsemble(2))
    with pytest.raises(QSNError, match="meant for checks"):
        local_dephasing(QubitEnsemble(13).local_ghz(), QubitEnsemble(13), 0.1).to_full()


def test_eig_cutoff_tolerance_is_honoured():
    ens = QubitEnsemble(30)
    noisy = local_dephasing(ens.product_state(), ens, 0.05)
    with tolerances(eig_cutoff=0.0):
        exact = noisy.qfi()
    assert rel(exact, 30 * math.exp(-0.1)) < 1e-13
    assert rel(noisy.qfi(), exact) < 1e-10
