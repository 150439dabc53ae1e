"""Benchmark of :func:`qsn_qutip.measurement.cfim` on density matrices against floors measured in the same run.

Usage: ``python benchmarks/bench_cfim.py``.  BLAS is pinned to one thread (threadpoolctl);
every time is the best of three calls; every ratio compares two times of the same run.

A full-rank ``qutip.rand_dm`` of dimension D = 256 and 1024, diagonal generators
(``network.local_generators``), phi = 0.3 on every parameter, and four measurements:

* ``local dicke``: :func:`~qsn_qutip.measurement.local_readout` on two ``QubitEnsemble(n)``
  sensors (Dicke basis, D = (n + 1)^2, d = 2): a product basis of two (n + 1)-level factors;
* ``local qubits``: the same on 8 or 10 one-qubit sensors (full basis, d = 8 or 10);
* ``parity``: :func:`~qsn_qutip.measurement.parity` on the two Dicke sensors (two dense
  effects);
* ``counting+BS``: :func:`~qsn_qutip.measurement.photon_counting` after a balanced
  :func:`~qsn_qutip.measurement.beam_splitter` on two optical modes (D rank-one effects onto
  the columns of a dense unitary).

Floors, on the same matrix: ``gemm`` = one complex D x D matrix product ``rho @ rho`` (what a
rank-one POVM of D outcomes needs at least, :math:`\\langle w_x|\\rho|w_x\\rangle` for all x,
without structure), and ``eigh`` = one ``numpy.linalg.eigh`` of rho (the mixed-state QFIM's
floor).  Target (PASS): at most one eigh.  ``peak`` is the tracemalloc peak of one cfim call
(NumPy arrays, not LAPACK's workspace), ``state`` the size of rho; ``err`` the largest deviation
from a plain reference (dense rows of the effects, :math:`\\rho_\\phi = U\\rho U^\\dagger`,
:math:`\\partial_k\\rho = -i[H_k,\\rho_\\phi]`, one trace per outcome) relative to the largest
entry.

Before the measurement package (two three-operand ``einsum`` calls without a contraction
plan, ``"xi,ij,xj->x"`` and ``"xi,kij,xj->xk"``: :math:`O(D^3d)` in a C loop), the rank-one
cases took 14-49x one eigh (180-540x one gemm) at D = 256 and 16-49x at D = 1024 (39 s for
``local dicke``, 118 s for ``local qubits``); after, 0.1-0.6x one eigh.
"""

from __future__ import annotations

import argparse
import platform
import sys
from pathlib import Path

import numpy as np
import qutip
import scipy
from threadpoolctl import threadpool_info, threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_qfim import best_time, traced_peak  # noqa: E402

from qsn_qutip import Network, OpticalMode, QubitEnsemble  # noqa: E402
from qsn_qutip.measurement import (beam_splitter, cfim, local_readout, parity,  # noqa: E402
                                   photon_counting)

TARGET = 1.0
MIB = 2.0 ** 20


def networks(D: int) -> dict:
    """The four (network, measurement builder) cases of dimension D."""
    side = int(round(np.sqrt(D)))
    dicke = Network([QubitEnsemble(side - 1), QubitEnsemble(side - 1)])
    qubits = Network([QubitEnsemble(1, basis="full")] * int(round(np.log2(D))))
    modes = Network([OpticalMode(side - 1), OpticalMode(side - 1)])
    return {"local dicke": (dicke, local_readout),
            "local qubits": (qubits, local_readout),
            "parity": (dicke, parity),
            "counting+BS": (modes, lambda net: photon_counting(net, beam_splitter(net)))}


def reference(rho: np.ndarray, net: Network, povm, phi: np.ndarray) -> np.ndarray:
    """The CFIM from dense effects and explicit derivatives (independent of the library)."""
    diags = [np.real(g.diag()) for g in net.generators]
    phases = np.exp(-1j * sum(p * h for p, h in zip(phi, diags)))
    rho_phi = phases[:, None] * rho * phases.conj()[None, :]
    drhos = [-1j * (h[:, None] * rho_phi - rho_phi * h[None, :]) for h in diags]
    if povm.rank_one:
        rows = povm.storage.rows
        p = np.einsum("xb,xb->x", rows @ rho_phi, rows.conj()).real
        dp = np.stack([np.einsum("xb,xb->x", rows @ dr, rows.conj()).real for dr in drhos], 1)
    else:
        effects = povm.dense_effects()
        p = np.array([np.trace(e @ rho_phi).real for e in effects])
        dp = np.array([[np.trace(e @ dr).real for dr in drhos] for e in effects])
    use = p > 1e-10
    return (dp[use].T / p[use]) @ dp[use]


def run(D: int) -> None:
    rho_array = qutip.rand_dm(D, seed=D).full()
    gemm = best_time(lambda: rho_array @ rho_array)
    eigh = best_time(lambda: np.linalg.eigh(rho_array))
    for case, (net, build) in networks(D).items():
        rho = qutip.Qobj(rho_array, dims=net.dims)
        povm = build(net)
        gens = net.local_generators
        phi = np.full(net.n_params, 0.3)
        t = best_time(lambda: cfim(rho, gens, povm, phi))
        peak = traced_peak(lambda: cfim(rho, gens, povm, phi))
        F = cfim(rho, gens, povm, phi)
        exact = reference(rho_array, net, povm, phi)
        err = np.abs(F - exact).max() / np.abs(exact).max()
        print(f"{case:<13} {D:>5} {net.n_params:>3} {len(povm):>5} {t:>9.4f} {gemm:>8.4f} "
              f"{t / gemm:>6.2f} {eigh:>8.4f} {t / eigh:>6.2f} {peak / MIB:>8.1f} "
              f"{rho_array.nbytes / MIB:>8.1f} {err:>8.1e}  "
              f"{'PASS' if t <= TARGET * eigh else 'MISS'}", flush=True)


HEADER = (f"{'case':<13} {'D':>5} {'d':>3} {'outc':>5} {'cfim s':>9} {'gemm s':>8} {'/gemm':>6} "
          f"{'eigh s':>8} {'/eigh':>6} {'peak MiB':>8} {'rho MiB':>8} {'err':>8}  result")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="256,1024",
                        help="comma-separated dimensions D (perfect squares and powers of 2)")
    args = parser.parse_args()
    with threadpool_limits(1):
        np.linalg.eigh(np.eye(2))
        print(f"Python {platform.python_version()}, numpy {np.__version__}, scipy "
              f"{scipy.__version__}, qutip {qutip.__version__}; BLAS threads: "
              f"{[lib['num_threads'] for lib in threadpool_info()]}")
        print(f"target: cfim <= {TARGET:g} x eigh of the same matrix\n")
        print(HEADER)
        print("-" * len(HEADER))
        for D in (int(x) for x in args.sizes.split(",")):
            run(D)


if __name__ == "__main__":
    main()
