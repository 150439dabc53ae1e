"""The QFIM of block-diagonal states (``estimation/blocks.py``) against closed forms and against
the QFIM of the whole state (``estimation/qfim.py``), which is a different engine."""

from __future__ import annotations

import numpy as np
import pytest
import qutip
import scipy.linalg

from qsn_qutip import QSNError, qfim, tolerances
from qsn_qutip.estimation.blocks import block_qfim, map_blocks, weighted_gram


def random_block(rng, size: int, rank: int, weight: float, complex_: bool) -> np.ndarray:
    a = rng.normal(size=(size, rank)) + (1j * rng.normal(size=(size, rank)) if complex_ else 0)
    rho = a @ a.conj().T
    return weight * rho / np.trace(rho).real


def direct_sum(blocks) -> np.ndarray:
    return scipy.linalg.block_diag(*blocks)


def test_dephased_qubit_closed_form():
    r""":math:`\rho = (1 + c\sigma_x)/2`, :math:`\hat H = \sigma_z/2`: :math:`F = c^2`."""
    for c in (0.0, 0.3, 0.999):
        rho = np.array([[0.5, c / 2], [c / 2, 0.5]])
        F = block_qfim([rho], [[np.array([0.5, -0.5])]])
        assert F[0, 0] == pytest.approx(c ** 2, rel=1e-13, abs=1e-15)


@pytest.mark.parametrize("complex_", [False, True])
def test_blocks_against_the_qfim_of_the_whole_state(complex_):
    rng = np.random.default_rng(3)
    sizes, ranks, weights = (4, 1, 3, 5), (2, 1, 3, 2), (0.2, 0.1, 0.3, 0.4)
    blocks = [random_block(rng, n, r, w, complex_) for n, r, w in zip(sizes, ranks, weights)]
    diagonals = [[rng.normal(size=n), rng.normal(size=n)] for n in sizes]
    F = block_qfim(blocks, diagonals)
    whole = qutip.Qobj(direct_sum(blocks))
    gens = [qutip.Qobj(np.diag(np.concatenate([d[k] for d in diagonals]))) for k in range(2)]
    np.testing.assert_allclose(F, qfim(whole, gens), rtol=1e-10, atol=1e-12)


def test_matrix_generators_on_the_blocks():
    rng = np.random.default_rng(5)
    sizes = (3, 4)
    blocks = [random_block(rng, n, n, w, True) for n, w in zip(sizes, (0.6, 0.4))]
    mats = []
    for n in sizes:
        h = rng.normal(size=(n, n)) + 1j * rng.normal(size=(n, n))
        mats.append((h + h.conj().T) / 2)
    F = block_qfim(blocks, [[h] for h in mats])
    whole = qutip.Qobj(direct_sum(blocks))
    np.testing.assert_allclose(F, qfim(whole, [qutip.Qobj(direct_sum(mats))]), rtol=1e-10)
    # a diagonal given as a matrix or as its diagonal: the same number
    diag = [np.diag(rng.normal(size=n)) for n in sizes]
    np.testing.assert_allclose(block_qfim(blocks, [[d] for d in diag]),
                               block_qfim(blocks, [[np.diag(d)] for d in diag]), rtol=1e-12)


def test_homogeneous_of_degree_one_and_additive():
    """F(s rho) = s F(rho): the blocks of the piqs convention need no degeneracy factor."""
    rng = np.random.default_rng(7)
    rho = random_block(rng, 5, 3, 1.0, True)
    g = [rng.normal(size=5)]
    F = block_qfim([rho], [g])
    np.testing.assert_allclose(block_qfim([0.25 * rho], [g]), 0.25 * F, rtol=1e-12)
    np.testing.assert_allclose(block_qfim([0.5 * rho, 0.5 * rho], [g, g]), F, rtol=1e-12)


def test_tiny_qfi_keeps_relative_precision():
    r"""A long-dephased GHZ pair: coherence :math:`\epsilon` between :math:`m = \pm N/2`,
    :math:`F = N^2\epsilon^2` far below :math:`\mathrm{Tr}\rho H^2 = N^2/4`."""
    for eps in (1e-3, 1e-8, 1e-12):
        rho = np.array([[0.5, eps / 2], [eps / 2, 0.5]])
        F = block_qfim([rho], [[np.array([5.0, -5.0])]])[0, 0]
        assert F == pytest.approx(100 * eps ** 2, rel=1e-10)


def test_eig_cutoff_and_empty_input():
    assert block_qfim([], []).shape == (0, 0)
    rho = np.diag([1.0, 1e-14])
    rho[0, 1] = rho[1, 0] = 0.0
    with tolerances(eig_cutoff=1e-12):
        assert block_qfim([rho], [[np.array([0.0, 1.0])]])[0, 0] == 0.0


@pytest.mark.parametrize("blocks, gens, match", [
    ([np.eye(2) / 2], [], "one entry per block"),
    ([np.eye(2) / 2, np.eye(1) / 2], [[np.zeros(2)], [np.zeros(1), np.zeros(1)]],
     "same number of parameters"),
    ([np.ones((2, 3))], [[np.zeros(2)]], r"blocks\[0\] must be a square matrix"),
    ([np.eye(2) / 2], [[np.zeros(3)]], r"generators\[0\]\[0\]"),
    ([np.diag([1.2, -0.2])], [[np.array([0.0, 1.0])]], "positive semidefinite"),
])
def test_errors_name_the_argument(blocks, gens, match):
    with pytest.raises(QSNError, match=match):
        block_qfim(blocks, gens)


def test_weighted_gram_and_map_blocks():
    rows = [np.array([1.0, 1j]), np.array([2.0, 0.0])]
    np.testing.assert_allclose(weighted_gram(rows), [[4.0, 4.0], [4.0, 8.0]])
    items = list(range(50))
    assert map_blocks(lambda x: x * x, items, work=1e12) == [x * x for x in items]
