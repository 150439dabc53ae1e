"""Cramér-Rao bounds: qcrb and function_bound against direct linear algebra and closed forms,
the exact integer allocation against brute-force enumeration, the paper's closed forms for
separable and GHZ-like probes, and input errors."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from qsn_qutip import (Network, QSNError, QubitEnsemble, best_separable_allocation,
                       function_bound, ghz_bound, qcrb, qfim, separable_bound, states)
from qsn_qutip.bounds import allocation_variance


def _random_spd(d: int, seed: int) -> np.ndarray:
    a = np.random.default_rng(seed).normal(size=(d, d))
    return a @ a.T + 0.1 * np.eye(d)


# ----------------------------------------------------------------------------------------
# qcrb and function_bound
# ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("d", [1, 2, 4], ids=["d1", "d2", "d4"])
@pytest.mark.parametrize("seed", [0, 1, 2], ids=["seed0", "seed1", "seed2"])
def test_qcrb_is_trace_of_w_f_inverse(d, seed):
    F = _random_spd(d, seed)
    inv = np.linalg.inv(F)
    w = np.random.default_rng(seed + 10).uniform(0, 2, d)
    assert qcrb(F) == pytest.approx(np.trace(inv), rel=1e-10)
    assert qcrb(F, w) == pytest.approx(np.trace(np.diag(w) @ inv), rel=1e-10)
    assert qcrb(F, w, repeats=7) == pytest.approx(np.trace(np.diag(w) @ inv) / 7, rel=1e-10)
    u = np.random.default_rng(seed + 20).normal(size=d)
    assert function_bound(F, u) == pytest.approx(u @ inv @ u, rel=1e-10)
    assert function_bound(F, u, repeats=3) == pytest.approx(u @ inv @ u / 3, rel=1e-10)


def test_qcrb_docstring_examples():
    assert qcrb([[16.0, 0.0], [0.0, 16.0]]) == 0.125
    assert qcrb([[16.0, -16.0], [-16.0, 16.0]]) == float("inf")


@pytest.mark.parametrize("F,weights,expected", [
    (np.diag([4.0, 0.0]), [1, 0], 0.25),                    # zero weight on the null direction
    (np.diag([4.0, 0.0]), [1, 1], np.inf),
    (np.diag([4.0, 0.0]), [0, 1], np.inf),
    (16 * np.array([[1.0, -1.0], [-1.0, 1.0]]), [1, 0], np.inf),   # GHZ-like: singular
    (np.array([[2.0, 0, 0], [0, 1, 1], [0, 1, 1]]), [3, 0, 0], 1.5),
    (np.array([[2.0, 0, 0], [0, 1, 1], [0, 1, 1]]), [0, 1, 0], np.inf),
    (np.zeros((2, 2)), [1, 1], np.inf),
], ids=["null-unweighted", "null-weighted", "only-null", "ghz-like",
        "block-estimable", "block-not-estimable", "zero"])
def test_qcrb_singular(F, weights, expected):
    assert qcrb(F, weights) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("v", [(1.0, 2.0), (-1.0, 1.0), (0.5, -0.25, 0.25), (1.0, 1.0, 1.0, 1.0)],
                         ids=["uneven", "gradient", "three", "average"])
@pytest.mark.parametrize("N,kappa", [(6, 1.0), (12, 2.0)], ids=["N6", "N12-kappa2"])
def test_function_bound_of_ghz_like_qfim(v, N, kappa):
    v = np.asarray(v)
    F = kappa ** 2 * N ** 2 * np.outer(v, v) / np.abs(v).sum() ** 2      # rank one
    expected = np.abs(v).sum() ** 2 / (kappa ** 2 * N ** 2)
    assert function_bound(F, v) == pytest.approx(expected, rel=1e-10)
    assert function_bound(F, v) == pytest.approx(ghz_bound(v, N, kappa), rel=1e-10)
    assert function_bound(F, 3 * v) == pytest.approx(9 * expected, rel=1e-10)
    # any direction not parallel to v is out of the range of the rank-one QFIM
    other = np.roll(v, 1) + np.eye(v.size)[0]
    assert function_bound(F, other) == float("inf")
    assert qcrb(F) == float("inf")


def test_function_bound_on_computed_gradient_qfim():
    net = Network([QubitEnsemble(3), QubitEnsemble(3)])
    v = np.array([-1.0, 1.0]) / np.sqrt(2)
    F = qfim(states.ghz_like(net, v), net.local_generators)
    assert function_bound(F, v) == pytest.approx(2 / 36, rel=1e-12)
    assert function_bound(F, [1.0, 1.0]) == float("inf")
    assert function_bound(F, [1.0, 0.0]) == float("inf")


def test_function_bound_of_diagonal_qfim_is_the_allocation_variance():
    v = np.array([0.3, -1.2, 0.0, 2.0])
    n = np.array([1, 3, 2, 4])
    F = np.diag((2.0 * n) ** 2)                            # local GHZ with kappa = 2
    assert function_bound(F, v) == pytest.approx(np.sum(v ** 2 / (2.0 * n) ** 2), rel=1e-12)
    assert function_bound(F, v) == pytest.approx(allocation_variance(v, n, kappa=2.0),
                                                 rel=1e-12)
    assert allocation_variance(v, n, kappa=2.0, repeats=5) == pytest.approx(
        allocation_variance(v, n, kappa=2.0) / 5, rel=1e-12)
    assert allocation_variance(v, [1, 0, 2, 4]) == float("inf")   # v_2 != 0 without particles
    assert allocation_variance(v, [1, 3, 0, 4]) < float("inf")    # v_3 = 0: none needed


# ----------------------------------------------------------------------------------------
# the best separable allocation
# ----------------------------------------------------------------------------------------
def _brute_force(v, N) -> float:
    """The smallest sum v_k^2/n_k^2 over all integer allocations (zero-v sensors get none)."""
    v = np.asarray(v, dtype=float)
    active = np.flatnonzero(v)
    best = np.inf
    for n in itertools.product(range(1, N + 1), repeat=active.size):
        if sum(n) == N:
            best = min(best, float(np.sum(v[active] ** 2 / np.square(n))))
    return best


ALLOCATION_CASES = [(v, N) for v, Ns in [
    ((1.0,), (1, 5)),
    ((1.0, 1.0), (2, 7)),
    ((1.0, 3.0), (2, 5, 9)),
    ((-1.0, 8.0), (2, 9)),
    ((0.0, 2.0, -1.0), (2, 6)),
    ((0.2, -0.7, 1.3, 0.0), (3, 8, 11)),
] for N in Ns] + [
    (tuple(np.round(np.random.default_rng(s).normal(size=d), 3) * (np.arange(d) != z)), N)
    for s, d, z, N in [(0, 3, 9, 7), (1, 4, 1, 9), (2, 3, 0, 10), (3, 4, 9, 12), (4, 2, 9, 13)]
]


@pytest.mark.parametrize("v,N", ALLOCATION_CASES,
                         ids=[",".join(f"{x:g}" for x in v) + f"-N{N}"
                              for v, N in ALLOCATION_CASES])
def test_best_separable_allocation_matches_brute_force(v, N):
    n = best_separable_allocation(v, N)
    v = np.asarray(v)
    assert n.dtype.kind == "i" and n.shape == v.shape
    assert n.sum() == N
    assert np.all(n[v == 0] == 0) and np.all(n[v != 0] >= 1)
    assert allocation_variance(v, n) == pytest.approx(_brute_force(v, N), rel=1e-12)
    # the continuous relaxation is a lower bound on every integer allocation
    assert separable_bound(v, N) <= allocation_variance(v, n) * (1 + 1e-12)


@pytest.mark.parametrize("v,N", [((1.0, 1.0, 1.0), 4), ((1.0, 12.0), 9), ((1.0, 1.0, 1.0), 5)],
                         ids=["rounding-loses-a-particle", "rounding-is-suboptimal",
                              "rounding-adds-a-particle"])
def test_allocation_is_not_the_rounded_continuous_optimum(v, N):
    v = np.asarray(v)
    share = N * np.abs(v) ** (2 / 3) / np.sum(np.abs(v) ** (2 / 3))
    rounded = np.rint(share).astype(int)
    n = best_separable_allocation(v, N)
    assert n.sum() == N
    assert allocation_variance(v, n) == pytest.approx(_brute_force(v, N), rel=1e-12)
    # rounding either misses the particle budget or wastes precision
    assert rounded.sum() != N or allocation_variance(v, rounded) > allocation_variance(v, n)


def test_rounding_is_suboptimal_for_one_twelve():
    # v = (1, 12), N = 9: n ~ (1, 12^(2/3)) = (1.44, 7.56) rounds to (1, 8): 1 + 144/64 = 3.25,
    # whereas (2, 7) gives 1/4 + 144/49 = 3.1888
    assert best_separable_allocation([1.0, 12.0], 9).tolist() == [2, 7]
    assert allocation_variance([1.0, 12.0], [1, 8]) == pytest.approx(3.25, rel=1e-12)
    assert allocation_variance([1.0, 12.0], [2, 7]) == pytest.approx(0.25 + 144 / 49, rel=1e-12)


def test_allocation_docstring_example():
    assert best_separable_allocation([1, 1, 1, 1], 8).tolist() == [2, 2, 2, 2]


# ----------------------------------------------------------------------------------------
# closed forms of the paper
# ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("d", [1, 2, 3, 5], ids=["d1", "d2", "d3", "d5"])
def test_average_of_d_parameters_gains_one_over_d(d):
    v = np.ones(d) / d
    N = 6 * d
    assert ghz_bound(v, N) == pytest.approx(1 / N ** 2, rel=1e-12)        # ||v||_1 = 1
    assert separable_bound(v, N) == pytest.approx(d / N ** 2, rel=1e-12)  # ||v||_{2/3}^2 = d
    assert ghz_bound(v, N) / separable_bound(v, N) == pytest.approx(1 / d, rel=1e-12)


def test_gradient_gains_one_half():
    v = np.array([-1.0, 1.0]) / np.sqrt(2)
    assert ghz_bound(v, 8) == pytest.approx(1 / 32, rel=1e-12)
    assert separable_bound(v, 8) == pytest.approx(1 / 16, rel=1e-12)
    assert ghz_bound(v, 8) / separable_bound(v, 8) == pytest.approx(0.5, rel=1e-12)


@pytest.mark.parametrize("v,N,kappa", [((1.0, 8.0), 5, 1.0), ((-27.0, 1.0, 8.0), 14, 3.0)],
                         ids=["1-8", "27-1-8"])
def test_separable_bound_is_attained_by_an_exact_allocation(v, N, kappa):
    # |v|^(2/3) = (1, 4) and (9, 1, 4): N |v|^(2/3)/sum is an integer vector, so the
    # continuous optimum is an integer allocation
    n = best_separable_allocation(v, N)
    np.testing.assert_allclose(n, N * np.abs(v) ** (2 / 3) / np.sum(np.abs(v) ** (2 / 3)),
                               rtol=1e-12)
    assert separable_bound(v, N, kappa) == pytest.approx(allocation_variance(v, n, kappa),
                                                         rel=1e-12)
    norm = np.sum(np.abs(v) ** (2 / 3)) ** 1.5
    assert separable_bound(v, N, kappa) == pytest.approx(norm ** 2 / (kappa * N) ** 2,
                                                         rel=1e-12)


@pytest.mark.parametrize("func", [separable_bound, ghz_bound], ids=["separable", "ghz"])
def test_closed_forms_scale_with_kappa_n_and_repeats(func):
    v = [0.3, -0.4, 1.2]
    base = func(v, 10)
    assert func(v, 20) == pytest.approx(base / 4, rel=1e-12)
    assert func(v, 10, kappa=3.0) == pytest.approx(base / 9, rel=1e-12)
    assert func(v, 10, repeats=6) == pytest.approx(base / 6, rel=1e-12)
    assert func(np.multiply(v, -2), 10) == pytest.approx(4 * base, rel=1e-12)


def test_ghz_never_worse_than_separable():
    rng = np.random.default_rng(5)
    for _ in range(20):
        v = rng.normal(size=int(rng.integers(1, 6)))
        assert ghz_bound(v, 10) <= separable_bound(v, 10) * (1 + 1e-12)


# ----------------------------------------------------------------------------------------
# errors
# ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("call,match", [
    (lambda: qcrb(np.ones(3)), "square d x d"),
    (lambda: qcrb(np.ones((2, 3))), "square d x d"),
    (lambda: qcrb(np.zeros((0, 0))), "square d x d"),
    (lambda: qcrb([[1.0, 2.0], [3.0]]), "square d x d matrix of real numbers"),
    (lambda: qcrb("F"), "square d x d matrix of real numbers"),
    (lambda: qcrb(np.eye(2) * (1 + 1j)), "must be real"),
    (lambda: qcrb([[np.nan, 0], [0, 1]]), "NaN or inf"),
    (lambda: qcrb([[1.0, 0.5], [0.0, 1.0]]), "symmetric"),
    (lambda: qcrb([[1.0, 0.0], [0.0, -1.0]]), "positive semidefinite"),
    (lambda: qcrb(np.eye(2), [1.0, -1.0]), "non-negative"),
    (lambda: qcrb(np.eye(2), [1.0]), "length 2"),
    (lambda: qcrb(np.eye(2), repeats=0), "repeats must be an integer >= 1"),
    (lambda: qcrb(np.eye(2), repeats=2.0), "repeats must be an integer"),
    (lambda: function_bound(np.eye(2), [1.0, 2.0, 3.0]), "length 2"),
    (lambda: function_bound(np.eye(2), [1.0, np.inf]), "NaN or inf"),
    (lambda: function_bound(np.eye(2), [1.0, 1.0], repeats=-1), "repeats must be"),
    (lambda: best_separable_allocation([0.0, 0.0], 4), "non-zero entry"),
    (lambda: best_separable_allocation([1.0, 1.0, 1.0], 2), "cannot cover the 3 sensors"),
    (lambda: best_separable_allocation([1.0], 0), "N must be an integer >= 1"),
    (lambda: best_separable_allocation([1.0, np.nan], 3), "NaN or inf"),
    (lambda: separable_bound([0.0, 0.0], 4), "non-zero entry"),
    (lambda: ghz_bound([], 4), "non-zero entry"),
    (lambda: separable_bound([1.0, 1.0], 0), "N must be an integer >= 1"),
    (lambda: ghz_bound([1.0, 1.0], 4, kappa=0.0), "kappa must be a positive number"),
    (lambda: ghz_bound([1.0, 1.0], 4, kappa=np.nan), "kappa must be a positive number"),
    (lambda: separable_bound([1.0, 1.0], 4, kappa="one"), "kappa must be a positive number"),
    (lambda: separable_bound([1.0, 1.0], 4, repeats=0), "repeats must be"),
    (lambda: allocation_variance([1.0, 1.0], [1.0]), "length 2"),
], ids=["1d", "not-square", "empty", "ragged", "string", "complex", "nan", "asymmetric",
        "negative", "negative-weight", "weights-length", "repeats-zero", "repeats-float",
        "fb-v-length", "fb-v-inf", "fb-repeats", "alloc-zero-v", "alloc-too-few", "alloc-N0",
        "alloc-nan", "sep-zero-v", "ghz-empty-v", "sep-N0", "ghz-kappa0", "ghz-kappa-nan",
        "sep-kappa-str", "sep-repeats", "alloc-var-length"])
def test_errors(call, match):
    with pytest.raises(QSNError, match=match):
        call()


# ----------------------------------------------------------------------------------------
# range and rank decisions are relative to the scale of F, and empty tasks are refused
# ----------------------------------------------------------------------------------------
def test_a_small_but_real_eigenvalue_is_not_a_null_direction():
    """[[1, 1], [1, 1 + 1e-9]] is invertible (condition number 4e9, far from round-off): its
    inverse has trace (2 + eps)/det, not inf."""
    F = np.array([[1.0, 1.0], [1.0, 1.0 + 1e-9]])
    exact = np.trace(np.linalg.inv(F))
    assert qcrb(F) == pytest.approx(exact, rel=1e-6)
    assert qcrb(1e-12 * F) == pytest.approx(exact * 1e12, rel=1e-6)   # the same F rescaled


@pytest.mark.parametrize("outside", [1e-5, 1e-7], ids=["1e-5", "1e-7"])
def test_a_direction_slightly_outside_the_range_is_not_estimable(outside):
    F = np.array([[16.0, -16.0], [-16.0, 16.0]])             # GHZ: only phi_2 - phi_1
    v = np.array([-1.0, 1.0]) / np.sqrt(2) + outside * np.array([1.0, 1.0])
    assert function_bound(F, v) == np.inf
    assert function_bound(F, np.array([-1.0, 1.0]) / np.sqrt(2)) == pytest.approx(1 / 32)


def test_psd_check_is_relative_to_the_scale():
    with pytest.raises(QSNError, match="positive semidefinite"):
        qcrb(1e-6 * np.array([[1.0, 0.0], [0.0, -0.5]]))


@pytest.mark.parametrize("call", [lambda F: qcrb(F, weights=[0, 0]),
                                  lambda F: function_bound(F, [0, 0])],
                         ids=["weights-zero", "v-zero"])
def test_an_empty_task_is_refused(call):
    with pytest.raises(QSNError, match="weights|v"):
        call(np.eye(2))


def _greedy_from_ones(v, N):
    """The plain greedy from one particle per active sensor (the old algorithm: O(N log d))."""
    v = np.asarray(v, dtype=float)
    n = (v != 0).astype(int)
    for _ in range(N - n.sum()):
        gains = np.where(v != 0, v ** 2 * (1 / np.maximum(n, 1) ** 2 - 1 / (n + 1) ** 2), -1)
        n[int(np.argmax(gains))] += 1
    return n


@pytest.mark.parametrize("seed", range(12))
def test_separable_allocation_from_the_continuous_start_equals_the_plain_greedy(seed):
    rng = np.random.default_rng(seed)
    d = int(rng.integers(1, 6))
    v = rng.normal(size=d) * (rng.random(d) > 0.2)
    if not np.any(v):
        v[0] = 1.0
    N = int(rng.integers(np.count_nonzero(v), 300))
    fast = best_separable_allocation(v, N)
    slow = _greedy_from_ones(v, N)
    assert fast.sum() == N
    assert allocation_variance(v, fast) == pytest.approx(allocation_variance(v, slow), rel=1e-12)


def test_separable_allocation_of_a_huge_total_returns_at_once():
    """best_separable_allocation(v, 10**8) used to take 10^8 heap steps (it hung)."""
    n = best_separable_allocation([1.0, -2.0, 1.0], 10 ** 8)
    assert n.sum() == 10 ** 8
    x = 10 ** 8 * np.array([1, 2 ** (2 / 3), 1]) / (2 + 2 ** (2 / 3))
    assert np.all(np.abs(n - x) <= 1)
