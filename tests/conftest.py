"""Shared fixtures: reference computations that do not use :mod:`qsn_qutip.estimation`, and
the ``qsn`` command run in-process.

``reference`` bundles dense NumPy/SciPy implementations of the QFIM (covariance formula for
kets, all-pairs SLD sum and the Lyapunov-equation SLD for density matrices), central finite
differences, and the Dicke-to-full-basis isometry, so every number the package produces can be
checked against an independent computation.  ``run_qsn`` runs ``qsn ARGS...`` through
:func:`qsn_qutip.cli.main` in this process (no interpreter start-up, no second QuTiP import)
and returns its exit code and what it printed.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import os
import types
from typing import NamedTuple

import numpy as np
import pytest
import qutip
import scipy.linalg


def covariance_qfim(psi, ops) -> np.ndarray:
    r"""Dense pure-state QFIM
    :math:`2\langle\{H_k,H_l\}\rangle - 4\langle H_k\rangle\langle H_l\rangle`."""
    p = psi.full().ravel() if isinstance(psi, qutip.Qobj) else np.asarray(psi).ravel()
    mats = [op.full() if isinstance(op, qutip.Qobj) else np.asarray(op) for op in ops]
    mean = [np.vdot(p, m @ p) for m in mats]
    return np.array([[2 * np.vdot(p, (a @ b + b @ a) @ p).real - 4 * (ma * mb).real
                      for b, mb in zip(mats, mean)] for a, ma in zip(mats, mean)])


def sld_qfim_all_pairs(rho, ops, cutoff: float = 1e-12) -> np.ndarray:
    r"""Mixed-state QFIM by the plain double sum over all eigenvalue pairs with
    :math:`\lambda_i+\lambda_j>0` (eigenvalues below ``cutoff * max`` count as zero)."""
    r = rho.full() if isinstance(rho, qutip.Qobj) else np.asarray(rho)
    lam, vecs = np.linalg.eigh(r)
    lam = np.where(lam > cutoff * lam.max(), lam, 0.0)
    hs = [vecs.conj().T @ (op.full() if isinstance(op, qutip.Qobj) else op) @ vecs
          for op in ops]
    d = len(ops)
    F = np.zeros((d, d))
    for i, j in itertools.product(range(lam.size), repeat=2):
        s = lam[i] + lam[j]
        if s <= 0:
            continue
        w = 2 * (lam[i] - lam[j]) ** 2 / s
        for k, l in itertools.product(range(d), repeat=2):
            F[k, l] += w * (hs[k][i, j] * hs[l][j, i]).real
    return F


def sld_qfim_lyapunov(rho, ops) -> np.ndarray:
    r"""Full-rank QFIM from the SLDs: :math:`\rho L_k + L_k\rho = 2\partial_k\rho`,
    :math:`F_{kl} = \mathrm{Re\,Tr}(\partial_k\rho\, L_l)`, with
    :math:`\partial_k\rho = -i[H_k,\rho]`."""
    r = rho.full()
    drhos = [-1j * (op.full() @ r - r @ op.full()) for op in ops]
    slds = [scipy.linalg.solve_sylvester(r, r, 2 * dr) for dr in drhos]
    return np.array([[np.trace(dk @ ll).real for ll in slds] for dk in drhos])


def central_differences(func, phi, step: float) -> list:
    """Central finite differences of ``func`` (returning Qobj) in every component of ``phi``."""
    phi = np.asarray(phi, dtype=float)
    out = []
    for k in range(phi.size):
        e = np.zeros_like(phi)
        e[k] = step
        out.append((func(phi + e) - func(phi - e)) / (2 * step))
    return out


def pure_qfim_from_kets(psi: np.ndarray, dpsis: list[np.ndarray]) -> np.ndarray:
    r""":math:`F_{kl} = 4\,\mathrm{Re}(\langle\partial_k\psi|\partial_l\psi\rangle
    - \langle\partial_k\psi|\psi\rangle\langle\psi|\partial_l\psi\rangle)`."""
    return np.array([[4 * (np.vdot(a, b) - np.vdot(a, psi) * np.vdot(psi, b)).real
                      for b in dpsis] for a in dpsis])


def dicke_isometry(n: int) -> np.ndarray:
    """Columns: the Dicke state with k spins down (``|k>`` of the ``n + 1`` basis), in the
    full basis ``[2] * n``."""
    iso = np.zeros((2 ** n, n + 1))
    for index in range(2 ** n):
        downs = bin(index).count("1")          # qubit |1> is spin down
        iso[index, downs] = 1.0
    return iso / np.sqrt(iso.sum(axis=0))


def assert_psd(F: np.ndarray, rtol: float = 1e-10) -> None:
    """F is real, exactly symmetric up to round-off, with no eigenvalue below -rtol*scale."""
    assert np.isrealobj(F)
    scale = max(1.0, np.abs(F).max())
    np.testing.assert_allclose(F, F.T, rtol=0, atol=1e-12 * scale)
    assert np.linalg.eigvalsh(F).min() >= -rtol * scale


@pytest.fixture(scope="session", autouse=True)
def _one_blas_thread():
    """Every matrix here is small: one BLAS thread, so that OpenBLAS threads do not spin
    against each other (and against other jobs) on a small, busy machine."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:          # an optional speed-up (threadpoolctl comes with the bench extra)
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


@pytest.fixture(scope="session")
def reference():
    """The independent reference computations above, as one namespace."""
    return types.SimpleNamespace(
        covariance_qfim=covariance_qfim,
        sld_qfim_all_pairs=sld_qfim_all_pairs,
        sld_qfim_lyapunov=sld_qfim_lyapunov,
        central_differences=central_differences,
        pure_qfim_from_kets=pure_qfim_from_kets,
        dicke_isometry=dicke_isometry,
        assert_psd=assert_psd,
    )


class QsnRun(NamedTuple):
    """What one in-process ``qsn`` run returned and printed (the fields of
    :class:`subprocess.CompletedProcess` that tests read)."""

    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def run_qsn():
    """``run_qsn("demo", "--n", 3)`` or ``run_qsn(["demo", "--n", "3"], cwd=tmp_path)``: run
    the ``qsn`` command in this process and return ``QsnRun(returncode, stdout, stderr)``.

    Arguments may be paths or numbers (they are turned into strings); ``cwd`` is the working
    directory during the run (default: the test's).  ``--help`` (argparse's ``SystemExit``)
    gives its exit code; any other exception propagates, since the console script would print
    it as a traceback.
    """
    from qsn_qutip.cli import main

    def run(*args, cwd=None) -> QsnRun:
        if len(args) == 1 and isinstance(args[0], (list, tuple)):
            args = tuple(args[0])
        out, err = io.StringIO(), io.StringIO()
        with contextlib.chdir(cwd or os.getcwd()), contextlib.redirect_stdout(out), \
                contextlib.redirect_stderr(err):
            try:
                code = main([str(a) for a in args])
            except SystemExit as stop:
                code = stop.code if isinstance(stop.code, int) else (stop.code is not None)
        return QsnRun(int(code), out.getvalue(), err.getvalue())

    return run
