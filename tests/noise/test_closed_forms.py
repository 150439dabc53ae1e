"""Noise channels against their closed forms: GHZ and product states under local and
collective dephasing, NOON and coherent states under loss, decay of one qubit, and the optimal
interrogation times (Huelga et al. 1997).  (Moved from tests/test_noise.py, unchanged.)"""

from __future__ import annotations

import math

import numpy as np
import pytest
import qutip

from qsn_qutip import Network, OpticalMode, QSNError, QubitEnsemble, qfim, states
from qsn_qutip.noise import (DickeBlockState, NoiseModel, apply_noise, collective_dephasing,
                             dephasing_crossover, local_decay, local_dephasing, noisy_qfim,
                             optimal_interrogation_time, photon_loss, qfim_per_frequency)


# ----------------------------------------------------------------------------------------
# references
# ----------------------------------------------------------------------------------------
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
