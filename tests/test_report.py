"""compare(): per-probe bounds against the paper's closed forms, verdicts and errors."""

import numpy as np
import pytest
import qutip

from qsn_qutip import (MultiLevelAtom, Network, OpticalMode, QSNError, QubitEnsemble,
                       ghz_bound, separable_bound, states)
from qsn_qutip.report import BUILTIN_PROBES, Comparison, compare

GRADIENT = np.array([-1.0, 1.0]) / np.sqrt(2)


@pytest.fixture
def gradient():
    return Network([QubitEnsemble(4), QubitEnsemble(4)])


def test_gradient_comparison_matches_the_paper(gradient):
    result = compare(gradient, v=GRADIENT)
    assert isinstance(result, Comparison)
    assert result["ghz"].bound == pytest.approx(1 / 32, rel=1e-12)
    assert result["local-ghz"].bound == pytest.approx(1 / 16, rel=1e-12)
    assert result["product"].bound == pytest.approx(1 / 4, rel=1e-12)     # SQL: 1/N
    assert result["optimal-separable"].bound == pytest.approx(1 / 16, rel=1e-12)
    assert result["time-shared"].bound == pytest.approx(ghz_bound(GRADIENT, 8), rel=1e-12)
    assert result.verdict.best == "ghz"
    assert result.verdict.best_separable in ("local-ghz", "optimal-separable")
    assert result.verdict.ratio == pytest.approx(0.5, rel=1e-12)
    assert "global function" in result.verdict.reason
    assert "fixed" in result.verdict.reason          # the time-shared caveat
    assert result["ghz"].allocation == [4, 4]
    assert result["ghz"].resources == pytest.approx(8)
    assert result["ghz"].separable is False and result["local-ghz"].separable is True


@pytest.mark.parametrize("d", [2, 3, 4])
def test_average_of_d_parameters_gains_one_over_d(d):
    net = Network([QubitEnsemble(2) for _ in range(d)])
    v = np.ones(d) / np.sqrt(d)
    result = compare(net, v=v, probes=("ghz", "optimal-ghz", "local-ghz", "optimal-separable"))
    assert result["ghz"].bound == pytest.approx(ghz_bound(v, 2 * d), rel=1e-12)
    assert result["optimal-separable"].bound == pytest.approx(separable_bound(v, 2 * d),
                                                              rel=1e-12)
    assert result.verdict.ratio == pytest.approx(1 / d, rel=1e-12)


def test_uneven_v_uses_exact_integer_allocations():
    net = Network([QubitEnsemble(2) for _ in range(3)])
    v = np.array([1.0, 2.0, 3.0])
    result = compare(net, v=v, probes=("ghz", "optimal-ghz", "local-ghz",
                                       "optimal-separable", "time-shared"))
    assert not result["ghz"].applies and "n = [1, 2, 3]" in result["ghz"].note
    assert result["optimal-ghz"].allocation == [1, 2, 3]
    assert result["optimal-ghz"].bound == pytest.approx(ghz_bound(v, 6), rel=1e-12)
    assert result["optimal-separable"].allocation == [1, 2, 3]
    assert result["optimal-separable"].bound == pytest.approx(1 + 1 + 1, rel=1e-12)
    assert result["local-ghz"].bound == pytest.approx((1 + 4 + 9) / 4, rel=1e-12)
    assert result.verdict.best == "optimal-ghz"
    assert result.verdict.best_separable == "optimal-separable"


def test_independent_parameters_follow_theorem1(gradient):
    result = compare(gradient, probes=("ghz", "local-ghz", "product"), repeats=10)
    assert not result["ghz"].applies
    assert result["local-ghz"].bound == pytest.approx(2 / 16 / 10, rel=1e-12)
    assert result.verdict.best == "local-ghz"
    assert result.verdict.reason.startswith("Theorem 1")


def test_noncommuting_network_cites_theorem2():
    net = Network([MultiLevelAtom(spin=1, axes="xyz"), MultiLevelAtom(spin=1, axes="xyz")])
    mine = states.random_pure(net, seed=2)
    result = compare(net, probes=(("mine", mine), "local-ghz"))
    assert not result["local-ghz"].applies
    assert result.verdict.best == "mine"
    assert result.verdict.reason.startswith("Theorem 2")


def test_user_states_are_classified(gradient):
    entangled = states.ghz_like(gradient, GRADIENT)
    product = states.product(gradient)
    mixed = qutip.ket2dm(product)
    result = compare(gradient, v=GRADIENT, probes=(("a", entangled), ("b", product),
                                                   ("c", mixed)))
    assert result["a"].separable is False
    assert result["b"].separable is True
    assert result["c"].separable is None
    assert result["a"].bound == pytest.approx(1 / 32, rel=1e-12)
    assert result["c"].bound == pytest.approx(result["b"].bound, rel=1e-10)


def test_table_is_readable(gradient):
    text = str(compare(gradient, v=GRADIENT))
    for name in ("ghz", "local-ghz", "product", "optimal-separable", "time-shared"):
        assert name in text
    assert "0.03125" in text and "verdict: ghz is best" in text


def test_optical_modes_time_shared_reference():
    net = Network([OpticalMode(2), OpticalMode(2)])
    result = compare(net, v=[1.0, 1.0], probes=("ghz", "optimal-separable", "time-shared"))
    # all 4 photons in one mode's NOON-like (|0> + |4>)/sqrt2: QFI 16 per shot, shares 1/2
    assert result["time-shared"].bound == pytest.approx(2 ** 2 / 16, rel=1e-12)
    assert result["ghz"].bound == pytest.approx(ghz_bound([1, 1], 4), rel=1e-12)


@pytest.mark.parametrize("kwargs, match", [
    (dict(v=[1.0]), "length 2"),
    (dict(v=[0.0, 0.0]), "non-zero"),
    (dict(v=[1.0, 1.0], weights=[1.0, 1.0]), "not both"),
    (dict(weights=[-1.0, 1.0]), "non-negative"),
    (dict(probes=("nope",)), "unknown probe"),
    (dict(probes="ghz"), "list"),
    (dict(probes=(("x", qutip.rand_ket(3)),)), "dims"),
    (dict(probes=("ghz", "ghz"), v=[1.0, 1.0]), "distinct"),
    (dict(repeats=0), "repeats"),
], ids=["short-v", "zero-v", "v-and-weights", "negative-weight", "unknown", "string",
        "bad-dims", "duplicate", "repeats"])
def test_bad_input_is_a_clear_error(gradient, kwargs, match):
    with pytest.raises(QSNError, match=match):
        compare(gradient, **kwargs)


def test_every_builtin_probe_is_known():
    net = Network([QubitEnsemble(2), QubitEnsemble(2)])
    result = compare(net, v=[1.0, 1.0], probes=BUILTIN_PROBES)
    assert [p.name for p in result.probes] == list(BUILTIN_PROBES)
    assert all(p.applies for p in result.probes)
