"""The QFIM whatever the generators' storage: structure found in dense, CSR and diagonal data.

Every fast path against independent references (``tests/conftest.py``, or plain NumPy on the
whole space): diagonal generators stored dense (``qutip.Qobj(np.diag(h), dims=...)``,
``.to("dense")``) or sparse on the whole space, local ones (acting on one tensor factor)
stored dense, non-diagonal ones diagonalised on their factor (layers of rotated
eigenvectors, degenerate levels), generic dense ones, and the one-pass kernel of kets on
many sensors (several generators per factor, overlapping supports, factors no generator
touches, trailing factors wider than a block).
"""

from __future__ import annotations

import numpy as np
import pytest
import qutip

from qsn_qutip import LocalOperator, MultiLevelAtom, Network, QubitEnsemble, qfim, states
from qsn_qutip.operators import apply_generator, checked_forms, local_form
from qsn_qutip.options import tolerances


def _dense(gens):
    return [g.to("dense") for g in gens]


def _np_diag(gens, dims):
    """Diagonal generators as most QuTiP users write them: a dense Qobj from np.diag."""
    return [qutip.Qobj(np.diag(g.diag()), dims=[dims, dims]) for g in gens]


def _embed(op: np.ndarray, dims: list[int], lo: int, hi: int) -> np.ndarray:
    """``1 (x) op (x) 1`` with op on ``dims[lo:hi]`` (plain NumPy)."""
    return np.kron(np.kron(np.eye(int(np.prod(dims[:lo]))), op), np.eye(int(np.prod(dims[hi:]))))


# ----------------------------------------------------------------------------------------
# the structure itself
# ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("storage", ["csr", "dense", "local"])
def test_local_form_finds_the_factor_and_applies_it(storage):
    dims = [3, 2, 4, 2]
    rng = np.random.default_rng(1)
    h = rng.normal(size=(8, 8)) + 1j * rng.normal(size=(8, 8))
    h = h + h.conj().T
    full = _embed(h, dims, 1, 3)
    if storage == "local":
        gen = LocalOperator(qutip.Qobj(h, dims=[[2, 4], [2, 4]]), 1, ((3,), (2, 4), (2,)))
    else:
        gen = qutip.Qobj(full, dims=[dims, dims]).to(storage)
    form = local_form(gen, dims)
    assert (form.lo, form.hi, form.pre, form.size, form.post) == (1, 3, 3, 8, 2)
    assert form.diagonal is None
    x = rng.normal(size=(48, 5)) + 1j * rng.normal(size=(48, 5))
    np.testing.assert_allclose(form.apply(x), full @ x, rtol=1e-13, atol=1e-12)
    np.testing.assert_allclose(apply_generator(gen, x), full @ x, rtol=1e-13, atol=1e-12)


@pytest.mark.parametrize("storage", ["csr", "dense", "dia"])
def test_local_form_of_a_diagonal_generator(storage):
    dims = [2, 3, 2]
    op = qutip.tensor(qutip.qeye(2), qutip.num(3), qutip.qeye(2)).to(storage)
    form = local_form(op, dims)
    assert (form.lo, form.hi) == (1, 2)
    np.testing.assert_array_equal(form.diagonal, [0.0, 1.0, 2.0])
    np.testing.assert_array_equal(form.full_diagonal(), op.diag())


def test_structure_is_exact_not_approximate():
    # an operator that is local only up to 1e-15 is kept on the whole space (no tolerance)
    dims = [2, 2]
    op = qutip.tensor(qutip.sigmax(), qutip.qeye(2)).full()
    op[0, 1] += 1e-15
    op[1, 0] += 1e-15
    form = local_form(qutip.Qobj(op, dims=[dims, dims]), dims)
    assert (form.lo, form.hi) == (0, 2)


def test_checked_forms_validates_dense_generators_on_their_factor():
    dims = [2, 3, 4]
    bad = qutip.tensor(qutip.qeye(2), qutip.Qobj(np.triu(np.ones((3, 3)))), qutip.qeye(4))
    with pytest.raises(Exception, match=r"generators\[1\] must be Hermitian"):
        checked_forms([qutip.tensor(qutip.sigmaz(), qutip.qeye([3, 4])), bad.to("dense")], dims)
    nan = qutip.tensor(qutip.qeye(2), qutip.num(3), qutip.qeye(4)).full()
    nan[5, 5] = np.nan
    with pytest.raises(Exception, match=r"generators\[0\] contains NaN or inf"):
        checked_forms([qutip.Qobj(nan, dims=[dims, dims])], dims)


# ----------------------------------------------------------------------------------------
# mixed states: every storage against the all-pairs SLD sum
# ----------------------------------------------------------------------------------------
LAYOUTS = {
    "qubits-diagonal": lambda: Network([QubitEnsemble(1, basis="full")] * 4
                                       + [QubitEnsemble(2, basis="full")]),
    "spins-xyz": lambda: Network([MultiLevelAtom(spin=0.5, axes="xyz"),
                                  MultiLevelAtom(spin=1.5, axes="xyz"),
                                  MultiLevelAtom(spin=0.5, axes="xy")]),
    "spin-x-pair": lambda: Network([MultiLevelAtom(spin=3.5, axes="x")] * 2),
}


@pytest.mark.parametrize("make", list(LAYOUTS.values()), ids=list(LAYOUTS))
@pytest.mark.parametrize("rank", [None, 3], ids=["full-rank", "rank3"])
def test_mixed_qfim_is_the_same_for_every_storage(make, rank, reference):
    net = make()
    rho = states.random_mixed(net, rank=rank, seed=11)
    expected = reference.sld_qfim_all_pairs(rho, net.generators)
    variants = {"local": net.local_generators, "csr": net.generators,
                "dense": _dense(net.generators)}
    if all(np.allclose(g.full(), np.diag(g.diag())) for g in net.generators):
        variants["np.diag"] = _np_diag(net.generators, net.ket_dims)
    for name, gens in variants.items():
        np.testing.assert_allclose(qfim(rho, gens, np.zeros(net.n_params)), expected,
                                   rtol=1e-9, atol=1e-10, err_msg=name)


def test_degenerate_non_diagonal_generator(reference):
    # collective J_x of two qubits: eigenvalues -1, 0, 0, 1 (a degenerate level in the
    # rotated basis), next to a non-diagonal generator on another factor
    jx = sum(qutip.tensor([qutip.sigmax() / 2 if j == k else qutip.qeye(2) for j in range(2)])
             for k in range(2))
    factors = ((2, 2), (3,), (2,))
    gens = [LocalOperator(jx, 0, factors), LocalOperator(qutip.jmat(1, "y"), 1, factors),
            LocalOperator(qutip.sigmaz() / 2, 2, factors)]
    rho = qutip.rand_dm([2, 2, 3, 2], seed=3)
    expected = reference.sld_qfim_all_pairs(rho, [g.to_qobj() for g in gens])
    for variant in (gens, [g.to_qobj() for g in gens], [g.to_qobj().to("dense") for g in gens]):
        np.testing.assert_allclose(qfim(rho, variant, np.zeros(3)), expected, rtol=1e-9,
                                   atol=1e-10)


def test_generic_dense_generators(reference):
    # Hermitian matrices on the whole space (no structure): applied as they are
    dims = [3, 4]
    rng = np.random.default_rng(5)
    mats = [rng.normal(size=(12, 12)) + 1j * rng.normal(size=(12, 12)) for _ in range(2)]
    gens = [qutip.Qobj(m + m.conj().T, dims=[dims, dims]) for m in mats]
    gens.append(qutip.tensor(qutip.qeye(3), qutip.jmat(1.5, "x")).to("dense"))
    rho = qutip.rand_dm(dims, seed=4)
    at = np.zeros(len(gens))                    # phi = 0: they do not commute
    np.testing.assert_allclose(qfim(rho, gens, at), reference.sld_qfim_all_pairs(rho, gens),
                               rtol=1e-9, atol=1e-10)
    psi = qutip.rand_ket(dims, seed=4)
    np.testing.assert_allclose(qfim(psi, gens, at), reference.covariance_qfim(psi, gens),
                               rtol=1e-10, atol=1e-10)


def _all_pairs(rho: np.ndarray, mats: list[np.ndarray]) -> np.ndarray:
    """The all-pairs SLD sum, vectorised (for D where the loop of conftest is slow)."""
    lam, vecs = np.linalg.eigh(rho)
    lam = np.where(lam > 1e-12 * lam[-1], lam, 0.0)
    hs = [vecs.conj().T @ m @ vecs for m in mats]
    total = lam[:, None] + lam[None, :]
    w = np.where(total > 0, (lam[:, None] - lam[None, :]) ** 2 / np.where(total > 0, total, 1),
                 0.0)
    return np.array([[2 * np.sum(w * (a * b.T).real) for b in hs] for a in hs])


@pytest.mark.parametrize("kind", ["diagonal", "xyz"])
def test_grouped_classes_and_layers_at_d256(kind):
    # D = 256: diagonal generators grouped in joint classes, non-diagonal ones in layers
    if kind == "diagonal":
        net = Network([QubitEnsemble(1, basis="full")] * 8)
    else:
        net = Network([MultiLevelAtom(spin=1.5, axes="xyz"), MultiLevelAtom(spin=1.5, axes="xyz"),
                       MultiLevelAtom(spin=7.5, axes="xy")])
    rho = qutip.rand_dm(net.size, seed=8)
    state = qutip.Qobj(rho.full(), dims=net.dims)
    expected = _all_pairs(rho.full(), [g.full() for g in net.generators])
    for gens in (net.local_generators, net.generators, _dense(net.generators)):
        np.testing.assert_allclose(qfim(state, gens, np.zeros(net.n_params)), expected,
                                   rtol=1e-10, atol=1e-11 * np.abs(expected).max())


def test_low_rank_path_with_dense_generators():
    net = Network([MultiLevelAtom(spin=1, axes="xz", atoms=4),
                   MultiLevelAtom(spin=1, axes="z", atoms=2)])          # D = 729
    rng = np.random.default_rng(2)
    w = rng.standard_normal((net.size, 3)) + 1j * rng.standard_normal((net.size, 3))
    rho = w @ w.conj().T
    state = qutip.Qobj(rho / np.trace(rho).real, dims=net.dims)
    gens = _dense(net.generators)
    with tolerances(sketch_min_size=10 ** 9):
        reference = qfim(state, net.local_generators, np.zeros(net.n_params))
    np.testing.assert_allclose(qfim(state, gens, np.zeros(net.n_params)), reference, rtol=0,
                               atol=1e-11 * np.abs(reference).max())


# ----------------------------------------------------------------------------------------
# kets on many factors: the one-pass kernel
# ----------------------------------------------------------------------------------------
def _moments_reference(psi: np.ndarray, diags: list[np.ndarray]) -> np.ndarray:
    """Covariance QFIM of diagonal generators from |psi|^2 (plain NumPy, whole space)."""
    p = np.abs(psi) ** 2
    g = np.stack(diags)
    first = g @ p
    second = (g * p) @ g.T
    return 4 * (second - np.outer(first, first))


def _full_diag(diag: np.ndarray, dims: list[int], lo: int, hi: int) -> np.ndarray:
    return np.kron(np.kron(np.ones(int(np.prod(dims[:lo]))), diag),
                   np.ones(int(np.prod(dims[hi:]))))


@pytest.mark.parametrize("sensors,n", [(8, 2), (4, 6), (2, 69), (3, 9)],
                         ids=["8x3", "4x7", "2x70", "3x10"])
@pytest.mark.parametrize("case", ["ghz-like", "random"])
def test_many_sensor_kets(sensors, n, case):
    net = Network([QubitEnsemble(n) for _ in range(sensors)])       # 4900 ... 10^4 amplitudes
    if case == "ghz-like":
        psi = states.ghz_like(net, np.ones(sensors))
    else:
        rng = np.random.default_rng(sensors)
        amplitudes = rng.normal(size=net.size) + 1j * rng.normal(size=net.size)
        psi = qutip.Qobj(amplitudes / np.linalg.norm(amplitudes), dims=[net.ket_dims, [1]])
    diags = [_full_diag(g.op.diag(), net.ket_dims, k, k + 1)
             for k, g in enumerate(net.local_generators)]
    expected = _moments_reference(psi.full().ravel(), diags)
    for gens in (net.local_generators, net.generators):     # (dense: see the tests above)
        np.testing.assert_allclose(qfim(psi, gens), expected, rtol=1e-10,
                                   atol=1e-12 * np.abs(expected).max())


def test_ket_with_several_generators_per_factor_and_overlapping_supports():
    # two generators on dim 1, Qobj generators on dims 2:4 and 3:4 (one merged run), none on
    # dim 0, and two on a trailing factor wider than a block of the pass (66 000 levels)
    dims = [2, 3, 2, 2, 66000]
    rng = np.random.default_rng(9)
    psi = rng.normal(size=int(np.prod(dims))) + 1j * rng.normal(size=int(np.prod(dims)))
    psi /= np.linalg.norm(psi)
    ket = qutip.Qobj(psi[:, None], dims=[dims, [1] * len(dims)])
    supports = [(1, 2), (1, 2), (2, 4), (3, 4), (4, 5), (4, 5)]
    diags = [rng.normal(size=int(np.prod(dims[lo:hi]))).round(1) for lo, hi in supports]
    factors = tuple((d,) for d in dims)
    gens = []
    for (lo, hi), d in zip(supports, diags):
        if hi - lo == 1:
            gens.append(LocalOperator(qutip.qdiags(d, 0), lo, factors))
        else:               # a Qobj on the whole space: sparse, diagonal
            gens.append(qutip.Qobj(qutip.qdiags(_full_diag(d, dims, lo, hi), 0),
                                   dims=[dims, dims]))
    expected = _moments_reference(psi, [_full_diag(d, dims, lo, hi)
                                        for (lo, hi), d in zip(supports, diags)])
    np.testing.assert_allclose(qfim(ket, gens), expected, rtol=1e-10,
                               atol=1e-12 * np.abs(expected).max())


def test_many_sensor_ket_with_non_diagonal_generators(reference):
    net = Network([MultiLevelAtom(spin=0.5, axes="xz")] * 3 + [QubitEnsemble(2)])
    psi = states.random_pure(net, seed=3)
    expected = reference.covariance_qfim(psi, net.generators)
    for gens in (net.local_generators, net.generators, _dense(net.generators)):
        np.testing.assert_allclose(qfim(psi, gens, np.zeros(net.n_params)), expected,
                                   rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("kind", ["diagonal", "xyz", "generic"])
def test_large_tiles_at_d512(kind):
    # D = 512: zheevr, layers of rotated rows, and a generic dense generator applied as it is
    if kind == "diagonal":
        net = Network([QubitEnsemble(4, basis="full"), QubitEnsemble(5, basis="full")])
    else:
        net = Network([MultiLevelAtom(spin=3.5, axes="xyz"), MultiLevelAtom(spin=3.5, axes="x"),
                       MultiLevelAtom(spin=3.5, axes="z")])
    gens = list(net.generators)
    if kind == "generic":
        rng = np.random.default_rng(3)
        m = rng.normal(size=(net.size, net.size)) + 1j * rng.normal(size=(net.size, net.size))
        gens.append(qutip.Qobj(m + m.conj().T, dims=net.dims))
    rho = qutip.rand_dm(net.size, seed=12)
    state = qutip.Qobj(rho.full(), dims=net.dims)
    expected = _all_pairs(rho.full(), [g.full() for g in gens])
    np.testing.assert_allclose(qfim(state, gens, np.zeros(len(gens))), expected, rtol=1e-10,
                               atol=1e-11 * np.abs(expected).max())
