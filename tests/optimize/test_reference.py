"""Tests of the independent reference optimiser ``tests/optimize/reference.py``.

The reference is what :mod:`qsn_qutip.optimize` is checked against, so here it is checked
against closed forms, against a second optimiser (see-saw vs L-BFGS), against finite
differences and against the channel-extension SDP.  Nothing from ``qsn_qutip`` is used.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
import scipy.linalg
import scipy.optimize

_spec = importlib.util.spec_from_file_location(
    "optimize_reference", Path(__file__).with_name("reference.py"))
ref = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ref)

ETA_01 = float(np.exp(-0.1))
ETA_005 = float(np.exp(-0.05))
ETA_05 = float(np.exp(-0.5))  # strong dephasing: neither GHZ nor product is optimal at N >= 2
SQ = 2 ** -0.5


def _random_mixed(d, rng):
    a = rng.normal(size=(d, d)) + 1j * rng.normal(size=(d, d))
    rho = a @ a.conj().T
    return rho / np.trace(rho).real


# --------------------------------------------------------------------------- building blocks

def test_conventions_jz_and_mask():
    assert np.array_equal(ref.jz_diagonal(2), [1.0, 0.0, 0.0, -1.0])
    m = ref.dephasing_mask(2, 0.5)
    assert m[0, 0] == 1 and m[0, 1] == 0.5 and m[0, 3] == 0.25 and m[1, 2] == 0.25
    hs = ref.network_generators((2, 1))
    assert np.array_equal(hs[0] + hs[1], ref.jz_diagonal(3))
    assert np.array_equal(hs[1], [0.5, -0.5] * 4)  # ensemble 1 = the last (least significant) qubit


def test_dephasing_mask_equals_kraus_channel_on_every_qubit():
    """The Schur multiplier is the Lindblad sqrt(gamma/2) sigma_z channel on each qubit:
    Kraus sqrt((1+eta)/2) I and sqrt((1-eta)/2) sigma_z."""
    rng = np.random.default_rng(5)
    n, eta = 3, 0.7
    rho = _random_mixed(2 ** n, rng)
    out = rho
    for q in range(n):
        z = np.kron(np.kron(np.eye(2 ** q), np.diag([1.0, -1.0])), np.eye(2 ** (n - q - 1)))
        out = (1 + eta) / 2 * out + (1 - eta) / 2 * z @ out @ z
    np.testing.assert_allclose(ref.dephase(rho, eta), out, atol=1e-14)


def test_qfi_and_qfim_match_lyapunov_sld():
    """Full-rank state: F = Tr(d rho L) with rho L + L rho = 2 d rho solved by SciPy."""
    rng = np.random.default_rng(6)
    rho = _random_mixed(8, rng)
    hs = [rng.normal(size=8), rng.normal(size=8)]
    slds, drhos = [], []
    for h in hs:
        drho = -1j * (np.diag(h) @ rho - rho @ np.diag(h))
        slds.append(scipy.linalg.solve_sylvester(rho, rho, 2 * drho))
        drhos.append(drho)
    expected = np.array([[np.trace(d @ s).real for s in slds] for d in drhos])
    np.testing.assert_allclose(ref.qfim(rho, hs), (expected + expected.T) / 2, rtol=1e-10)
    assert ref.qfi(rho, hs[0]) == pytest.approx(expected[0, 0], rel=1e-10)


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 6])
def test_known_values(n):
    assert ref.ket_qfi(ref.ghz_ket(n), 1.0) == pytest.approx(n ** 2, rel=1e-12)
    assert ref.ket_qfi(ref.plus_ket(n), 1.0) == pytest.approx(n, rel=1e-12)
    for eta in (ETA_01, ETA_05):
        assert ref.ket_qfi(ref.plus_ket(n), eta) == pytest.approx(n * eta ** 2, rel=1e-12)
        assert ref.ket_qfi(ref.ghz_ket(n), eta) == pytest.approx(n ** 2 * eta ** (2 * n),
                                                                 rel=1e-12)


def test_analytic_gradients_match_finite_differences():
    rng = np.random.default_rng(7)
    x = rng.normal(size=2 * 8)
    err = scipy.optimize.check_grad(lambda y: ref.qfi_and_gradient(y, 3, ETA_05)[0],
                                    lambda y: ref.qfi_and_gradient(y, 3, ETA_05)[1], x)
    assert err < 1e-5 * np.linalg.norm(ref.qfi_and_gradient(x, 3, ETA_05)[1])
    hs, mask, v = ref.network_generators((2, 1)), ref.dephasing_mask(3, ETA_01), np.array([1., 2.])
    err = scipy.optimize.check_grad(lambda y: ref._network_value_grad(y, hs, mask, v)[0],
                                    lambda y: ref._network_value_grad(y, hs, mask, v)[1], x)
    assert err < 1e-5 * np.linalg.norm(ref._network_value_grad(x, hs, mask, v)[1])


# --------------------------------------------------------------------------- full-space optimum

def test_plain_seesaw_is_monotone():
    rng = np.random.default_rng(8)
    h, mask = ref.jz_diagonal(4), ref.dephasing_mask(4, ETA_05)
    psi, values = ref._random_ket(16, rng), []
    for _ in range(40):
        f, g = ref._seesaw_operator(mask * np.outer(psi, psi.conj()), h, mask)
        values.append(f)
        psi = ref._top(g)
    assert np.all(np.diff(values) >= -1e-12)
    assert values[-1] > values[0]


@pytest.mark.parametrize("eta", [1.0, ETA_005, ETA_01, ETA_05])
@pytest.mark.parametrize("n", [2, 3, 4, 5])
def test_optimum_between_menu_and_limit(n, eta):
    opt = ref.full_space_optimum(n, eta, starts=2)
    assert ref.ket_qfi(opt.state, eta) == pytest.approx(opt.value, rel=1e-12)
    menu = max(n ** 2 * eta ** (2 * n), n * eta ** 2)
    assert opt.value >= menu * (1 - 1e-12)
    assert opt.value <= ref.ce_closed_form(n, eta) * (1 + 1e-12)
    assert max(opt.values) - min(opt.values) < 1e-8 * opt.value  # no local optima seen
    if eta == 1.0:
        assert opt.value == pytest.approx(n ** 2, rel=1e-10)
    if eta == ETA_05:  # strong dephasing: strictly better than both menu probes
        assert opt.value > 1.01 * menu


@pytest.mark.parametrize("eta", [ETA_01, ETA_05])
@pytest.mark.parametrize("n", [2, 3, 4, 5])
def test_seesaw_agrees_with_lbfgs(n, eta):
    seesaw = ref.full_space_optimum(n, eta, starts=2, seed=11).value
    lbfgs = ref.lbfgs_optimum(n, eta, starts=3, seed=12).value
    assert seesaw == pytest.approx(lbfgs, rel=1e-9)


def test_plain_and_accelerated_seesaw_agree():
    plain = ref.full_space_optimum(4, ETA_01, starts=1, seed=3, accelerate=False)
    fast = ref.full_space_optimum(4, ETA_01, starts=1, seed=3)
    assert plain.value == pytest.approx(fast.value, rel=1e-9)


def test_lbfgs_with_finite_difference_gradient_agrees():
    fd = ref.lbfgs_optimum(3, ETA_05, starts=2, seed=4, gradient="fd").value
    analytic = ref.lbfgs_optimum(3, ETA_05, starts=2, seed=4).value
    assert fd == pytest.approx(analytic, rel=1e-6)


# --------------------------------------------------------------------------- limits

@pytest.mark.parametrize("n, eta", [(1, 0.5), (1, ETA_01), (2, 0.9), (3, ETA_05),
                                    (5, ETA_01), (10, ETA_005), (50, 0.99), (4, 1.0)])
def test_ce_sdp_matches_closed_form(n, eta):
    assert ref.ce_bound(n, eta) == pytest.approx(ref.ce_closed_form(n, eta), rel=1e-6)


@pytest.mark.parametrize("eta", [ETA_01, ETA_05])
def test_ce_bound_above_full_space_optimum(eta):
    for n in range(2, 7):
        opt = ref.full_space_optimum(n, eta, starts=1, seed=n).value
        assert opt <= ref.ce_closed_form(n, eta) * (1 + 1e-12)
    assert ref.full_space_optimum(3, eta, starts=1).value <= ref.ce_bound(3, eta) * (1 + 1e-6)


def test_limit_ordering():
    for n in (1, 2, 5, 20, 1000):
        for eta in (0.3, ETA_05, ETA_01, 0.999):
            ce, qs = ref.ce_closed_form(n, eta), ref.qs_bound(n, eta)
            assert n * eta ** 2 * (1 - 1e-12) <= ce <= min(qs, n ** 2)
        assert ref.ce_closed_form(n, 1.0) == n ** 2 and ref.qs_bound(n, 1.0) == float("inf")
    assert ref.ce_closed_form(10 ** 6, ETA_01) == pytest.approx(ref.qs_bound(10 ** 6, ETA_01),
                                                               rel=1e-4)


# --------------------------------------------------------------------------- networks

def test_network_cost_of_menu_states():
    """GHZ of all 5 qubits only senses 3 phi_1 + 2 phi_2; a product of single-ensemble kets
    gives the diagonal QFIM."""
    ghz = ref.ghz_ket(5)
    assert ref.network_cost(ghz, (3, 2), ETA_01, (1, 1)) == float("inf")
    # F = eta^10 u u^T with u = (3, 2): v = u gives |u|^4 / (eta^10 |u|^4)
    assert ref.network_cost(ghz, (3, 2), ETA_01, (3, 2)) == pytest.approx(ETA_01 ** -10,
                                                                         rel=1e-10)
    prod = np.kron(ref.ghz_ket(3), ref.plus_ket(2))
    assert ref.network_cost(prod, (3, 2), ETA_01, (1, 1)) == pytest.approx(
        1 / (9 * ETA_01 ** 6) + 1 / (2 * ETA_01 ** 2), rel=1e-10)


def test_network_noiseless_fixed_hardware():
    """eta = 1: (max_k |v_k| / n_k)^2 on fixed hardware."""
    assert ref.network_optimum((2, 2), 1.0, (SQ, -SQ), starts=2).value == pytest.approx(
        1 / 8, rel=1e-8)
    assert ref.network_optimum((3, 2), 1.0, (1, 1), starts=2).value == pytest.approx(
        1 / 4, rel=1e-8)


def test_network_equal_sizes_reduce_to_one_ensemble():
    r"""(2,2), v = (1,-1)/sqrt2: flipping ensemble 2 maps J_z1 - J_z2 to J_z of 4 qubits, the
    optimal 4-qubit state makes v an eigenvector of F, so the optimum is 2 / F_opt(4)."""
    f4 = ref.full_space_optimum(4, ETA_01, starts=2).value
    net = ref.network_optimum((2, 2), ETA_01, (SQ, -SQ), starts=3)
    assert net.value == pytest.approx(2 / f4, rel=1e-8)
    assert ref.network_cost(net.state, (2, 2), ETA_01, (SQ, -SQ)) == pytest.approx(net.value,
                                                                                 rel=1e-12)
    assert ref.network_optimum((1, 1), ETA_05, (1, 1), starts=2).value == pytest.approx(
        4 / ref.full_space_optimum(2, ETA_05, starts=2).value, rel=1e-8)


def test_network_uneven_between_bounds():
    r"""(3,2), v = (1,1): v^T F^{-1} v >= |v|^4 / QFI(J_z of 5) >= 4 / F_opt(5) (strictly here,
    v is no eigenvector) and <= the product of the single-ensemble optima."""
    net = ref.network_optimum((3, 2), ETA_01, (1, 1), starts=3)
    assert max(net.values) - min(net.values) < 1e-8 * net.value
    f5 = ref.full_space_optimum(5, ETA_01, starts=1).value
    assert net.value > 4 / f5 * (1 + 1e-3)
    assert net.value >= 4 / ref.ce_closed_form(5, ETA_01)
    prod = 1 / ref.full_space_optimum(3, ETA_01, starts=1).value \
        + 1 / ref.full_space_optimum(2, ETA_01, starts=1).value
    assert net.value < prod * (1 - 1e-3)


def test_bad_input_raises():
    with pytest.raises(ValueError, match="N"):
        ref.full_space_optimum(9, 0.9)
    with pytest.raises(ValueError, match="eta"):
        ref.full_space_optimum(3, 1.5)
    with pytest.raises(ValueError, match="ns"):
        ref.network_optimum((4, 3), 0.9, (1, 1))
    with pytest.raises(ValueError, match="v"):
        ref.network_optimum((2, 2), 0.9, (1, 1, 1))


# --------------------------------------------------------------------------- slow

@pytest.mark.slow
@pytest.mark.parametrize("n", [6, 7, 8])
def test_large_n_seesaw_agrees_with_lbfgs(n):
    seesaw = ref.full_space_optimum(n, ETA_01, starts=1, seed=21)
    lbfgs = ref.lbfgs_optimum(n, ETA_01, starts=1, seed=22)
    assert seesaw.value == pytest.approx(lbfgs.value, rel=1e-9)
    assert ref.ket_qfi(ref.ghz_ket(n), ETA_01) <= seesaw.value <= ref.ce_closed_form(n, ETA_01)


@pytest.mark.slow
def test_three_equal_ensembles_reduce_to_one():
    f6 = ref.lbfgs_optimum(6, ETA_01, starts=2).value
    net = ref.network_optimum((2, 2, 2), ETA_01, (1, 1, 1), starts=2)
    assert net.value == pytest.approx(9 / f6, rel=1e-8)
