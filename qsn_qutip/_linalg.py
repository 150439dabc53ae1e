"""Small array helpers shared by the sensors and the estimator layer (no physics here)."""

from __future__ import annotations

import numpy as np
import qutip
import scipy.sparse

__all__ = ["diagonal_of", "ket_array", "as_sparse"]


def as_sparse(op: qutip.Qobj) -> scipy.sparse.csr_matrix:
    """The operator's matrix as scipy CSR (no dense copy)."""
    return qutip.data.to("csr", op.data).as_scipy()


def diagonal_of(op: qutip.Qobj) -> np.ndarray | None:
    """The real diagonal of a Hermitian ``op`` when ``op`` is diagonal, else ``None``."""
    csr = as_sparse(op)
    rows = np.repeat(np.arange(csr.shape[0]), np.diff(csr.indptr))
    if np.any(csr.data[rows != csr.indices] != 0):
        return None
    return np.real(csr.diagonal())


def ket_array(ket: qutip.Qobj) -> np.ndarray:
    """The amplitudes of a ket as a flat complex array (a view when the data is dense)."""
    if isinstance(ket.data, qutip.data.Dense):
        return ket.data_as("ndarray", copy=False).reshape(-1)
    return ket.full().reshape(-1)
