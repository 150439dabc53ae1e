"""Benchmark of :func:`qsn_qutip.qfim` against the cost of reading the state once.

Usage: ``python benchmarks/bench_qfim.py [--quick]``.  BLAS is pinned to one thread
(threadpoolctl).  Every time is the best of three calls (two for qfim at D = 2048; the
eigendecompositions that lose on their first call are not repeated), and every ratio compares
two times measured in the same run, so a busy machine shifts both.

Pure states, diagonal local generators (``qfim(psi, network.local_generators)``), two
``QubitEnsemble(n)`` sensors in the Dicke basis, kets stored dense (``qutip.data.Dense``):

* ``ghz-like``: ``states.ghz_like(network, [1, 1])`` (two non-zero amplitudes, stored dense);
* ``product``: the tensor product of two random dense local kets (every amplitude non-zero).

Target (PASS): at most 3x the time of ``abs(psi) ** 2`` on the same amplitudes and a peak
memory of the QFIM call (tracemalloc) of at most one copy of psi.  Up to n = 10^4 (10^8
amplitudes, 1.6 GB); how long ``ghz_like`` took to build the ket is printed below the table.

Mixed states: a full-rank ``qutip.rand_dm`` of dimension D = 256 ... 2048 on qubit sensors in
the full basis (generators J_z, diagonal): two parameters (two sensors of several qubits) or
eight (eight sensors of one or two qubits).  Target (PASS): at most 2x the fastest
eigendecomposition of the same matrix among ``scipy.linalg.eigh`` (drivers 'evr', 'evd') and
``numpy.linalg.eigh``.
A real symmetric D = 1024 case shows the real-arithmetic path (baseline: the fastest real eigh).

Columns: ``qfim`` and ``baseline`` in seconds, ``ratio`` = qfim / baseline, ``peak`` = the
tracemalloc peak of one qfim call, ``state`` = the size of psi or rho, ``err`` = the largest
deviation from an independent value (closed form for kets, the plain all-pairs SLD formula for
density matrices) relative to the largest entry.  ``--quick`` skips n = 10^4 and D = 2048.
"""

from __future__ import annotations

import argparse
import gc
import platform
import time
import tracemalloc

import numpy as np
import qutip
import scipy
import scipy.linalg
from threadpoolctl import threadpool_info, threadpool_limits

from qsn_qutip import Network, QubitEnsemble, qfim, states

PURE_TARGET = 3.0
MIXED_TARGET = 2.0
MIB = 2.0 ** 20


def best_time(func, repeats: int = 3) -> float:
    """The shortest of ``repeats`` wall-clock times of ``func()``."""
    times = []
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def traced_peak(func) -> float:
    """The tracemalloc peak (bytes) of one call of ``func``, above what was allocated before."""
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    func()
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    return peak


def dense_ket(qobj: qutip.Qobj) -> qutip.Qobj:
    return qobj if isinstance(qobj.data, qutip.data.Dense) else qobj.to("dense")


def random_local_ket(size: int, rng: np.random.Generator) -> np.ndarray:
    amplitudes = rng.normal(size=size) + 1j * rng.normal(size=size)
    return amplitudes / np.linalg.norm(amplitudes)


def jz_variance(ket: np.ndarray) -> float:
    """Variance of J_z in the Dicke basis (|0> has m = n/2) for a local ket."""
    m = (ket.size - 1) / 2 - np.arange(ket.size)
    prob = np.abs(ket) ** 2
    return prob @ (m - prob @ m) ** 2


# ----------------------------------------------------------------------------------------
# pure states
# ----------------------------------------------------------------------------------------
def pure_cases(sizes: list[int], notes: list[str]) -> None:
    rng = np.random.default_rng(1)
    for n in sizes:
        net = Network([QubitEnsemble(n), QubitEnsemble(n)])
        gens = net.local_generators
        start = time.perf_counter()
        ghz = states.ghz_like(net, [1, 1])
        notes.append(f"ghz_like, n = {n}: built in {time.perf_counter() - start:.2f} s, "
                     f"data layer {type(ghz.data).__name__}")
        exact = n ** 2 * np.ones((2, 2))
        pure_row("ghz-like", n, dense_ket(ghz), gens, exact)
        del ghz
        gc.collect()
        a, b = random_local_ket(n + 1, rng), random_local_ket(n + 1, rng)
        var_a, var_b = jz_variance(a), jz_variance(b)
        ket = qutip.tensor(qutip.Qobj(a, dims=[[n + 1], [1]]), qutip.Qobj(b, dims=[[n + 1], [1]]))
        pure_row("product", n, dense_ket(ket), gens, np.diag([4 * var_a, 4 * var_b]))
        del ket
        gc.collect()


def pure_row(case, n, psi, gens, exact) -> None:
    amplitudes = psi.data_as("ndarray", copy=False)
    baseline = best_time(lambda: np.abs(amplitudes) ** 2)
    t_qfim = best_time(lambda: qfim(psi, gens))
    peak = traced_peak(lambda: qfim(psi, gens))
    F = qfim(psi, gens)
    report(dict(case=f"pure {case}", dim=f"{(n + 1) ** 2:.3g}", d=len(gens), t_qfim=t_qfim,
                t_base=baseline, base="abs(psi)**2", target=PURE_TARGET, peak=peak,
                state=amplitudes.nbytes, err=np.abs(F - exact).max() / np.abs(exact).max(),
                ok=t_qfim <= PURE_TARGET * baseline and peak <= amplitudes.nbytes))


# ----------------------------------------------------------------------------------------
# mixed states
# ----------------------------------------------------------------------------------------
#: qubits per sensor (full basis) for each dimension: two sensors or eight sensors
TWO_SENSORS = {256: [4, 4], 512: [4, 5], 1024: [5, 5], 2048: [5, 6]}
EIGHT_SENSORS = {256: [1] * 8, 512: [1] * 7 + [2], 1024: [1] * 6 + [2] * 2,
                 2048: [1] * 5 + [2] * 3}


def fastest_eigh(rho: np.ndarray, repeats: int) -> tuple[float, str]:
    """The fastest eigendecomposition (values and vectors) of ``rho`` and its name: every
    routine once, then the fastest of them again, best of ``repeats``."""
    routines = {
        "scipy evr": lambda: scipy.linalg.eigh(rho, driver="evr", check_finite=False),
        "scipy evd": lambda: scipy.linalg.eigh(rho, driver="evd", check_finite=False),
        "numpy eigh": lambda: np.linalg.eigh(rho),
    }
    times = {name: best_time(func, 1) for name, func in routines.items()}
    name = min(times, key=times.get)
    return min(times[name], best_time(routines[name], repeats - 1)), name


def all_pairs_qfim(rho: np.ndarray, gens: list[qutip.Qobj]) -> np.ndarray:
    """The plain SLD formula: every pair of eigenvectors, full V^H H V (the reference)."""
    lam, vecs = scipy.linalg.eigh(rho)
    mats = [vecs.conj().T @ (np.real(g.diag())[:, None] * vecs) for g in gens]
    weights = (lam[:, None] - lam[None, :]) ** 2 / (lam[:, None] + lam[None, :])
    return np.array([[2 * np.sum(weights * (a * b.conj()).real) for b in mats] for a in mats])


def mixed_cases(cases: list[tuple[int, bool]]) -> None:
    """Each (D, real): one rand_dm of dimension D (its real part if real), both layouts."""
    for D, real in cases:
        rho_array = qutip.rand_dm(D, seed=D).full()
        if real:        # the real part of a density matrix is one (Re rho = (rho + rho^T) / 2)
            rho_array = np.ascontiguousarray((rho_array.real + rho_array.real.T) / 2)
        baseline, routine = fastest_eigh(rho_array, 3)
        for layout in (TWO_SENSORS, EIGHT_SENSORS):
            net = Network([QubitEnsemble(n, basis="full") for n in layout[D]])
            rho = qutip.Qobj(rho_array, dims=net.dims)
            gens = net.local_generators
            t_qfim = best_time(lambda: qfim(rho, gens), 3 if D <= 1024 else 2)
            peak = traced_peak(lambda: qfim(rho, gens))
            F = qfim(rho, gens)
            exact = all_pairs_qfim(rho_array, net.generators)
            report(dict(case=f"mixed {'real' if real else 'complex'}", dim=str(D), d=len(gens),
                        t_qfim=t_qfim, t_base=baseline, base=routine, target=MIXED_TARGET,
                        peak=peak, state=rho_array.nbytes,
                        err=np.abs(F - exact).max() / np.abs(exact).max(),
                        ok=t_qfim <= MIXED_TARGET * baseline))


# ----------------------------------------------------------------------------------------
# report
# ----------------------------------------------------------------------------------------
def print_environment() -> None:
    print(f"Python {platform.python_version()}, numpy {np.__version__}, scipy "
          f"{scipy.__version__}, qutip {qutip.__version__}, {platform.machine()}")
    for lib in threadpool_info():
        print(f"{lib['user_api']}: {lib['internal_api']} {lib['version']} "
              f"({lib.get('architecture', '?')}, {lib['threading_layer']}), "
              f"threads {lib['num_threads']}: {lib['filepath']}")


HEADER = (f"{'case':<15} {'dim':>8} {'d':>2} {'qfim s':>9} {'baseline s':>10} {'baseline':<12} "
          f"{'ratio':>6} {'target':>6} {'peak MiB':>9} {'state MiB':>9} {'err':>8}  result")


def report(r: dict) -> None:
    """Print one row of the table as soon as it is measured."""
    print(f"{r['case']:<15} {r['dim']:>8} {r['d']:>2} {r['t_qfim']:>9.4f} {r['t_base']:>10.4f} "
          f"{r['base']:<12} {r['t_qfim'] / r['t_base']:>6.2f} {r['target']:>6.1f} "
          f"{r['peak'] / MIB:>9.1f} {r['state'] / MIB:>9.1f} {r['err']:>8.1e}  "
          f"{'PASS' if r['ok'] else 'MISS'}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="skip the 10^8-amplitude kets and D = 2048")
    args = parser.parse_args()
    with threadpool_limits(1):
        scipy.linalg.eigh(np.eye(2))           # load every BLAS before listing them
        print_environment()
        print()
        print(HEADER)
        print("-" * len(HEADER))
        notes: list[str] = []
        pure_cases([1000] if args.quick else [1000, 10 ** 4], notes)
        dims = [256, 512, 1024] if args.quick else [256, 512, 1024, 2048]
        mixed_cases([(D, False) for D in dims] + [(1024, True)])
        for note in notes:
            print(note)


if __name__ == "__main__":
    main()
