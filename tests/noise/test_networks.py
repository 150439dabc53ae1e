"""Noise on networks (products factor by factor, entangled probes as joint blocks, dense
channels of full-basis qubits and modes) and the errors that name their argument.  (Moved from
tests/test_noise.py, unchanged.)"""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest
import qutip

from qsn_qutip import (MultiLevelAtom, Network, OpticalMode, QSNError, QubitEnsemble, qfim,
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


def rel(a: float, b: float) -> float:
    return abs(a - b) / max(abs(b), 1e-300)



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
