"""Small array helpers shared by the sensors and the estimator layer (no physics here)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import qutip
import scipy.sparse

__all__ = ["diagonal_of", "ket_array", "as_sparse", "matrix_of", "split_identity", "narrowed"]

#: a sparse matrix of at most this size is inspected as a dense copy (faster than its index)
_SMALL = 64


def as_sparse(op: qutip.Qobj) -> scipy.sparse.csr_matrix:
    """The operator's matrix as scipy CSR (no dense copy)."""
    return qutip.data.to("csr", op.data).as_scipy()


def matrix_of(op: qutip.Qobj) -> np.ndarray | scipy.sparse.csr_matrix:
    """The operator's matrix as it is stored: a NumPy array (no copy) when the data is dense,
    else scipy CSR."""
    if isinstance(op.data, qutip.data.Dense):
        return op.data_as("ndarray", copy=False)
    return as_sparse(op)


def _dense_diagonal(mat: np.ndarray) -> np.ndarray | None:
    diag = np.diagonal(mat)
    if np.count_nonzero(mat) != np.count_nonzero(diag):
        return None
    return np.real(diag).copy()


def diagonal_of(op: qutip.Qobj | np.ndarray | scipy.sparse.spmatrix) -> np.ndarray | None:
    """The real diagonal of a Hermitian ``op`` when ``op`` is diagonal, else ``None``.

    Dense data is read in place (one pass, nothing of its size created); sparse data through
    its non-zeros.
    """
    mat = matrix_of(op) if isinstance(op, qutip.Qobj) else op
    if isinstance(mat, np.ndarray):
        return _dense_diagonal(mat)
    if mat.shape[0] <= _SMALL:
        return _dense_diagonal(mat.toarray())
    csr = scipy.sparse.csr_matrix(mat)
    rows = np.repeat(np.arange(csr.shape[0]), np.diff(csr.indptr))
    if np.any(csr.data[rows != csr.indices] != 0):
        return None
    return np.real(csr.diagonal())


def _split_dense(mat: np.ndarray, inner: int, trailing: bool) -> np.ndarray | None:
    """:func:`split_identity` of a dense matrix (``h`` a view into it)."""
    if inner == 1:
        return mat
    if mat.shape[0] % inner:
        return None
    if not mat.flags.c_contiguous and mat.flags.f_contiguous:
        h = _split_dense(mat.T, inner, trailing)
        return None if h is None else h.T
    size = mat.shape[0] // inner
    if trailing:      # mat[(a, q), (b, r)] = h[a, b] delta_qr
        blocks = mat.reshape(size, inner, size, inner)
        h = blocks[:, 0, :, 0]
        if np.count_nonzero(mat[0].reshape(size, inner)[:, 1:]):    # quick look at one row
            return None
        diag = np.diagonal(blocks, axis1=1, axis2=3)
    else:             # mat[(q, a), (r, b)] = delta_qr h[a, b]
        blocks = mat.reshape(inner, size, inner, size)
        h = blocks[0, :, 0, :]
        if np.count_nonzero(mat[0, size:]):
            return None
        diag = np.diagonal(blocks, axis1=0, axis2=2)
    if not np.array_equal(diag, np.broadcast_to(h[:, :, None], diag.shape)):
        return None
    if np.count_nonzero(mat) != inner * np.count_nonzero(h):
        return None
    return h


def _split_sparse(triplets, inner: int, trailing: bool):
    """:func:`split_identity` on the non-zeros ``(row, column, value, n)`` (no explicit
    zeros), the result in the same form."""
    row, col, val, n = triplets
    if inner == 1:
        return triplets
    if n % inner:
        return None
    size = n // inner
    if trailing:
        outer_r, outer_c, inner_r, inner_c = row // inner, col // inner, row % inner, col % inner
    else:
        outer_r, outer_c, inner_r, inner_c = row % size, col % size, row // size, col // size
    if np.any(inner_r != inner_c):
        return None
    first = inner_r == 0
    if np.count_nonzero(first) * inner != val.size:
        return None
    key = outer_r.astype(np.int64) * size + outer_c
    order = np.argsort(key[first], kind="stable")
    base_key, base_val = key[first][order], val[first][order]
    where = np.minimum(np.searchsorted(base_key, key), max(base_key.size - 1, 0))
    if val.size and not (np.array_equal(base_key[where], key)
                         and np.array_equal(base_val[where], val)):
        return None
    return outer_r[first], outer_c[first], val[first], size


def _triplets(mat) -> tuple:
    """The non-zeros ``(row, column, value, n)`` of a sparse matrix."""
    csr = mat if isinstance(mat, scipy.sparse.csr_matrix) else scipy.sparse.csr_matrix(mat)
    row = np.repeat(np.arange(csr.shape[0]), np.diff(csr.indptr))
    keep = csr.data != 0
    return row[keep], csr.indices[keep], csr.data[keep], csr.shape[0]


def _as_coo(triplets) -> scipy.sparse.coo_matrix:
    row, col, val, n = triplets
    return scipy.sparse.coo_matrix((val, (row, col)), shape=(n, n))


def split_identity(mat: np.ndarray | scipy.sparse.spmatrix, inner: int, trailing: bool = True):
    r"""``h`` with ``mat`` :math:`= h\otimes 1_{inner}` (``trailing``) or :math:`1_{inner}\otimes h`,
    exactly, else ``None``.

    Dense ``mat`` is compared in place (a view of its blocks, one pass; a quick look at its
    first row rejects most operators that do not factor, and ``h`` is a view into ``mat``);
    sparse ``mat`` through its non-zeros (``h`` then in COO format).

    Examples
    --------
    >>> import numpy as np
    >>> z = np.diag([1.0, -1.0])
    >>> split_identity(np.kron(z, np.eye(3)), 3)
    array([[ 1.,  0.],
           [ 0., -1.]])
    >>> split_identity(np.kron(z, np.eye(3)), 2) is None
    True
    """
    if isinstance(mat, np.ndarray):
        return _split_dense(mat, inner, trailing)
    found = _split_sparse(_triplets(mat), inner, trailing)
    return None if found is None else _as_coo(found)


def _narrowed_diagonal(diag: np.ndarray, dims: Sequence[int]) -> tuple[int, int, np.ndarray]:
    """(lo, hi, d) with ``diag`` = 1 (x) d (x) 1 on the run ``dims[lo:hi]``."""
    lo, hi = 0, len(dims)
    while hi - lo > 1:
        block = diag.reshape(-1, int(dims[hi - 1]))
        if (block != block[:, :1]).any():
            break
        diag, hi = block[:, 0], hi - 1
    while hi - lo > 1:
        block = diag.reshape(int(dims[lo]), -1)
        if (block != block[:1]).any():
            break
        diag, lo = block[0], lo + 1
    return lo, hi, diag


def _narrowed_sparse(triplets, dims: Sequence[int]) -> tuple[int, int, tuple]:
    """(lo, hi, h as triplets): identity factors split off the non-zeros of a sparse matrix.

    The index pattern alone gives the longest candidate run at each end at once (the
    trailing factors of size P are the identity pattern iff P divides every row - column;
    the leading ones iff the matrix is block diagonal in blocks of n / their size); one
    exact check of the values confirms it, else the factors are tried one by one.
    """
    row, col, _, n = triplets
    lo, hi = 0, len(dims)
    step = int(np.gcd.reduce(np.abs(row - col))) if row.size else 0
    inner, k = 1, hi
    while k - lo > 1 and step % (inner * int(dims[k - 1])) == 0:
        inner, k = inner * int(dims[k - 1]), k - 1
    found = _split_sparse(triplets, inner, True) if inner > 1 else None
    if found is not None:
        triplets, hi = found, k
    row, col, _, n = triplets
    outer, k = 1, lo
    while hi - k > 1 and np.array_equal(row // (n // (outer * int(dims[k]))),
                                        col // (n // (outer * int(dims[k])))):
        outer, k = outer * int(dims[k]), k + 1
    found = _split_sparse(triplets, outer, False) if outer > 1 else None
    if found is not None:
        triplets, lo = found, k
    for trailing in (True, False):          # the factors one by one
        while hi - lo > 1:
            found = _split_sparse(triplets, int(dims[hi - 1] if trailing else dims[lo]),
                                  trailing)
            if found is None:
                break
            triplets = found
            if trailing:
                hi -= 1
            else:
                lo += 1
    return lo, hi, triplets


def narrowed(mat: np.ndarray | scipy.sparse.spmatrix, dims: Sequence[int]):
    r"""(lo, hi, h, diagonal): the shortest run ``dims[lo:hi]`` of the ket ``dims`` with
    ``mat`` = :math:`1\otimes h\otimes 1` exactly, identity factors split off at both ends.

    h is a view of a dense ``mat`` (else scipy CSR); ``diagonal`` is the real diagonal of h
    when ``mat`` is diagonal (then found on the diagonal alone, and h is built from it).

    Examples
    --------
    >>> import numpy as np
    >>> lo, hi, h, d = narrowed(np.kron(np.eye(2), np.kron(np.diag([1.0, 2.0, 3.0]),
    ...                                                     np.eye(4))), [2, 3, 2, 2])
    >>> lo, hi, d
    (1, 2, array([1., 2., 3.]))
    """
    dense = isinstance(mat, np.ndarray)
    if dense:
        diag = np.diagonal(mat)
        is_diagonal = np.count_nonzero(mat) == np.count_nonzero(diag)
    else:
        triplets = _triplets(mat)
        is_diagonal = np.array_equal(triplets[0], triplets[1])
        if is_diagonal:
            diag = np.zeros(mat.shape[0], dtype=triplets[2].dtype)
            diag[triplets[0]] = triplets[2]
    if is_diagonal:
        lo, hi, diag = _narrowed_diagonal(diag, dims)
        h = np.diag(diag) if diag.size <= _SMALL else scipy.sparse.diags(diag, format="csr")
        return lo, hi, h, np.real(diag).copy()
    if not dense:
        lo, hi, found = _narrowed_sparse(triplets, dims)
        return lo, hi, (mat if hi - lo == len(dims) else _as_coo(found)).tocsr(), None
    lo, hi = 0, len(dims)
    for trailing in (True, False):
        while hi - lo > 1:
            h = _split_dense(mat, int(dims[hi - 1] if trailing else dims[lo]), trailing)
            if h is None:
                break
            mat = h
            if trailing:
                hi -= 1
            else:
                lo += 1
    return lo, hi, mat, None


def ket_array(ket: qutip.Qobj) -> np.ndarray:
    """The amplitudes of a ket as a flat complex array (a view when the data is dense)."""
    if isinstance(ket.data, qutip.data.Dense):
        return ket.data_as("ndarray", copy=False).reshape(-1)
    return ket.full().reshape(-1)
