"""Dicke blocks against independent references: the exact channel on the full 2^n space
(the Hadamard product :math:`\\rho_{xy}e^{-\\gamma t\\,d(x,y)}`, d the Hamming distance, and the
Dicke-to-full isometry of ``conftest``), the all-pairs SLD sum, :mod:`qutip.piqs` (single
precision) and the double-precision Lindbladian.  (Moved from tests/test_noise.py, unchanged.)"""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest
import qutip
import scipy.sparse.linalg
from qutip import piqs

from qsn_qutip import QubitEnsemble, qfim
from qsn_qutip.noise import DickeBlockState, local_dephasing, piqs_lindbladian


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
