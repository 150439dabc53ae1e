"""``"optimal"`` among the probes of ``compare`` (issue 11), and comparisons without a noise time.

The optimised probe is a row like the others (its state re-evaluated by the noise code every
probe goes through), never above a menu probe it starts from, never below the limit it reports;
the limit stands next to the menu in the table, the verdict and the JSON.  Numbers checked here
come from closed forms (the paper's ||v||_1^2/N^2; Huelga et al.'s per-unit-time optimum
2 e gamma / n of every menu probe of the dephased gradient), not from the code under test.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from qsn_qutip import Network, QSNError, QubitEnsemble
from qsn_qutip.noise import NoiseModel
from qsn_qutip.probes import BUILTIN_PROBES, DEFAULT_PROBES
from qsn_qutip.report import compare
from qsn_qutip.report.optimal import OPTIMAL, PROBE_NAMES, check_probe_name

GRADIENT = np.array([-1.0, 1.0]) / np.sqrt(2)
MENU = ["ghz", "local-ghz", "product"]


def _net(*ns):
    return Network([QubitEnsemble(n) for n in ns])


def test_optimal_is_opt_in_and_a_valid_name():
    assert OPTIMAL not in DEFAULT_PROBES and OPTIMAL not in BUILTIN_PROBES
    assert PROBE_NAMES == (*BUILTIN_PROBES, OPTIMAL)
    assert check_probe_name("optimal") == "optimal"
    with pytest.raises(QSNError, match=r"probes\[1\]: unknown probe 'optimum'.*'optimal'"):
        compare(_net(2, 2), v=[1, -1], probes=["ghz", "optimum"])
    with pytest.raises(QSNError, match=r"probes are \[.*'optimal'\]"):
        compare(_net(2, 2), v=[1, -1], probes=["frobnicate"])


def test_default_comparison_runs_no_search():
    result = compare(_net(2, 2), v=[1, -1])
    assert result.optimal is None and OPTIMAL not in [p.name for p in result.probes]
    assert "optimal:" not in str(result) and "optimal" not in result.to_dict()["limit"]


def test_noiseless_optimal_row_reaches_the_paper_bound():
    """Free allocation, no noise: ||v||_1^2 / N^2 (Eq. 1), the limit equal to it."""
    v = np.array([1.0, -1.0])
    result = compare(_net(2, 2), v=v, probes=[*MENU, "optimal"], seed=3)
    paper = np.sum(np.abs(v)) ** 2 / 4 ** 2
    row = result["optimal"]
    assert row.bound == pytest.approx(paper, rel=1e-6)
    assert result.optimal.limit == pytest.approx(paper, rel=1e-6)
    assert row.separable is False and row.ranked and row.allocation == [2, 2]
    assert "converged" in row.note
    assert row.bound <= min(result[p].bound for p in MENU) * (1 + 1e-9)


@pytest.fixture(scope="module")
def noisy():
    """4 + 4 qubits, gamma t = 0.1, fixed hardware: the global GHZ loses to local GHZ."""
    return compare(_net(4, 4), v=GRADIENT, probes=[*MENU, "optimal"], resources="fixed",
                   noise=NoiseModel(dephasing=0.1, time=1.0), seed=1)


def test_noisy_optimal_row_between_limit_and_menu(noisy):
    row, best = noisy["optimal"], noisy.optimal
    assert best is not None and best.per == "shot" and best.converged
    assert best.limit <= row.bound * (1 + 1e-9)
    for name in MENU:
        assert row.bound <= noisy[name].bound * (1 + 1e-9), name
    # the row is the state re-evaluated by apply_noise + noisy_qfim: the optimiser's number
    assert row.bound == pytest.approx(best.bound, rel=1e-8)
    np.testing.assert_allclose(row.qfim, best.qfim, rtol=1e-8, atol=1e-12)
    assert noisy.verdict.best == "optimal"
    # at gamma t = 0.1 the global GHZ state is worse than local GHZ states:
    # e^{4n gamma t}/(2 n^2) = e^{1.6}/32 against e^{2n gamma t}/n^2 = e^{0.8}/16
    assert noisy["ghz"].bound == pytest.approx(math.exp(1.6) / 32, rel=1e-10)
    assert noisy["local-ghz"].bound == pytest.approx(math.exp(0.8) / 16, rel=1e-10)


def test_limit_is_stated_next_to_the_menu(noisy):
    best = noisy.optimal
    text = str(noisy)
    line = next(x for x in text.splitlines() if x.startswith("optimal:"))
    assert f"entanglement can gain at most {best.max_gain:.4g} x here" in line
    assert f"the best probe found gains {best.gain:.4g} x" in line
    assert best.gain <= best.max_gain * (1 + 1e-9)
    assert "entanglement can gain at most" in noisy.verdict.reason
    assert "optimal:" in noisy._repr_html_()
    document = json.loads(json.dumps(noisy.to_dict(), allow_nan=False))
    summary = document["limit"]["optimal"]
    assert set(summary) == {"bound", "limit", "separable_bound", "product_bound", "gain",
                            "max_gain", "per", "time", "allocation", "converged", "notes",
                            "text"}
    assert summary["limit"] <= summary["bound"] <= summary["separable_bound"]
    assert summary["max_gain"] == pytest.approx(summary["separable_bound"] / summary["limit"])
    assert document["task"]["per"] == "shot"
    row = noisy.sweep_row()
    assert row["optimal"] == pytest.approx(best.bound, rel=1e-8)
    assert row["optimal:limit"] == pytest.approx(best.limit)


def test_optimal_that_does_not_apply_is_a_row_with_the_reason():
    """Decay is not covered by the search: the row is n/a, the menu still compared."""
    result = compare(_net(2, 2), v=[1, -1], probes=["product", "optimal"],
                     noise=NoiseModel(decay=0.1, time=0.5))
    assert result["optimal"].bound is None and "no optimised probe" in result["optimal"].note
    assert "decay" in result["optimal"].note
    assert result.optimal is None and result["product"].bound is not None


def test_bad_seed_is_refused():
    with pytest.raises(QSNError, match="seed"):
        compare(_net(2, 2), v=[1, -1], probes=["optimal"], seed=-1)
    with pytest.raises(QSNError, match="seed"):
        compare(_net(2, 2), v=[1, -1], probes=["optimal"], seed=1.5)


# -- no interrogation time: every probe at its own best time ---------------------------------------
def test_without_time_every_menu_probe_reaches_huelgas_value():
    """Per unit time under local dephasing the gradient's GHZ, local GHZ and product probes
    all reach Var*T = 2 e gamma / n, at t* = 1/(4 n gamma), 1/(2 n gamma), 1/(2 gamma)."""
    n, gamma, mu = 3, 0.2, 4
    result = compare(_net(n, n), v=GRADIENT, probes=MENU, repeats=mu,
                     noise=NoiseModel(dephasing=gamma, time=None))
    expected_t = {"ghz": 1 / (4 * n * gamma), "local-ghz": 1 / (2 * n * gamma),
                  "product": 1 / (2 * gamma)}
    for name, t in expected_t.items():
        row = result[name]
        assert row.optimal_time == pytest.approx(t, rel=1e-5)
        assert row.omega_bound == pytest.approx(2 * math.e * gamma / n, rel=1e-8)
        assert row.bound == pytest.approx(2 * math.e * gamma / n / mu, rel=1e-8)
    assert result.limit is None and "per unit time" in result.limit_note
    assert "no interrogation time given" in str(result)
    assert result.to_dict()["task"]["noise"]["time"] is None
    assert result.to_dict()["task"]["per"] == "time"
    assert "Huelga" in result.verdict.reason


def test_without_time_optimal_beats_the_menu_per_unit_time():
    """2 + 2 qubits: the optimised probe (time optimised with the state) goes below the
    menu's common 2 e gamma / n and stays above its own limit; its gain stays below e."""
    n, gamma = 2, 0.1
    result = compare(_net(n, n), v=GRADIENT, probes=[*MENU, "optimal"], resources="fixed",
                     noise=NoiseModel(dephasing=gamma, time=None), seed=1)
    best, row = result.optimal, result["optimal"]
    assert best.per == "time" and best.time > 0
    menu = 2 * math.e * gamma / n
    assert row.bound < menu * (1 - 1e-3)
    assert best.limit <= row.bound * (1 + 1e-9) and best.limit <= best.bound * (1 + 1e-9)
    assert result.limit == pytest.approx(best.limit)
    assert best.product_bound / best.bound < math.e


def test_without_time_all_parameters_with_weights_have_no_best_time():
    with pytest.raises(QSNError, match="no probe applies.*without a \\[noise\\] time"):
        compare(_net(2, 2), weights=[1, 1], probes=MENU,
                noise=NoiseModel(dephasing=0.1, time=None))


def test_without_time_and_without_a_rate_is_refused():
    with pytest.raises(QSNError, match="time=None.*give noise.time"):
        compare(_net(2, 2), v=[1, -1], noise=NoiseModel(transmission=0.9, time=None))
