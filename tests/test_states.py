"""Probe states: each factory against a hand-built state, and its QFIM against the closed form.

GHZ-like states (Eq. 1) for many v (uneven, negative, three sensors, atoms, optical modes),
local GHZ, product, spin-coherent (Dicke versus full basis), NOON and generalised NOON, and the
random states.
"""

from __future__ import annotations

import numpy as np
import pytest
import qutip

from qsn_qutip import (MultiLevelAtom, Network, OpticalMode, QSNError, QubitEnsemble, qfim,
                       states)
from qsn_qutip.sensors import Ancilla

DOWN, UP = 1, 0      # full-basis qubit levels: |0> is spin up


# ----------------------------------------------------------------------------------------
# GHZ-like states
# ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("basis", ["dicke", "full"])
@pytest.mark.parametrize("n1,n2", [(1, 1), (2, 2), (3, 3)], ids=["1+1", "2+2", "3+3"])
def test_gradient_ghz_like_state_by_hand(basis, n1, n2):
    net = Network([QubitEnsemble(n1, basis=basis), QubitEnsemble(n2, basis=basis)])
    psi = states.ghz_like(net, np.array([-1.0, 1.0]) / np.sqrt(2))
    if basis == "dicke":        # |k> of the Dicke basis has k spins down
        down_up = qutip.tensor(qutip.basis(n1 + 1, n1), qutip.basis(n2 + 1, 0))
        up_down = qutip.tensor(qutip.basis(n1 + 1, 0), qutip.basis(n2 + 1, n2))
    else:
        down_up = qutip.basis([2] * (n1 + n2), [DOWN] * n1 + [UP] * n2)
        up_down = qutip.basis([2] * (n1 + n2), [UP] * n1 + [DOWN] * n2)
    expected = (down_up + up_down) / np.sqrt(2)
    assert psi.dims == expected.dims
    np.testing.assert_allclose(psi.full(), expected.full(), atol=1e-15)


@pytest.mark.parametrize("signs", [(1, 1), (1, -1), (-1, 1), (-1, -1)],
                         ids=["++", "+-", "-+", "--"])
def test_ghz_like_swaps_extremes_where_v_is_negative(signs):
    net = Network([QubitEnsemble(2, basis="full"), QubitEnsemble(4, basis="full")])
    psi = states.ghz_like(net, np.array([1.0, 2.0]) * signs)
    first = [UP if signs[0] > 0 else DOWN] * 2 + [UP if signs[1] > 0 else DOWN] * 4
    second = [1 - b for b in first]
    expected = (qutip.basis([2] * 6, first) + qutip.basis([2] * 6, second)) / np.sqrt(2)
    np.testing.assert_allclose(psi.full(), expected.full(), atol=1e-15)


GHZ_CASES = {
    "qubits-gradient-4+4": ([QubitEnsemble(4), QubitEnsemble(4)],
                            np.array([-1.0, 1.0]) / np.sqrt(2)),
    "qubits-uneven-2+4": ([QubitEnsemble(2), QubitEnsemble(4)], [1.0, 2.0]),
    "qubits-negative-2+4": ([QubitEnsemble(2), QubitEnsemble(4)], [1.0, -2.0]),
    "qubits-full-1+2+1": ([QubitEnsemble(1, basis="full"), QubitEnsemble(2, basis="full"),
                           QubitEnsemble(1, basis="full")], [0.25, -0.5, 0.25]),
    "qubits-average-3x2": ([QubitEnsemble(2)] * 3, np.ones(3) / 3),
    "qubits-mixed-bases": ([QubitEnsemble(3), QubitEnsemble(3, basis="full")], [-3.0, -3.0]),
    "atoms-levels-1+2": ([MultiLevelAtom(levels=[-1, 0, 2]),
                          MultiLevelAtom(levels=[-1, 0, 2], atoms=2)], [0.5, -1.0]),
    "atoms-spin1-2+2": ([MultiLevelAtom(spin=1, atoms=2)] * 2, [1.0, -1.0]),
    "modes-2+3": ([OpticalMode(2), OpticalMode(4, photons=3)], [2.0, -3.0]),
    "modes-1+1+2": ([OpticalMode(1), OpticalMode(1), OpticalMode(2)], [-1.0, 1.0, 2.0]),
}


@pytest.mark.parametrize("sensors,v", list(GHZ_CASES.values()), ids=list(GHZ_CASES))
def test_ghz_like_qfim_closed_form(sensors, v):
    net = Network(sensors)
    v = np.asarray(v, dtype=float)
    psi = states.ghz_like(net, v)
    assert psi.dims[0] == net.ket_dims
    assert psi.norm() == pytest.approx(1.0, abs=1e-14)
    kappa = sensors[0].kappa
    N = sum(net.particles)
    expected = kappa ** 2 * N ** 2 * np.outer(v, v) / np.abs(v).sum() ** 2
    np.testing.assert_allclose(qfim(psi, net.generators), expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(qfim(psi, net.local_generators), expected, rtol=1e-12,
                               atol=1e-12)


def test_ghz_like_with_different_kappas():
    # F = w w^T with w_k = sign(v_k) (lambda_max,n_k - lambda_min,n_k) when the kappas differ
    net = Network([QubitEnsemble(1), MultiLevelAtom(levels=[0, 3], atoms=2), OpticalMode(3)])
    v = [-1.0, 2.0, 3.0]
    w = np.array([-1.0, 2 * 3.0, 3.0])
    psi = states.ghz_like(net, v)
    np.testing.assert_allclose(qfim(psi, net.generators), np.outer(w, w), atol=1e-12)


@pytest.mark.parametrize("numbers,v,match", [
    ((3, 5), (1, 1), r"with N = 8 that is n = \[4, 4\]"),
    ((4, 2), (1, 2), r"with N = 6 that is n = \[2, 4\]"),
    ((1, 1, 4), (1, -2, 3), r"with N = 6 that is n = \[1, 2, 3\]"),
    ((2, 2), (1, 2), "N must be a multiple of 3"),
    ((2, 2), (2, 3), "N must be a multiple of 5"),
    ((2, 4), (1, np.pi), "rational ratios"),
    ((2, 4), (0, 1), "non-zero entries"),
], ids=["even", "uneven", "three-sensors", "multiple-of-3", "multiple-of-5", "irrational",
        "zero-entry"])
def test_ghz_like_says_which_particle_numbers_fit(numbers, v, match):
    net = Network([QubitEnsemble(n) for n in numbers])
    with pytest.raises(QSNError, match=r"proportional to \|v\|") as err:
        states.ghz_like(net, v)
    assert err.match(match)


@pytest.mark.parametrize("numbers,v", [((1, 2, 3), (1, -2, 3)), ((2, 3), (2, 3)),
                                       ((4, 6), (2, 3))], ids=["1-2-3", "2-3", "4-6"])
def test_the_hinted_numbers_work(numbers, v):
    # the numbers an error message proposes (n = ..., multiples of the smallest N) do make
    # a GHZ-like state, with the closed-form QFIM
    net = Network([QubitEnsemble(n) for n in numbers])
    psi = states.ghz_like(net, v)
    v = np.asarray(v, dtype=float)
    np.testing.assert_allclose(qfim(psi, net.local_generators),
                               sum(numbers) ** 2 * np.outer(v, v) / np.abs(v).sum() ** 2,
                               atol=1e-12)


@pytest.mark.parametrize("v,total,expected", [
    ([-1, 1], 8, [4, 4]), ([1, 2], 9, [3, 6]), ([1, 2], 8, None), ([0, 1], 4, None),
    ([1, 1, 1], 2, None), ([0.5, 1.5], 4, [1, 3]),
], ids=["gradient", "uneven", "not-divisible", "zero", "too-few", "fractions"])
def test_proportional_allocation(v, total, expected):
    assert states.proportional_allocation(v, total) == expected


def test_ghz_like_errors():
    with pytest.raises(QSNError, match="at most one parameter per sensor; sensor 2"):
        states.ghz_like(Network([QubitEnsemble(1), MultiLevelAtom(spin=1, axes="xy")]),
                        [1.0, 1.0, 1.0])
    with pytest.raises(QSNError, match="must have length 2"):
        states.ghz_like(Network([QubitEnsemble(2)] * 2), [1.0, 1.0, 1.0])


@pytest.mark.parametrize("probe", ["ghz-like", "local-ghz", "product"])
def test_parameterless_sensors_stay_idle(probe):
    # a phase reference and an ancilla carry no parameter: they sit in their idle state and
    # the QFIM is the one of the sensing part alone
    sensing = [QubitEnsemble(1), MultiLevelAtom(levels=[-1, 0, 2], atoms=2)]
    net = Network([OpticalMode(2, generator=None), sensing[0], Ancilla(sensing[0]),
                   sensing[1]])
    alone = Network(sensing)
    v = [1.0, -2.0]
    make = {"ghz-like": lambda x: states.ghz_like(x, v), "local-ghz": states.local_ghz,
            "product": states.product}[probe]
    psi, expected = make(net), make(alone)
    vacuum, ancilla = qutip.basis(3, 0), qutip.basis(2, 0)
    by_hand = qutip.tensor(vacuum, expected, ancilla).permute([0, 1, 4, 2, 3])
    assert psi.dims[0] == net.ket_dims
    np.testing.assert_allclose(psi.full(), by_hand.full(), atol=1e-15)
    np.testing.assert_allclose(qfim(psi, net.local_generators),
                               qfim(expected, alone.local_generators), atol=1e-12)


# ----------------------------------------------------------------------------------------
# local GHZ and product probes
# ----------------------------------------------------------------------------------------
LOCAL_SENSORS = [QubitEnsemble(3), QubitEnsemble(2, basis="full"),
                 MultiLevelAtom(levels=[-1, 0, 2], atoms=2), MultiLevelAtom(spin=1.5),
                 OpticalMode(3, photons=2), OpticalMode(2, generator="kerr")]


def test_local_ghz_qfim_is_diagonal_with_squared_gaps():
    net = Network(LOCAL_SENSORS)
    gaps = [3.0, 2.0, 3.0 * 2, 3.0, 2.0, 4.0]       # kappa n_k; Kerr: n^2
    psi = states.local_ghz(net)
    by_hand = qutip.tensor([(lo + hi) / np.sqrt(2) for lo, hi in
                            (s.extremal_states() for s in net.sensors)])
    np.testing.assert_allclose(psi.full(), by_hand.full(), atol=1e-15)
    np.testing.assert_allclose(qfim(psi, net.local_generators), np.diag(np.square(gaps)),
                               atol=1e-12)
    for sensor, gap in zip(net.sensors, gaps):
        if sensor.kappa is not None:
            assert gap == pytest.approx(sensor.kappa * sensor.particles)


def test_local_ghz_needs_at_most_one_parameter_per_sensor():
    with pytest.raises(QSNError, match="at most one parameter per sensor; sensor 2"):
        states.local_ghz(Network([QubitEnsemble(2), MultiLevelAtom(spin=1, axes="xyz")]))


def test_product_qfim_is_the_sum_of_standard_quantum_limits():
    net = Network([QubitEnsemble(3), QubitEnsemble(2, basis="full"),
                   MultiLevelAtom(levels=[-1, 0, 2], atoms=2), OpticalMode(12, photons=1)])
    psi = states.product(net)
    assert psi.norm() == pytest.approx(1.0, abs=1e-14)
    expected = np.diag([3.0, 2.0, 2 * 3.0 ** 2, 4 * 1.0])     # n, n, atoms kappa^2, 4 photons
    # the coherent state is truncated at 12 photons (probability ~1e-10 lost)
    np.testing.assert_allclose(qfim(psi, net.local_generators), expected, rtol=1e-8,
                               atol=1e-12)
    for k, sensor in enumerate(net.sensors):
        assert psi.ptrace(list(range(sum(len(s.dims) for s in net.sensors[:k]),
                                     sum(len(s.dims) for s in net.sensors[:k + 1])))
                          ).purity() == pytest.approx(1.0, abs=1e-12)


def test_product_refuses_a_truncated_coherent_state():
    with pytest.raises(QSNError, match="raise the cutoff"):
        states.product(Network([QubitEnsemble(1), OpticalMode(2)]))


# ----------------------------------------------------------------------------------------
# Dicke versus full basis: the same physics, the same QFIM
# ----------------------------------------------------------------------------------------
def _dicke_and_full(numbers):
    return (Network([QubitEnsemble(n) for n in numbers]),
            Network([QubitEnsemble(n, basis="full") for n in numbers]))


@pytest.mark.parametrize("numbers", [(1,), (5,), (2, 2), (1, 3), (2, 1, 2)],
                         ids=["1", "5", "2+2", "1+3", "2+1+2"])
@pytest.mark.parametrize("probe", ["ghz-like", "local-ghz", "product", "spin-coherent"])
def test_dicke_and_full_basis_give_the_same_qfim(numbers, probe):
    dicke, full = _dicke_and_full(numbers)
    rng = np.random.default_rng(sum(numbers))
    theta, phi = rng.uniform(0, np.pi), rng.uniform(-np.pi, np.pi)
    v = np.array(numbers, dtype=float) * np.where(np.arange(len(numbers)) % 2, -1, 1)
    make = {"ghz-like": lambda net: states.ghz_like(net, v),
            "local-ghz": states.local_ghz,
            "product": states.product,
            "spin-coherent": lambda net: states.spin_coherent(net, theta, phi)}[probe]
    F_dicke = qfim(make(dicke), dicke.local_generators)
    F_full = qfim(make(full), full.local_generators)
    np.testing.assert_allclose(F_dicke, F_full, atol=1e-12)
    if probe == "spin-coherent":      # closed form: n sin^2(theta) per ensemble
        np.testing.assert_allclose(np.diag(F_full), np.array(numbers) * np.sin(theta) ** 2,
                                   atol=1e-12)


@pytest.mark.parametrize("bases", [("dicke", "full"), ("full", "dicke")],
                         ids=["dicke-full", "full-dicke"])
@pytest.mark.parametrize("probe", ["ghz-like", "spin-coherent", "mixed"])
def test_mixed_basis_networks_agree(bases, probe, reference):
    numbers = (3, 2)
    net = Network([QubitEnsemble(n, basis=b) for n, b in zip(numbers, bases)])
    dicke, _ = _dicke_and_full(numbers)
    if probe == "ghz-like":
        pair = [states.ghz_like(x, [3.0, -2.0]) for x in (net, dicke)]
    elif probe == "spin-coherent":
        pair = [states.spin_coherent(x, 1.1, 0.4) for x in (net, dicke)]
    else:    # a random mixed state of the symmetric subspace, mapped into the full basis
        rho = states.random_mixed(dicke, rank=3, seed=11).full()
        iso = [reference.dicke_isometry(n) if b == "full" else np.eye(n + 1)
               for n, b in zip(numbers, bases)]
        big = np.kron(iso[0], iso[1])
        pair = [qutip.Qobj(big @ rho @ big.T, dims=net.dims), qutip.Qobj(rho, dims=dicke.dims)]
    F_net = qfim(pair[0], net.local_generators)
    F_dicke = qfim(pair[1], dicke.local_generators)
    np.testing.assert_allclose(F_net, F_dicke, atol=1e-10)


def test_spin_coherent_needs_qubits():
    with pytest.raises(QSNError, match="needs qubit ensembles; sensor 2"):
        states.spin_coherent(Network([QubitEnsemble(1), MultiLevelAtom(spin=0.5)]))


# ----------------------------------------------------------------------------------------
# NOON and generalised NOON
# ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("N", [1, 2, 3, 4], ids=["N1", "N2", "N3", "N4"])
@pytest.mark.parametrize("extra", [0, 2], ids=["cutoff=N", "cutoff=N+2"])
def test_noon(N, extra):
    net = Network([OpticalMode(N + extra), OpticalMode(N + extra)])
    psi = states.noon(net, N)
    by_hand = (qutip.tensor(qutip.basis(N + extra + 1, N), qutip.basis(N + extra + 1, 0))
               + qutip.tensor(qutip.basis(N + extra + 1, 0), qutip.basis(N + extra + 1, N)))
    np.testing.assert_allclose(psi.full(), by_hand.full() / np.sqrt(2), atol=1e-15)
    F = qfim(psi, net.generators)
    np.testing.assert_allclose(F, N ** 2 * np.array([[1, -1], [-1, 1]]), atol=1e-12)


def _generalized_noon_qfim(d: int, N: int, alpha: float) -> np.ndarray:
    b2 = (1 - alpha ** 2) / d
    return 4 * N ** 2 * (np.eye(d) * b2 - b2 ** 2 * np.ones((d, d)))


@pytest.mark.parametrize("d", [1, 2, 3], ids=["d1", "d2", "d3"])
@pytest.mark.parametrize("alpha", [None, 0.0, 0.3, 0.8], ids=["optimal", "a0", "a0.3", "a0.8"])
@pytest.mark.parametrize("reference_at", ["first", "last"])
def test_generalized_noon_closed_form(d, alpha, reference_at):
    N = 2
    ref = OpticalMode(N, generator=None)
    modes = [OpticalMode(N) for _ in range(d)]
    sensors = [ref] + modes if reference_at == "first" else modes + [ref]
    net = Network(sensors)
    index = 0 if reference_at == "first" else d
    psi = states.generalized_noon(net, N, alpha, reference=index)
    assert psi.norm() == pytest.approx(1.0, abs=1e-14)
    a = 1 / np.sqrt(1 + np.sqrt(d)) if alpha is None else alpha
    b = np.sqrt((1 - a ** 2) / d)
    # amplitude a on |N> in the reference mode, b on |N> in each phase mode
    for k in range(d + 1):
        occupation = [0] * (d + 1)
        occupation[k] = N
        amp = psi.overlap(qutip.basis(net.ket_dims, occupation))
        assert amp == pytest.approx(a if k == index else b, abs=1e-14)
    F = qfim(psi, net.local_generators)
    np.testing.assert_allclose(F, _generalized_noon_qfim(d, N, a), atol=1e-12)
    if alpha is None:         # the optimum of Humphreys et al.
        assert np.trace(np.linalg.inv(F)) == pytest.approx(d * (1 + np.sqrt(d)) ** 2
                                                            / (4 * N ** 2), rel=1e-12)


def test_generalized_noon_with_more_photons():
    d, N = 2, 3
    net = Network([OpticalMode(N, generator=None), OpticalMode(4), OpticalMode(N)])
    F = qfim(states.generalized_noon(net, N, 0.5), net.generators)
    np.testing.assert_allclose(F, _generalized_noon_qfim(d, N, 0.5), atol=1e-12)


@pytest.mark.parametrize("make,match", [
    (lambda: states.noon(Network([OpticalMode(2)] * 3), 2), "two modes"),
    (lambda: states.noon(Network([QubitEnsemble(2), OpticalMode(2)]), 2),
     "needs optical modes; sensor 1"),
    (lambda: states.noon(Network([OpticalMode(2), OpticalMode(3)]), 3),
     "needs cutoff >= 3; sensor 1 has cutoff 2"),
    (lambda: states.noon(Network([OpticalMode(2)] * 2), 0), "photons must be"),
    (lambda: states.generalized_noon(Network([OpticalMode(2)] * 2), 2, reference=2),
     "reference must index"),
    (lambda: states.generalized_noon(Network([OpticalMode(2)]), 2), "at least 2"),
    (lambda: states.generalized_noon(Network([OpticalMode(2)] * 2), 2, alpha=1.5),
     r"alpha must lie in \[0, 1\]"),
    (lambda: states.generalized_noon(Network([OpticalMode(2)] * 2), 2, alpha=np.nan),
     r"alpha must lie in \[0, 1\]"),
], ids=["noon-three-modes", "noon-qubits", "noon-cutoff", "noon-zero-photons",
        "gnoon-reference", "gnoon-one-mode", "gnoon-alpha", "gnoon-alpha-nan"])
def test_noon_errors(make, match):
    with pytest.raises(QSNError, match=match):
        make()


# ----------------------------------------------------------------------------------------
# random states
# ----------------------------------------------------------------------------------------
RANDOM_NET = Network([QubitEnsemble(2), MultiLevelAtom(spin=0.5, axes="xz"),
                      OpticalMode(1, photons=1)])


def test_random_pure_is_reproducible():
    a, b = states.random_pure(RANDOM_NET, seed=5), states.random_pure(RANDOM_NET, seed=5)
    assert a.isket and a.dims[0] == RANDOM_NET.ket_dims
    assert a.norm() == pytest.approx(1.0, abs=1e-14)
    np.testing.assert_array_equal(a.full(), b.full())
    assert abs(a.overlap(states.random_pure(RANDOM_NET, seed=6))) < 0.99


@pytest.mark.parametrize("rank", [1, 3, None], ids=["rank1", "rank3", "full-rank"])
def test_random_mixed_is_reproducible_with_the_right_rank(rank):
    rho = states.random_mixed(RANDOM_NET, rank=rank, seed=9)
    again = states.random_mixed(RANDOM_NET, rank=rank, seed=9)
    np.testing.assert_array_equal(rho.full(), again.full())
    assert rho.dims == RANDOM_NET.dims
    mat = rho.full()
    np.testing.assert_allclose(mat, mat.conj().T, atol=1e-15)
    assert np.trace(mat).real == pytest.approx(1.0, abs=1e-13)
    lam = np.linalg.eigvalsh(mat)
    assert lam.min() > -1e-14
    expected_rank = RANDOM_NET.size if rank is None else rank
    assert np.count_nonzero(lam > 1e-12) == expected_rank
    other = states.random_mixed(RANDOM_NET, rank=rank, seed=10).full()
    assert np.abs(mat - other).max() > 1e-3


@pytest.mark.parametrize("rank,match", [(0, "rank must be an integer >= 1"),
                                        (13, "at most the dimension 12"),
                                        (2.5, "rank must be an integer")],
                         ids=["zero", "too-big", "float"])
def test_random_mixed_rank_errors(rank, match):
    with pytest.raises(QSNError, match=match):
        states.random_mixed(RANDOM_NET, rank=rank, seed=1)


# -- large ensembles through compare and qsn run (the README's claim) -------------------------------
def _two_ensembles_model(tmp_path, n: int):
    path = tmp_path / "large.toml"
    path.write_text(f'[[sensor]]\nname = "left"\nkind = "qubits"\nn = {n}\n'
                    f'[[sensor]]\nname = "right"\nkind = "qubits"\nn = {n}\n'
                    f'[task]\nweights = [1, 1]\n')
    return path


def _product_bound(out: str) -> float:
    line = next(line for line in out.splitlines() if line.startswith("product "))
    return float(line.split()[3])


@pytest.mark.parametrize("n", [2000, pytest.param(10 ** 4, marks=pytest.mark.slow)])
def test_large_ensembles_through_compare_and_qsn_run(n, tmp_path, run_qsn):
    """Two ensembles of n qubits (D = (n+1)^2, 10^8 amplitudes at n = 10^4): the product
    probe's bound is v^T F^-1 v = 2/n with F = diag(n, n) for v = (-1, 1) (and Tr F^-1 = 2/n
    for weights (1, 1) in ``qsn run``), the GHZ-like one ||v||_1^2/N^2; about 1 s at n = 2000
    and 20 s (2.4 GiB) at n = 10^4."""
    from qsn_qutip import compare
    net = Network([QubitEnsemble(n, name="left"), QubitEnsemble(n, name="right")])
    result = compare(net, v=[-1, 1], probes=["product", "ghz"])
    bounds = {p["name"]: p["bound"] for p in result.to_dict()["probes"]}
    assert bounds["product"] == pytest.approx(2 / n, rel=1e-9)
    assert bounds["ghz"] == pytest.approx(4 / (2 * n) ** 2, rel=1e-9)
    code, out, err = run_qsn("run", _two_ensembles_model(tmp_path, n))
    assert code == 0, err
    assert _product_bound(out) == pytest.approx(2 / n, rel=1e-5)


# -- seeds and networks checked --------------------------------------------------------------------
@pytest.mark.parametrize("make", [
    lambda net: states.random_pure(net, seed=-1),
    lambda net: states.random_mixed(net, seed=-3),
    lambda net: states.random_pure(net, seed=2.5),
], ids=["pure-negative", "mixed-negative", "pure-float"])
def test_random_states_check_the_seed(make):
    with pytest.raises(QSNError, match="seed must be an integer >= 0"):
        make(Network([QubitEnsemble(2)]))


@pytest.mark.parametrize("builder", ["local_ghz", "product", "random_pure", "random_mixed"])
def test_a_list_of_sensors_is_not_a_network(builder):
    with pytest.raises(QSNError, match=r"network must be a Network, got list: wrap the sensors"):
        getattr(states, builder)([QubitEnsemble(2)])


def test_builders_refuse_spaces_that_do_not_fit():
    big = Network([QubitEnsemble(1)] * 64)
    for build in (states.product, states.local_ghz, states.random_pure,
                  lambda net: states.ghz_like(net, [1] * 64)):
        with pytest.raises(QSNError, match="D = 18446744073709551616 would need 256.0 EiB"):
            build(big)
    with pytest.raises(QSNError, match="random_mixed: a dense operator of dimension D = 1048576"):
        states.random_mixed(Network([QubitEnsemble(1)] * 20))
