"""Input validation shared by every layer: one error type, messages that name the argument.

Every public function validates what it is given before doing any work, so bad input raises
:class:`QSNError` and changes nothing.  The helpers here turn the common checks (finite numbers,
Hermitian operators, matching dims, normalised states, vectors of the right length) into one
line each at the call site.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import qutip

from .errors import QSNError
from .options import tolerances

__all__ = [
    "QSNError",
    "as_real_vector",
    "as_positive_int",
    "check_operator",
    "check_state",
]


def as_positive_int(value, name: str, *, minimum: int = 1) -> int:
    """Return ``value`` as an int, or raise :class:`QSNError` unless it is an integer >= minimum."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise QSNError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if value < minimum:
        raise QSNError(f"{name} must be an integer >= {minimum}, got {value}")
    return int(value)


def as_real_vector(value, name: str, *, length: int | None = None) -> np.ndarray:
    """Return ``value`` as a finite 1-D float array, optionally of a given length."""
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise QSNError(f"{name} must be a vector of real numbers, got {value!r}") from None
    if arr.ndim != 1:
        raise QSNError(f"{name} must be a 1-D vector, got an array of shape {arr.shape}")
    if length is not None and arr.shape[0] != length:
        raise QSNError(f"{name} must have length {length} (one entry per parameter), "
                       f"got length {arr.shape[0]}")
    if not np.all(np.isfinite(arr)):
        raise QSNError(f"{name} contains NaN or inf: {arr}")
    return arr


def _finite_values(op: qutip.Qobj) -> np.ndarray:
    """The stored numbers of an operator (its non-zeros when sparse) as a flat array."""
    data = op.data
    if isinstance(data, qutip.data.Dense):
        return op.data_as("ndarray", copy=False).ravel()
    return qutip.data.to("csr", data).as_scipy().data


def check_operator(op, name: str, *, dims: Sequence[int] | None = None) -> qutip.Qobj:
    """Check that ``op`` is a finite Hermitian operator (on ``dims`` when given) and return it."""
    if not isinstance(op, qutip.Qobj) or not op.isoper:
        raise QSNError(f"{name} must be an operator Qobj, got {type(op).__name__}"
                       + (f" of type {op.type!r}" if isinstance(op, qutip.Qobj) else ""))
    if dims is not None and list(op.dims[0]) != list(dims):
        raise QSNError(f"{name} acts on dims {op.dims[0]}, expected {list(dims)}")
    if not np.all(np.isfinite(_finite_values(op))):
        raise QSNError(f"{name} contains NaN or inf entries")
    tol = tolerances.atol * max(1.0, op.norm("max"))
    # qutip's isherm (in place, every entry below tol) is the fast yes; the exact test decides
    if not qutip.data.isherm(op.data, tol=tol) and (op - op.dag()).norm("max") > tol:
        raise QSNError(f"{name} must be Hermitian")
    return op


def check_state(state, name: str = "state") -> qutip.Qobj:
    """Check that ``state`` is a ket or a square density-matrix Qobj with matching dims.

    Normalisation and positivity are checked where they come for free (in the QFIM passes),
    so that a 10^8-amplitude ket is not read once more just to be validated.
    """
    if not isinstance(state, qutip.Qobj):
        raise QSNError(f"{name} must be a ket or density-matrix Qobj, got {type(state).__name__}")
    if state.isket:
        return state
    if state.isoper and state.dims[0] == state.dims[1]:
        return state
    raise QSNError(f"{name} must be a ket or a density matrix, got a Qobj of type "
                   f"{state.type!r} with dims {state.dims}")
