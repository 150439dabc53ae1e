"""Benchmark of the noise layer: large qubit ensembles under local dephasing, exactly.

Usage: ``python benchmarks/bench_noise.py [--quick] [--full-max N] [--mesolve] [--largest]``.
Every time is the best of three calls (``--repeats``); the peak memory is the tracemalloc peak
of one more call.  BLAS is pinned to one thread (threadpoolctl) for the whole run: the
Dicke-block QFI runs its eigen-decompositions on two worker threads itself when the blocks are
large (``qsn_qutip.noise.WORKERS``), and the full-space reference is then single threaded.
Other jobs share the machine, so compare ratios measured in the same run.

Single ensemble ``QubitEnsemble(N)`` (Dicke basis), local dephasing with gamma t = 0.05
(``qsn_qutip.noise.local_dephasing``), QFI per unit phase from ``DickeBlockState.qfi``:

* ``ghz``: the GHZ state, closed form :math:`N^2e^{-2N\\gamma t}` (down to 1e-81 at N = 2000);
  ``ghz t*``: the GHZ state at its optimal time :math:`\\gamma t = 1/(2N)`, :math:`F = N^2/e`;
* ``css``: :math:`|+\\rangle^{\\otimes N}`, closed form :math:`Ne^{-2\\gamma t}` (every (m, m') pair
  occupied: the dense path; only the kept blocks are built, about 140 of 1001 at N = 2000);
* ``twisted``: :math:`e^{-i0.4J_x}e^{-i\\mu J_z^2/2}|+\\rangle^{\\otimes N}`, complex, no closed form.

Columns: ``state s`` (building the noisy Dicke blocks), ``qfi s`` (their eigen-decompositions
and the SLD sums), ``total s``, ``peak MiB``, ``blocks`` and ``largest`` (kept blocks, rows of
the largest), ``F`` and ``rel err`` against the closed form.  Targets of the issue: GHZ
N >= 600 and spin-coherent N >= 300 within a minute.

Full space: the same probes on ``2^N`` amplitudes (the exact channel
:math:`\\rho_{xy}e^{-\\gamma t\\,d(x,y)}` and the SLD formula with ``numpy.linalg.eigh``, a
reference that does not use the package), N = 4 .. ``--full-max``; ``ratio`` = full / Dicke time,
``|dF|/F`` the disagreement; the full-space peak is traced up to N = 11 and estimated above
(five D x D float arrays).  Network: the two-site gradient probes with n qubits per site.
``--mesolve``: what integrating the :mod:`qutip.piqs` Liouvillian with :func:`qutip.mesolve` at
default tolerances gives for GHZ (the route the closed form replaces).  ``--largest``: the
largest N (steps of 25 % from 2000) whose spin-coherent probe is dephased and its QFI computed
within 60 s.

Before and after (issue 13: build only the transfer that is kept), ``css`` at gamma t = 0.05,
BLAS on one thread, one shared 2-core machine (load 5-7 from other jobs), the same session;
seconds of state + QFI, best of 3 (the largest N: one call, N growing by 25 % from 2000):

=========================  ===============================  ===============================
                           before (every Sym^n, n = 0..N)   after (kept blocks only)
=========================  ===============================  ===============================
N = 300                    0.075 + 0.083 = 0.16 s           0.082 + 0.061 = 0.14 s
N = 2000                   17.6 + 1.2 = 18.8 s              1.1 + 2.8 = 3.9 s
largest N within 60 s      2500 (58 s; 3125: 79 s)          6102 (45 s; 7627: 72 s)
=========================  ===============================  ===============================

The state now costs little next to the QFI (the eigen-decompositions of the kept blocks, about
140 of up to 463 rows at N = 2000), which sets the largest N.  :data:`BEFORE` holds the old
numbers, printed next to the new rows.
"""

from __future__ import annotations

import argparse
import gc
import math
import platform
import time

import numpy as np
import qutip
import scipy
from scipy.special import gammaln

from bench_qfim import traced_peak     # the same measure in every benchmark
from qsn_qutip import Network, QubitEnsemble, states
from qsn_qutip.noise import NoiseModel, apply_noise, local_dephasing, noisy_qfim

GAMMA_T = 0.05
TARGETS = {"ghz": 600, "css": 300}          # N that must finish within TARGET_SECONDS
TARGET_SECONDS = 60.0
MIB = 2.0 ** 20
#: css at gamma t = 0.05 before issue 13 (commit b438050): N -> (state s, qfi s), and the
#: largest N done within 60 s
BEFORE = {"css": {300: (0.075, 0.083), 2000: (17.622, 1.154)}, "largest": 2500}


def best_time(func, repeats: int) -> tuple[float, object]:
    """The shortest wall-clock time of ``repeats`` calls, and the last result."""
    best, out = math.inf, None
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        out = func()
        best = min(best, time.perf_counter() - start)
    return best, out


#: probes of the single-ensemble table, in order
DICKE_KINDS = ("ghz", "ghz t*", "css", "twisted")


def probe_sizes(quick: bool) -> dict[str, list[int]]:
    """N of every probe of the single-ensemble table (and n per site of the network table)."""
    if quick:
        return {"ghz": [100, 600, 2000], "ghz t*": [10 ** 4], "css": [50, 300, 2000],
                "twisted": [100], "network": [50]}
    return {"ghz": [100, 200, 400, 600, 1000, 2000, 5000], "ghz t*": [10 ** 4, 10 ** 5],
            "css": [50, 100, 200, 300, 600, 1000, 1500, 2000], "twisted": [100, 300, 600],
            "network": [50, 300]}


# ----------------------------------------------------------------------------------------
# probes
# ----------------------------------------------------------------------------------------
def css_ket(n: int) -> qutip.Qobj:
    r""":math:`|+\rangle^{\otimes n}` in the Dicke basis in closed form, amplitudes
    :math:`\sqrt{\binom nk}/2^{n/2}` (``QubitEnsemble.product_state()`` to round-off, without its
    dense matrix exponential, which takes minutes at n = 10^4)."""
    k = np.arange(n + 1)
    log_binom = gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1)
    amp = np.exp(0.5 * log_binom - 0.5 * n * math.log(2))
    return qutip.Qobj(amp, dims=[[n + 1], [1]])


def probe(kind: str, n: int) -> tuple[qutip.Qobj, float | None, float]:
    """(ket in the Dicke basis, closed-form QFI or None, gamma t) of a probe."""
    ens = QubitEnsemble(n)
    if kind == "ghz":
        return ens.local_ghz(), n ** 2 * math.exp(-2 * n * GAMMA_T), GAMMA_T
    if kind == "ghz t*":
        return ens.local_ghz(), n ** 2 / math.e, 1 / (2 * n)
    if kind == "css":
        return css_ket(n), n * math.exp(-2 * GAMMA_T), GAMMA_T
    if kind == "twisted":
        jz = ens.generators[0]
        mu = 0.3 / n ** (2 / 3)
        twisted = qutip.Qobj((np.exp(-0.5j * mu * jz.diag() ** 2)
                              * ens.product_state().full().ravel()), dims=ens.product_state().dims)
        return (-0.4j * qutip.jmat(n / 2, "x")).expm() * twisted, None, GAMMA_T
    raise ValueError(kind)


# ----------------------------------------------------------------------------------------
# the Dicke-block path
# ----------------------------------------------------------------------------------------
def dicke_row(kind: str, n: int, repeats: int) -> dict:
    ens = QubitEnsemble(n)
    psi, exact, gamma_t = probe(kind, n)
    t_state, noisy = best_time(lambda: local_dephasing(psi, ens, gamma_t), repeats)
    t_qfi, F = best_time(noisy.qfi, repeats)
    peak = traced_peak(lambda: local_dephasing(psi, ens, gamma_t).qfi())
    sizes = [b.rho.shape[0] for b in noisy.blocks]
    return dict(kind=kind, n=n, t_state=t_state, t_qfi=t_qfi, peak=peak, blocks=len(sizes),
                largest=max(sizes), F=F, exact=exact, bound=noisy.truncation_error)


def largest_n(kind: str = "css", start: int = 2000, limit: float = TARGET_SECONDS,
              growth: float = 1.25) -> list[tuple[int, float]]:
    """(N, seconds) of one dephasing + QFI for N = start, start * growth, ... until one takes
    longer than ``limit`` (the last row is the first N over it)."""
    rows = []
    n = start
    while True:
        psi, _, gamma_t = probe(kind, n)
        ens = QubitEnsemble(n)
        start_time = time.perf_counter()
        local_dephasing(psi, ens, gamma_t).qfi()
        rows.append((n, time.perf_counter() - start_time))
        if rows[-1][1] > limit:
            return rows
        n = int(n * growth)


def print_before_after(rows: list[dict], search: list[tuple[int, float]] | None) -> None:
    """The css rows next to the numbers measured before issue 13 (:data:`BEFORE`)."""
    print(f"{'css':<8} {'N':>6} {'before s':>9} {'after s':>9} {'speed-up':>9}")
    for r in rows:
        before = BEFORE["css"].get(r["n"]) if r["kind"] == "css" else None
        if before:
            after = r["t_state"] + r["t_qfi"]
            print(f"{'':<8} {r['n']:>6} {sum(before):>9.3f} {after:>9.3f} "
                  f"{sum(before) / after:>8.1f}x")
    if search:
        done = [n for n, t in search if t <= TARGET_SECONDS]
        print(f"largest N within {TARGET_SECONDS:g} s: before {BEFORE['largest']}, after "
              f"{max(done) if done else '-'} (" + ", ".join(f"{n}: {t:.1f} s" for n, t in search)
              + ")")


def print_dicke(rows: list[dict]) -> None:
    header = (f"{'probe':<8} {'N':>6} {'state s':>9} {'qfi s':>8} {'total s':>8} "
              f"{'peak MiB':>9} {'blocks':>6} {'largest':>7} {'F':>22} {'rel err':>8}  target")
    print(header)
    print("-" * len(header))
    for r in rows:
        total = r["t_state"] + r["t_qfi"]
        err = (abs(r["F"] - r["exact"]) / r["exact"] if r["exact"] else float("nan"))
        base = r["kind"].split()[0]
        target = ""
        if base in TARGETS and r["n"] >= TARGETS[base]:
            target = "PASS" if total < TARGET_SECONDS else "MISS"
        print(f"{r['kind']:<8} {r['n']:>6} {r['t_state']:>9.4f} {r['t_qfi']:>8.4f} "
              f"{total:>8.3f} {r['peak'] / MIB:>9.1f} {r['blocks']:>6} {r['largest']:>7} "
              f"{r['F']:>22.15g} {err:>8.1e}  {target}")


# ----------------------------------------------------------------------------------------
# the full 2^N space (independent reference)
# ----------------------------------------------------------------------------------------
def full_space_qfi(psi: qutip.Qobj, n: int, gamma_t: float) -> float:
    r"""QFI of the dephased probe on all :math:`2^N` amplitudes, without the package."""
    x = np.arange(2 ** n)
    downs = np.bitwise_count(x)
    amp = psi.full().ravel()[downs] / np.sqrt(
        np.array([math.comb(n, k) for k in range(n + 1)], dtype=float)[downs])
    if not np.any(amp.imag):
        amp = amp.real
    rho = np.outer(amp, amp.conj())
    rho *= np.exp(-gamma_t * np.bitwise_count(x[:, None] ^ x[None, :]))
    lam, vecs = np.linalg.eigh(rho)
    del rho
    lam = np.clip(lam, 0.0, None)          # no cut-off: the exact SLD sum
    m = n / 2 - downs
    H = vecs.conj().T @ (m[:, None] * vecs)
    total = lam[:, None] + lam[None, :]
    with np.errstate(invalid="ignore", divide="ignore"):
        weights = np.where(total > 0, (lam[:, None] - lam[None, :]) ** 2 / total, 0.0)
    return float(2 * np.sum(weights * np.abs(H) ** 2))


def full_rows(n_values: list[int], repeats: int,
              kinds: tuple[str, ...] = ("ghz", "css", "twisted")) -> list[dict]:
    """Dicke blocks against the full 2^N space for every probe in ``kinds`` and N in
    ``n_values`` (the complex ``twisted`` probe stops one N short)."""
    rows = []
    for kind in kinds:
        for n in n_values[:-1] if kind == "twisted" else n_values:   # complex: 16x the time
            psi, _, gamma_t = probe(kind, n)
            ens = QubitEnsemble(n)
            t_dicke, F_dicke = best_time(lambda: local_dephasing(psi, ens, gamma_t).qfi(),
                                         repeats)
            reps = repeats if n <= 11 else 1
            t_full, F_full = best_time(lambda: full_space_qfi(psi, n, gamma_t), reps)
            peak = (traced_peak(lambda: full_space_qfi(psi, n, gamma_t)) if n <= 11
                    else 5 * 8.0 * 4 ** n)          # five D x D float arrays, not traced
            rows.append(dict(kind=kind, n=n, t_dicke=t_dicke, t_full=t_full, peak=peak,
                             F=F_dicke, err=abs(F_dicke - F_full) / F_full))
    return rows


def print_full(rows: list[dict]) -> None:
    header = (f"{'probe':<8} {'N':>3} {'2^N':>6} {'Dicke s':>9} {'full s':>9} {'ratio':>9} "
              f"{'full peak MiB':>13} {'F':>20} {'|dF|/F':>8}")
    print(header)
    print("-" * len(header))
    for r in rows:
        print(f"{r['kind']:<8} {r['n']:>3} {2 ** r['n']:>6} {r['t_dicke']:>9.5f} "
              f"{r['t_full']:>9.4f} {r['t_full'] / r['t_dicke']:>9.1f} "
              f"{r['peak'] / MIB:>13.1f} {r['F']:>20.14g} {r['err']:>8.1e}")


# ----------------------------------------------------------------------------------------
# the two-site gradient network
# ----------------------------------------------------------------------------------------
def network_rows(n_values: list[int], repeats: int) -> list[dict]:
    rows = []
    gamma_t = 0.02
    c2 = math.exp(-2 * gamma_t)
    for n in n_values:
        net = Network([QubitEnsemble(n), QubitEnsemble(n)])
        noise = NoiseModel(dephasing=gamma_t)
        cases = {"global GHZ": (states.ghz_like(net, [-1, 1]), n ** 2 * c2 ** (2 * n)),
                 "local GHZ": (states.local_ghz(net), n ** 2 * c2 ** n),
                 "product": (states.product(net), n * c2)}
        for name, (psi, exact) in cases.items():
            t_state, noisy = best_time(lambda: apply_noise(psi, net, noise), repeats)
            t_qfi, F = best_time(lambda: noisy_qfim(noisy, net), repeats)
            rows.append(dict(case=name, n=n, kind=type(noisy).__name__, t_state=t_state,
                             t_qfi=t_qfi, F=F[1, 1], err=abs(F[1, 1] - exact) / exact))
    return rows


def print_network(rows: list[dict]) -> None:
    header = (f"{'probe':<11} {'n/site':>6} {'result':<16} {'state s':>9} {'qfi s':>8} "
              f"{'F_22':>20} {'rel err':>8}")
    print(header)
    print("-" * len(header))
    for r in rows:
        print(f"{r['case']:<11} {r['n']:>6} {r['kind']:<16} {r['t_state']:>9.4f} "
              f"{r['t_qfi']:>8.4f} {r['F']:>20.14g} {r['err']:>8.1e}")


# ----------------------------------------------------------------------------------------
# mesolve on the piqs Liouvillian (what the closed form replaces)
# ----------------------------------------------------------------------------------------
def mesolve_rows(n_values: list[int]) -> list[str]:
    from qutip import piqs
    lines = []
    for n in n_values:
        ens = QubitEnsemble(n)
        start = time.perf_counter()
        L = piqs.Dicke(n, dephasing=2 * GAMMA_T).liouvillian()
        rho0 = piqs.ghz(n)
        final = qutip.mesolve(L, rho0, [0.0, 1.0]).states[-1]
        t_mesolve = time.perf_counter() - start
        from qsn_qutip.noise import DickeBlockState
        F = DickeBlockState.from_dicke_dm((final + final.dag()) / 2, n, sensor=ens).qfi()
        exact = n ** 2 * math.exp(-2 * n * GAMMA_T)
        start = time.perf_counter()
        F_closed = local_dephasing(ens.local_ghz(), ens, GAMMA_T).qfi()
        t_closed = time.perf_counter() - start
        lines.append(f"ghz N={n:>4}: mesolve (piqs, default tolerances) {t_mesolve:8.3f} s, "
                     f"rel err {abs(F - exact) / exact:.1e};  closed form {t_closed:.4f} s, "
                     f"rel err {abs(F_closed - exact) / exact:.1e}")
    return lines


def print_environment() -> None:
    print(f"Python {platform.python_version()}, numpy {np.__version__}, scipy "
          f"{scipy.__version__}, qutip {qutip.__version__}, {platform.machine()}")
    try:
        from threadpoolctl import threadpool_info
        for lib in threadpool_info():
            print(f"{lib['user_api']}: {lib['internal_api']} {lib['version']}, "
                  f"threads {lib['num_threads']}")
    except ImportError:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller N everywhere")
    parser.add_argument("--full-max", type=int, default=12,
                        help="largest N on the full 2^N space (default 12)")
    parser.add_argument("--repeats", type=int, default=3, help="best of this many calls")
    parser.add_argument("--mesolve", action="store_true",
                        help="also integrate the piqs Liouvillian with qutip.mesolve")
    parser.add_argument("--largest", action="store_true",
                        help="also find the largest spin-coherent N done within 60 s")
    args = parser.parse_args()
    try:
        from threadpoolctl import threadpool_limits
        threadpool_limits(1)                 # for the whole run
    except ImportError:                      # BLAS then keeps its own threads
        pass
    print_environment()
    sizes = probe_sizes(args.quick)
    rows = [dicke_row(kind, n, args.repeats) for kind in DICKE_KINDS for n in sizes[kind]]
    print(f"\nSingle ensemble, local dephasing (gamma t = {GAMMA_T} unless 't*')")
    print_dicke(rows)
    print("\nBefore and after issue 13 (the transfer built only where it is kept)")
    print_before_after(rows, largest_n() if args.largest else None)
    print(f"\nDicke blocks against the full 2^N space (gamma t = {GAMMA_T})")
    print_full(full_rows(list(range(4, args.full_max + 1, 2 if args.quick else 1)),
                         args.repeats))
    print("\nTwo-site gradient network, local dephasing gamma t = 0.02 (F_22 against the "
          "closed form)")
    print_network(network_rows(sizes["network"], args.repeats))
    if args.mesolve:
        print()
        for line in mesolve_rows([10, 20, 40]):
            print(line)


if __name__ == "__main__":
    main()
