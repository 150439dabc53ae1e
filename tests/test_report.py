"""compare(): per-probe bounds against the paper's closed forms, verdicts and errors; the
resource constraints (total / fixed), the limit, the time-shared reference, the mean-resource
flag and the statement of the paper each verdict cites (issue 10)."""

from itertools import product as cartesian

import numpy as np
import pytest
import qutip

from qsn_qutip import (MultiLevelAtom, Network, OpticalMode, QSNError, QubitEnsemble,
                       ghz_bound, separable_bound, states)
from qsn_qutip.probes import STATE_PROBES
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


# -- resource constraints, the limit and the verdict's wording (issue 10) -----------------------

CURVATURE = np.array([1.0, -2.0, 1.0]) / np.sqrt(6)


@pytest.fixture
def uneven():
    """Three ensembles of 4, 7 and 9 qubits: no allocation of them fits Eq. 1 for the curvature."""
    return Network([QubitEnsemble(4), QubitEnsemble(7), QubitEnsemble(9)])


def _best_separable_total(v, N):
    """min over integer allocations n >= 1 summing to N of sum_k v_k^2 / n_k^2 (brute force)."""
    return min(sum(x ** 2 / m ** 2 for x, m in zip(v, n))
               for n in cartesian(range(1, N + 1), repeat=len(v)) if sum(n) == N)


def test_uneven_network_under_the_papers_constraint(uneven):
    result = compare(uneven, v=CURVATURE)                  # resources="total", the default
    assert result.resources == "total" and result.verdict.resources == "total"
    assert not result["ghz"].applies and "ghz-type" in result["ghz"].note
    # GHZ-type at the bottleneck allocation 5 + 10 + 5: ||v||_1^2 / N^2
    paper = (4 / np.sqrt(6)) ** 2 / 20 ** 2
    assert result["optimal-ghz"].allocation == [5, 10, 5]
    assert result["optimal-ghz"].bound == pytest.approx(paper, rel=1e-10)
    assert result["optimal-separable"].bound == pytest.approx(
        _best_separable_total(CURVATURE, 20), rel=1e-10)
    assert result.verdict.best == "optimal-ghz"
    assert result.verdict.best_separable == "optimal-separable"
    assert result.verdict.ratio == pytest.approx(paper / _best_separable_total(CURVATURE, 20),
                                                 rel=1e-9)
    assert result.verdict.ratio < 0.35
    assert result.limit == pytest.approx(paper, rel=1e-10)
    for name in ("ghz-type", "optimal-ghz", "local-ghz", "product", "optimal-separable"):
        assert result[name].ranked and "total" in result[name].satisfies, name
    assert not result["time-shared"].ranked and result["time-shared"].satisfies == ()


def test_uneven_network_on_fixed_hardware(uneven):
    result = compare(uneven, v=CURVATURE, resources="fixed")
    limit = (2 / 7) ** 2 / 6                                   # sensor 2: |v_2| / n_2 largest
    local = (1 / 16 + 4 / 49 + 1 / 81) / 6                     # sum_k v_k^2 / n_k^2
    assert result.limit == pytest.approx(limit, rel=1e-12)
    assert "sensor 2" in result.limit_note
    assert result["ghz-type"].bound == pytest.approx(limit, rel=1e-9)
    assert result["local-ghz"].bound == pytest.approx(local, rel=1e-12)
    assert result.verdict.best == "ghz-type" and result.verdict.best_separable == "local-ghz"
    assert result.verdict.ratio == pytest.approx(limit / local, rel=1e-9)
    # the re-allocating probes are reported, not ranked, and say why
    for name in ("optimal-ghz", "optimal-separable"):
        assert result[name].applies and not result[name].ranked
        assert result[name].satisfies == ("total",)
        assert "re-allocates" in result[name].rank_note
    assert "optimal-ghz reaches" in result.verdict.reason      # smaller, and why not ranked
    text = str(result)
    assert "fixed: n = 4+7+9" in text and "optimal-ghz (x)" in text
    assert f"limit: {limit:.6g}" in text
    assert "verdict: ghz-type is best under the fixed constraint" in text


def test_the_resource_constraint_is_checked(uneven):
    with pytest.raises(QSNError, match='resources must be "total"'):
        compare(uneven, v=CURVATURE, resources="free")


def test_time_shared_is_a_labelled_reference_even_when_smallest(uneven):
    result = compare(uneven, v=CURVATURE, resources="fixed")
    ref = result["time-shared"]
    assert ref.bound < result[result.verdict.best].bound       # the smallest number ...
    assert not ref.ranked and "reference" in ref.rank_note     # ... says why it is not ranked
    assert "time-shared is a reference, not ranked" in result.verdict.reason
    assert "time-shared (ref)" in str(result)
    doc = result.to_dict()
    entry = next(p for p in doc["probes"] if p["name"] == "time-shared")
    assert entry["ranked"] is False and entry["satisfies"] == [] and "reference" in entry["note"]


def test_json_names_the_constraint_per_probe_and_the_limit(uneven):
    doc = compare(uneven, v=CURVATURE, resources="fixed").to_dict()
    assert doc["resources"]["constraint"] == "fixed"
    assert doc["limit"]["bound"] == pytest.approx((2 / 7) ** 2 / 6, rel=1e-12)
    sat = {p["name"]: p["satisfies"] for p in doc["probes"]}
    assert sat["ghz-type"] == ["total", "fixed"] and sat["optimal-ghz"] == ["total"]
    assert sat["ghz"] == []                                     # n/a
    assert doc["verdict"]["resources"] == "fixed" and doc["verdict"]["like_for_like"] is True


def test_the_sweep_row_states_the_constraint_and_why_probes_are_missing(uneven):
    row = compare(uneven, v=CURVATURE, resources="fixed").sweep_row()
    assert row["best"] == "ghz-type" and row["resources"] == "fixed"
    assert row["ghz"] is None and "ghz: Eq. 1 needs" in row["notes"]
    assert "optimal-ghz: not ranked" in row["notes"]


@pytest.mark.parametrize("left", range(2, 10))
def test_gradient_best_does_not_flip_with_the_particle_number(left):
    """Issue 10: the best probe flipped between GHZ and separable with N mod 4."""
    net = Network([QubitEnsemble(left), QubitEnsemble(4)])
    total = compare(net, v=GRADIENT)
    assert total.verdict.best in ("ghz", "ghz-type", "optimal-ghz")    # ties: first listed
    n = (left + 4) // 2                      # bottleneck allocation n, N - n: (1/2) / n^2
    assert total[total.verdict.best].bound == pytest.approx(0.5 / n ** 2, rel=1e-10)
    assert total.verdict.ratio < 1
    if (left + 4) % 2 == 0:
        assert total.verdict.ratio == pytest.approx(0.5, rel=1e-10)
    fixed = compare(net, v=GRADIENT, resources="fixed")
    assert fixed.verdict.best in ("ghz", "ghz-type") and fixed.verdict.ratio < 1
    # fixed hardware: limit (1/sqrt2)^2 / min(n)^2 against local GHZ (1/2)(1/n1^2 + 1/n2^2)
    n_min = min(left, 4)
    assert fixed.limit == pytest.approx(0.5 / n_min ** 2, rel=1e-12)
    assert fixed.verdict.ratio == pytest.approx(
        (0.5 / n_min ** 2) / (0.5 * (1 / left ** 2 + 1 / 16)), rel=1e-9)


def test_mixed_probes_and_ancillas_do_not_beat_the_limit():
    net = Network([QubitEnsemble(2), QubitEnsemble(3)]).with_ancillas()
    v = np.array([1.0, -1.0])
    mine = [(f"random {k}", states.random_pure(net, seed=k)) for k in range(3)]
    mine += [(f"mixed {k}", states.random_mixed(net, rank=3, seed=k)) for k in range(3)]
    result = compare(net, v=v, probes=["ghz-type", *mine], resources="fixed")
    assert result.limit == pytest.approx(1 / 4, rel=1e-12)          # (1/2)^2, sensor 1
    assert result["ghz-type"].bound == pytest.approx(1 / 4, rel=1e-9)
    for probe in result.probes:
        assert probe.bound >= result.limit * (1 - 1e-9), probe.name


def test_probes_with_different_mean_resources_are_flagged():
    modes = Network([OpticalMode(2, generator=None), OpticalMode(2), OpticalMode(2),
                     OpticalMode(2)])
    noon = states.generalized_noon(modes, 2)
    result = compare(modes, probes=["local-ghz", ("generalised NOON", noon)])
    assert result["generalised NOON"].resources == pytest.approx(2, rel=1e-12)
    assert result["local-ghz"].resources == pytest.approx(3, rel=1e-12)
    assert "not like for like" in result["generalised NOON"].resource_note
    assert result.verdict.like_for_like is False
    assert "Not like for like" in result.verdict.reason
    assert "2*" in str(result)
    qubits = compare(Network([QubitEnsemble(2), QubitEnsemble(2)]), v=[1, 1])
    assert qubits.verdict.like_for_like and "like for like" not in qubits.verdict.reason


def test_theorem2_only_for_weights_on_noncommuting_generators():
    net = Network([MultiLevelAtom(spin=1, axes="xyz"), MultiLevelAtom(spin=1, axes="xyz")])
    mine = [("mine", states.random_pure(net, seed=2))]
    function = compare(net, v=[1, 0, 0, 1, 0, 0], probes=mine)
    assert not function.verdict.reason.startswith("Theorem 2")
    assert "outside the paper's theorems" in function.verdict.reason
    assert "often requires sensor-entangled states" in function.verdict.reason
    assert function.limit is None and "one parameter per sensor" in function.limit_note
    one = compare(net, v=[0, 0, 1, 0, 0, 0], probes=mine)        # a single parameter
    assert one.verdict.reason.startswith("Theorem 2")
    weighted = compare(net, probes=mine)
    assert weighted.verdict.reason.startswith("Theorem 2")
    assert weighted.limit is None and "weights" in weighted.limit_note


def test_no_limit_for_weights_and_why(gradient):
    result = compare(gradient, probes=("local-ghz", "product"))
    assert result.limit is None and "not for all parameters" in result.limit_note
    assert "limit: no limit stated" in str(result)


def test_every_builtin_state_satisfies_the_fixed_constraint_on_qubits(gradient):
    result = compare(gradient, v=GRADIENT, probes=STATE_PROBES, resources="fixed")
    assert all("fixed" in p.satisfies for p in result.probes)


def test_a_user_state_cut_off_by_a_fock_cutoff_is_noted_in_the_comparison():
    """Coherent state, mean photon number 6, Kerr mode at cutoff 12: the truncated state's QFI is
    about 9 % below the true 4 Var(n^2); the comparison says so (with the weight) instead of
    presenting the number plainly."""
    import warnings

    net = Network([OpticalMode(12, "kerr", name="a"), OpticalMode(12, "kerr", name="b")])
    cut = qutip.tensor(qutip.coherent(13, np.sqrt(6)), qutip.coherent(13, np.sqrt(6)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = compare(net, weights=[1, 1], probes=[("coherent", cut)])
    note = result["coherent"].note
    assert note and "sensor 'a'" in note and "truncated" in note
    assert "0.0383" in note
    exact = compare(Network([OpticalMode(40, "kerr"), OpticalMode(40, "kerr")]), weights=[1, 1],
                    probes=[("coherent", qutip.tensor(qutip.coherent(41, np.sqrt(6)),
                                                      qutip.coherent(41, np.sqrt(6))))])
    assert not exact["coherent"].note or "truncated" not in exact["coherent"].note


def test_compare_on_non_commuting_generators_says_where_it_is_evaluated():
    from qsn_qutip.modelfile import load_model
    model = load_model("models/vector_field.toml")
    at_zero = model.compare()
    assert np.array_equal(at_zero.phi, np.zeros(6))
    assert "evaluated at phi = 0 (the generators do not commute" in str(at_zero)
    assert at_zero.to_dict()["task"]["phi"] == [0.0] * 6
    point = [0.4, -0.3, 0.7, 0.2, 0.5, -0.6]
    elsewhere = compare(model.network, weights=model.weights, probes=model.probes, phi=point)
    assert np.allclose(elsewhere.phi, point) and "evaluated at phi = [0.4" in str(elsewhere)
    assert elsewhere["separable"].bound != pytest.approx(at_zero["separable"].bound, rel=1e-3)


def test_noisy_qfim_of_a_dense_state_takes_the_point_where_generators_do_not_commute():
    """No noise channel acts on spin-xyz atoms, but noisy_qfim also takes any dense state: on
    non-commuting generators it needs phi (as qfim does) and then agrees with qfim at phi."""
    from qsn_qutip import noisy_qfim, qfim, states

    net = Network([MultiLevelAtom(spin=0.5, axes="xyz")])
    rho = states.random_mixed(net, rank=2, seed=3)
    with pytest.raises(QSNError, match="phi"):
        noisy_qfim(rho, net)
    phi = [0.3, -0.2, 0.1]
    np.testing.assert_allclose(noisy_qfim(rho, net, phi=phi),
                               qfim(rho, net.local_generators, phi=phi), atol=1e-12)
