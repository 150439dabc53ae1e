"""Small array helpers shared by the sensors and the estimator layer (no physics here)."""

from __future__ import annotations

import numpy as np
import qutip
import scipy.sparse

__all__ = ["diagonal_of", "ket_array", "as_sparse", "matrix_of", "split_identity"]

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


def split_identity(mat: np.ndarray | scipy.sparse.spmatrix, inner: int, trailing: bool = True):
    r"""``h`` with ``mat`` :math:`= h\otimes 1_{inner}` (``trailing``) or :math:`1_{inner}\otimes h`,
    exactly, else ``None``.

    Dense ``mat`` is compared in place (a view of its blocks, one pass; a quick look at its
    first row rejects most operators that do not factor); sparse ``mat`` through its
    non-zeros.  ``h`` is a view into a dense ``mat``.

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
    n = mat.shape[0]
    if inner == 1:
        return mat
    if n % inner:
        return None
    if isinstance(mat, np.ndarray):
        if not mat.flags.c_contiguous and mat.flags.f_contiguous:
            h = _split_dense(mat.T, inner, trailing)
            return None if h is None else h.T
        return _split_dense(mat, inner, trailing)
    csr = scipy.sparse.csr_matrix(mat)
    size = n // inner
    h = csr[::inner, ::inner] if trailing else csr[:size, :size]
    if csr.nnz != inner * h.nnz:
        return None
    eye = scipy.sparse.identity(inner, dtype=csr.dtype, format="csr")
    expected = scipy.sparse.kron(h, eye) if trailing else scipy.sparse.kron(eye, h)
    if (csr != expected.tocsr()).nnz:
        return None
    return h.tocsr()


def ket_array(ket: qutip.Qobj) -> np.ndarray:
    """The amplitudes of a ket as a flat complex array (a view when the data is dense)."""
    if isinstance(ket.data, qutip.data.Dense):
        return ket.data_as("ndarray", copy=False).reshape(-1)
    return ket.full().reshape(-1)
