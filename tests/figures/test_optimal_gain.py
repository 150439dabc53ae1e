"""The optimal-gain figure: the gradient on two qubit ensembles under local dephasing.

Every number is checked against closed forms or an independent brute-force search written
here (full 2^N qubit space, the dephasing as a Hamming-distance mask on the density matrix, the
QFIM from its eigen-decomposition), never against the optimiser's own pieces:

* GHZ-like probe: v^T F^+ v = exp(4 n gamma t)/(2 n^2) (one coherence over all 2n qubits);
* product state: exp(2 gamma t)/n;
* the limit for w = sign(v): ||v||_1^2 (1/N^2 + (exp(2 gamma t) - 1)/N) (channel extension,
  Demkowicz-Dobrzanski, Kolodynski and Guta 2012, with S = N qubits);
* the optimised probe and the best separable probe at N = 2 and 4 against brute force.
"""

from __future__ import annotations

import csv
import itertools
from pathlib import Path

import numpy as np
import pytest
import scipy.optimize

from qsn_qutip import QSNError
from qsn_qutip.figures import FIGURES, optimal_gain

GALLERY = Path(__file__).resolve().parents[2] / "figures"
GAMMA_T = 0.1
V = np.array([1.0, -1.0]) / np.sqrt(2)


@pytest.fixture(scope="module")
def small():
    return optimal_gain.compute(n_values=(1, 2), gamma_t=GAMMA_T)


def _rows(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(line for line in handle if not line.startswith("#")))


# -- an independent brute force ---------------------------------------------------------------
def _full_model(sizes, gamma_t):
    """Dephasing mask exp(-gamma t)^hamming(b, b') and the J_z diagonal of every sensor."""
    bits = np.array(list(itertools.product((0, 1), repeat=sum(sizes))))      # 1: spin down
    mask = np.exp(-gamma_t) ** np.count_nonzero(bits[:, None, :] != bits[None, :, :], axis=2)
    diagonals, start = [], 0
    for n in sizes:
        diagonals.append(np.sum(0.5 - bits[:, start:start + n], axis=1))
        start += n
    return mask, diagonals


def _bound(x, mask, diagonals, v):
    psi = x / np.linalg.norm(x)
    lam, U = np.linalg.eigh(np.outer(psi, psi) * mask)
    total, diff = lam[:, None] + lam[None, :], lam[:, None] - lam[None, :]
    weight = np.divide(2 * diff ** 2, total, out=np.zeros_like(total), where=total > 1e-12)
    rotated = [U.T @ (h[:, None] * U) for h in diagonals]
    F = np.array([[np.sum(weight * a * b) for b in rotated] for a in rotated])
    return float(v @ np.linalg.pinv(F, rcond=1e-10) @ v)


def _brute(sizes, v, starts=3, seed=0):
    mask, diagonals = _full_model(sizes, GAMMA_T)
    rng = np.random.default_rng(seed)
    return min(scipy.optimize.minimize(_bound, rng.normal(size=mask.shape[0]),
                                       args=(mask, diagonals, v), method="BFGS").fun
               for _ in range(starts))


# -- the numbers ---------------------------------------------------------------------------
def test_menu_and_limit_against_closed_forms(small):
    n = small.N / 2
    np.testing.assert_allclose(small.bounds["ghz"], np.exp(4 * n * GAMMA_T) / (2 * n ** 2),
                               rtol=1e-9)
    np.testing.assert_allclose(small.bounds["product"], np.exp(2 * GAMMA_T) / n, rtol=1e-9)
    limit = 2 * (1 / small.N ** 2 + np.expm1(2 * GAMMA_T) / small.N)
    np.testing.assert_allclose(small.bounds["limit"], limit, rtol=1e-6)
    np.testing.assert_allclose(small.gains["separable"], 1.0)
    assert small.gamma_t == GAMMA_T and small.seed == 1 and small.converged.all()


def test_optimum_and_separable_against_brute_force(small):
    """N = 2 and 4 in the full 2^N space (the search covers the Dicke subspaces only); the best
    separable probe is 1/F of one ensemble's best state (F = diag(F1, F1))."""
    for k, n in enumerate((1, 2)):
        assert small.bounds["optimal"][k] == pytest.approx(_brute([n, n], V), rel=1e-5)
    assert small.bounds["separable"][0] == pytest.approx(np.exp(2 * GAMMA_T), rel=1e-9)
    assert small.bounds["separable"][1] == pytest.approx(_brute([2], np.array([1.0])),
                                                         rel=1e-5)


def test_gains_are_ordered(small):
    g = small.gains
    assert np.all(g["optimal"] >= np.maximum(g["ghz"], 1.0) * (1 - 1e-9))
    assert np.all(g["limit"] >= g["optimal"] * (1 - 1e-9))
    assert np.all(g["product"] <= 1 + 1e-9)


def test_state_panel_is_the_optimum_of_the_largest_n(small):
    a = small.amplitudes
    assert a.shape == (3, 3) and small.state_N == 4
    assert np.linalg.norm(a) == pytest.approx(1.0, rel=1e-12)
    np.testing.assert_allclose(small.m, [1.0, 0.0, -1.0])
    mask, diagonals = _full_model([2, 2], GAMMA_T)
    # the Dicke state |k1, k2> of 2 + 2 qubits in the full space
    dicke = np.zeros((16, 3, 3))
    for index, bits in enumerate(itertools.product((0, 1), repeat=4)):
        k1, k2 = sum(bits[:2]), sum(bits[2:])
        dicke[index, k1, k2] = 1 / np.sqrt([1, 2, 1][k1] * [1, 2, 1][k2])
    psi = np.einsum("ikl,kl->i", dicke, a)
    assert _bound(psi, mask, diagonals, V) == pytest.approx(small.bounds["optimal"][1],
                                                            rel=1e-9)


def test_committed_csv_tells_the_story():
    """The gallery's numbers (figures/optimal-gain.csv): GHZ gains at small N only, the
    optimised probe keeps a gain, below the limit; the closed forms hold at every N."""
    rows = _rows(GALLERY / "optimal-gain.csv")
    gain = [r for r in rows if r["series"] == "gain"]
    N = np.array([float(r["N"]) for r in gain])
    col = {key: np.array([float(r[key]) for r in gain]) for key in gain[0]
           if key not in ("series", "converged")}
    n = N / 2
    # the file holds 3 significant digits (optimal_gain.CSV_STATE_DIGITS): rounding <= 5e-3
    rounding = 0.5 * 10.0 ** (1 - optimal_gain.CSV_STATE_DIGITS)
    np.testing.assert_allclose(col["bound_ghz"], np.exp(4 * n * GAMMA_T) / (2 * n ** 2),
                               rtol=rounding)
    np.testing.assert_allclose(col["bound_limit"],
                               2 * (1 / N ** 2 + np.expm1(2 * GAMMA_T) / N), rtol=rounding)
    assert col["gain_ghz"][0] > 1.5 and col["gain_ghz"][-1] < 0.6
    assert np.all(col["gain_optimal"] > 1.1)
    assert np.all(col["gain_optimal"] < col["max_gain"])
    assert all(r["converged"] == "true" for r in gain)
    state = [r for r in rows if r["series"] == "state"]
    amplitudes = np.array([float(r["amplitude"]) for r in state])
    assert len(state) == (N[-1] / 2 + 1) ** 2
    assert np.sum(amplitudes ** 2) == pytest.approx(1.0, rel=2 * rounding)


# -- the figure ----------------------------------------------------------------------------
def test_registered_plotted_and_written(small, tmp_path):
    assert FIGURES["optimal-gain"] is optimal_gain
    fig, axes = optimal_gain.plot(small)
    assert len(axes) == 2 and axes[0].get_title() and axes[1].images
    optimal_gain.to_csv(small, tmp_path / "g.csv")
    rows = _rows(tmp_path / "g.csv")
    assert [r["series"] for r in rows] == ["gain"] * 2 + ["state"] * 9
    assert float(rows[0]["gain_ghz"]) == pytest.approx(2 * np.exp(-0.2), rel=5e-3)   # 3 digits
    assert small.gains["ghz"][0] == pytest.approx(2 * np.exp(-0.2), rel=1e-9)
    assert "exp(4 n gamma t)/(2 n^2)" in (tmp_path / "g.csv").read_text()
    fig, axes = optimal_gain.plot(small, style="paper")
    assert [a.get_title(loc="left") for a in axes] == ["(a)", "(b)"] and fig.legends


def test_bad_input_names_the_argument():
    with pytest.raises(QSNError, match="n_values"):
        optimal_gain.compute(n_values=(2, 1))
    with pytest.raises(QSNError, match="gamma_t"):
        optimal_gain.compute(n_values=(1,), gamma_t=0)
    with pytest.raises(QSNError, match="state_n"):
        optimal_gain.compute(n_values=(1,), state_n=2)
