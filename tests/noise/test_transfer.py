"""The Schur-Weyl transfer of local dephasing: the recursion in j against exact rational
arithmetic and the explicit sum, what the builder keeps, and how it skips what it does not.

References here do not use the recursion: Python ``fractions`` with a rational c (the explicit
positive sum of ``Sym^n``, exactly), and the explicit sum in floating point (``method="sparse"``).
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
import qutip

import qsn_qutip.noise.builder as builder
import qsn_qutip.noise.schur_weyl as sw
from qsn_qutip import QubitEnsemble
from qsn_qutip.noise import local_dephasing
from qsn_qutip.noise.schur_weyl import DickeTransfer, log_sym_columns


def exact_transfer_squared(N: int, c: Fraction, two_j: int, k: int, kp: int) -> Fraction:
    """T_j(k, k')^2 in exact arithmetic from the explicit sum (module docstring)."""
    n, p, q = two_j, (two_j + N) // 2 - k, (two_j + N) // 2 - kp
    a, b = 1 / (1 + c), c / (1 + c)
    total = sum(math.comb(q, s) * math.comb(n - q, p - s) * a ** (n - p - q + 2 * s)
                * b ** (p + q - 2 * s) for s in range(min(p, q) + 1) if 0 <= p - s <= n - q)
    low = (N - two_j) // 2
    d_j = math.comb(N, low) * (two_j + 1) // (N - low + 1)
    pre = d_j * (1 - c) ** low * (1 + c) ** ((N + two_j) // 2)
    return (pre * total) ** 2 * Fraction(math.comb(n, q), math.comb(n, p)) / (
        math.comb(N, k) * math.comb(N, kp))


@pytest.mark.parametrize("N, c", [(61, Fraction(19, 20)), (40, Fraction(1, 2)),
                                  (25, Fraction(1, 100))])
def test_recursion_against_exact_rational_arithmetic(N, c):
    gamma_t = -math.log(float(c))
    transfer = DickeTransfer(N, gamma_t, np.arange(N + 1), "dense")
    blocks = {b.j: b for b in transfer.blocks()}
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sw, "TABLE_ROWS", 0)                       # the two-pass route
        two_pass = DickeTransfer(N, gamma_t, np.arange(N + 1), "dense")
        mats = dict(two_pass.matrices({j: np.arange(b.ks.size) for j, b in blocks.items()}))
    for j, block in blocks.items():
        for table in (block.table, mats[j]):
            for a in range(0, block.ks.size, 3):
                for b in range(a, block.ks.size, 4):
                    exact = exact_transfer_squared(N, c, int(2 * j), int(block.ks[a]),
                                                   int(block.ks[b]))
                    if exact < Fraction(1, 10 ** 600):
                        continue
                    err = abs(Fraction(float(table[a, b])) ** 2 - exact) / exact
                    assert err < 1e-12, (j, a, b, float(err))


@pytest.mark.parametrize("gamma_t", [1e-9, 0.05, 0.7, 6.0, 80.0])
def test_recursion_against_the_explicit_sum(gamma_t):
    N = 90
    ks = np.array([3, 30, 44, 45, 46, 70, 88])
    dense = list(DickeTransfer(N, gamma_t, ks, "dense").blocks())
    sparse = list(DickeTransfer(N, gamma_t, ks, "sparse").blocks())
    assert [b.j for b in dense] == [b.j for b in sparse]
    for x, y in zip(dense, sparse):
        np.testing.assert_array_equal(x.ks, y.ks)
        np.testing.assert_allclose(x.table, y.table, rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("gamma_t", [1e-6, 0.05, 2.0, 30.0])
def test_every_population_ends_in_some_block(gamma_t):
    """Local dephasing keeps the populations of m: sum_j T_j(k, k) = 1 for every k."""
    N = 400
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sw, "TABLE_ROWS", 0)
        total = np.zeros(N + 1)
        for b in DickeTransfer(N, gamma_t, np.arange(N + 1), "dense").blocks():
            total[b.ks] += b.diag
    np.testing.assert_allclose(total, 1.0, rtol=0, atol=1e-12)


@pytest.mark.parametrize("n", [1, 2, 9, 120])
@pytest.mark.parametrize("gamma_t", [1e-8, 0.05, 1.5])
def test_column_recursion_against_the_explicit_sum(n, gamma_t):
    p = np.arange(n + 1)
    got = log_sym_columns(n, p, p, gamma_t)
    c = math.exp(-gamma_t)
    log_a = -math.log1p(c)
    P, Q = np.meshgrid(p, p, indexing="ij")
    ref = sw.log_sym_entries(np.full(P.shape, n), P, Q, log_a, log_a - gamma_t)
    ok = ref > -700
    np.testing.assert_allclose(np.exp(got[ok] - ref[ok]), 1.0, rtol=1e-11)


def test_tail_bounds_the_blocks_below():
    N = 60
    transfer = DickeTransfer(N, 0.3, np.arange(N + 1), "dense")
    blocks = list(transfer.blocks())
    for b in blocks:
        below = np.zeros(N + 1)
        for other in blocks:
            if other.j < b.j:
                below[other.ks] += other.diag
        assert np.all(below <= transfer.tail(b.j) * (1 + 1e-12) + 1e-300)


@pytest.mark.parametrize("N, gamma_t", [(300, 0.05), (700, 0.02)])
def test_shortcuts_change_nothing_but_a_rigorous_bound(N, gamma_t):
    """The two-pass route, its start at the first kept block, and the blocks skipped by the
    binomial tail give the same blocks as the plain recursion over every pair."""
    psi = QubitEnsemble(N).spin_coherent(1.3, 0.2)
    ens = QubitEnsemble(N)
    fast = local_dephasing(psi, ens, gamma_t)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sw, "TABLE_ROWS", 10 ** 6)                 # one pass over all pairs
        mp.setattr(builder._Builder, "first_block", lambda self: None)     # no block skipped
        plain = local_dephasing(psi, ens, gamma_t)
    assert [b.j for b in fast.blocks] == [b.j for b in plain.blocks]
    for x, y in zip(fast.blocks, plain.blocks):
        np.testing.assert_array_equal(x.index, y.index)
        np.testing.assert_allclose(x.rho, y.rho, rtol=1e-10, atol=1e-16)
    assert fast.qfi() == pytest.approx(plain.qfi(), rel=1e-11)
    assert fast.truncation_error <= 1e-13 and plain.truncation_error <= 1e-13


@pytest.mark.slow
def test_only_kept_blocks_are_built():
    """A spin-coherent state of 2000 qubits keeps about 140 of 1001 blocks; its QFI is the
    closed form N e^{-2 gamma t}."""
    N, gamma_t = 2000, 0.05
    ens = QubitEnsemble(N)
    k = np.arange(N + 1)
    amp = np.exp(0.5 * (math.lgamma(N + 1) - np.array([math.lgamma(x + 1) + math.lgamma(N - x + 1)
                                                         for x in k])) - 0.5 * N * math.log(2))
    css = qutip.Qobj(amp, dims=[[N + 1], [1]])               # |+>^N in closed form
    noisy = local_dephasing(css, ens, gamma_t)
    assert 100 < len(noisy.blocks) < 200
    assert max(b.rho.shape[0] for b in noisy.blocks) < 500
    assert noisy.qfi() == pytest.approx(N * math.exp(-2 * gamma_t), rel=1e-9)
