r"""The exercises of labs 1-4 and their checkers (lab 6 in :mod:`~qsn_qutip.labs.networks`).

Each checker computes the right answer with the library (never a stored number) and, for a
wrong answer, looks for the usual slips: a generator :math:`\sigma_z` instead of
:math:`\sigma_z/2`, a missing factor 4 in :math:`F = 4\,\mathrm{Var}(\hat H)`, a forgotten
:math:`1/\mu`, a ratio upside down, the per-unit-time optimum where the per-shot one was asked.
The messages say what the number the student got *is*, so the slip can be found.

>>> from qsn_qutip.labs import check
>>> print(check("lab1.qfi_by_hand", 64.0))          # doctest: +ELLIPSIS
✗ lab1.qfi_by_hand: your QFI is 64 = 4 N^2: ... J_z = sum_i sigma_z^(i)/2 ...
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import QSNError
from .checking import close, exercise, number, numbers, right, wrong

__all__: list[str] = []     # nothing to import: the exercises register themselves


def _diagnose(value: float, candidates, rtol: float = 1e-6) -> str | None:
    """The message of the first ``(number, message)`` candidate that ``value`` matches."""
    for candidate, message in candidates:
        if close(value, candidate, rtol):
            return message
    return None


# -- lab 1: the QFI of one qubit and of a GHZ state ------------------------------------------
@exercise("lab1.qfi_by_hand", "F = 4 Var(J_z) of the 4-qubit GHZ state, J_z built by hand")
def _qfi_by_hand(answer):
    N = 4
    F = number(answer, "QFI")
    if close(F, N ** 2):
        return right(f"F = {F:g} = N^2 for N = {N}: the Heisenberg scaling; the GHZ state's "
                     f"J_z takes only the values +N/2 and -N/2, so Var(J_z) = N^2/4.")
    slip = _diagnose(F, [
        (4 * N ** 2, f"your QFI is {F:g} = 4 N^2: that is F for J_z = sum_i sigma_z^(i), without "
                     f"the 1/2; the generator is J_z = sum_i sigma_z^(i)/2 (kappa = 1 per qubit)."),
        (N, f"your QFI is {F:g} = N: the product state's value, and also Var(J_z) alone for "
            f"the GHZ state; is your state GHZ, and did you multiply by 4 (F = 4 Var(J_z))?"),
        (1.0, f"your QFI is {F:g}, one qubit's: J_z must add sigma_z/2 on every one of the {N} "
              f"qubits (qutip.tensor with qutip.qeye(2) on the others)."),
        (0.0, f"your QFI is {F:g}: your state is an eigenstate of your J_z (no variance); the "
              f"GHZ state is (|0000> + |1111>)/sqrt2 (qutip.ghz_state(4))."),
    ])
    return wrong(slip or f"your QFI is {F:.6g}; for a GHZ state of N qubits it should scale as "
                         f"N^2 — did you use J_z = sum_i sigma_z^(i)/2 and F = 4(<J_z^2> - "
                         f"<J_z>^2)?")


@exercise("lab1.ghz_bound", "the QCRB of a 10-qubit GHZ state with mu = 100 repeats")
def _ghz_bound(answer):
    N, mu = 10, 100
    bound = number(answer, "bound")
    if close(bound, 1 / (mu * N ** 2)):
        return right(f"Var(phi) >= 1/(mu F) = 1/(100 x 100) = {bound:g} rad^2: a standard "
                     f"deviation of {math.sqrt(bound):g} rad.")
    slip = _diagnose(bound, [
        (1 / N ** 2, f"your bound is {bound:g} = 1/F, one repeat's: with mu repeats the bound "
                     f"is 1/(mu F); divide by mu = 100 (qcrb(F, repeats=100))."),
        (1 / (mu * N), f"your bound is {bound:g} = 1/(mu N): the product state's (F = N); the "
                       f"GHZ state has F = N^2 (states.local_ghz)."),
        (1 / (mu ** 2 * N ** 2), f"your bound is {bound:g} = 1/(mu^2 F): mu divides once."),
        (N ** 2, f"your bound is {bound:g} = F, the QFI itself: the bound is its inverse over mu."),
        (mu * N ** 2, f"your bound is {bound:g} = mu F: the bound is 1/(mu F)."),
        (1 / (mu * N ** 2 * 4), f"your bound is {bound:g} = 1/(4 mu N^2): a generator sigma_z "
                                f"instead of sigma_z/2 makes F four times too large."),
    ])
    return wrong(slip or f"your bound is {bound:.6g} rad^2; the QCRB is 1/(mu F) with the GHZ "
                         f"state's F and mu = 100 repeats.")


@exercise("lab1.noisy_ghz_qfi", "the QFI of p GHZ + (1 - p) white noise, N = 4, p = 0.7")
def _noisy_ghz_qfi(answer):
    N, p = 4, 0.7
    F = number(answer, "QFI")
    expected = N ** 2 * p ** 2 / (p + (1 - p) * 2 ** (1 - N))
    if close(F, expected):
        return right(f"F = {F:.6g} = N^2 p^2/(p + (1-p) 2^(1-N)): still above the product "
                     f"state's N = {N}, well below the pure GHZ's N^2 = {N ** 2}.")
    slip = _diagnose(F, [
        (N ** 2, f"your QFI is {F:g} = N^2, the pure GHZ state's: did you mix in the white "
                 f"noise with weight 1 - p = {1 - p:g}?"),
        (p * N ** 2, f"your QFI is {F:g} = p N^2: the mixture of the two QFIs; the QFI is "
                     f"convex, not linear, in the state — compute qfim(rho, ...) on rho."),
        (p ** 2 * N ** 2, f"your QFI is {F:g} = p^2 N^2: the coherence squared alone; compute "
                          f"qfim(rho, full.generators) on the mixed state."),
        (4 * expected, f"your QFI is {F:g}, 4 times too large: the generator is sigma_z/2 per "
                       f"qubit (use the network's generators)."),
    ])
    return wrong(slip or f"your QFI is {F:.6g}; rho = p |GHZ><GHZ| + (1-p) 1/2^N with N = 4, "
                         f"p = 0.7 in the full basis, then qfim(rho, full.generators)[0, 0].")


# -- lab 2: Theorem 1 by hand ----------------------------------------------------------------
def _lab2_network():
    from ..network import Network
    from ..sensors import OpticalMode, QubitEnsemble
    return Network([QubitEnsemble(3), OpticalMode(2)])


@exercise("lab2.mixed_probe", "(bound of the mixed probe, bound of its separable counterpart)")
def _mixed_probe(answer):
    from ..estimation import qcrb, qfim
    from ..states import random_mixed, random_pure
    from ..theorems import separable_counterpart
    entangled, separable = numbers(answer, 2, "pair of bounds")
    net = _lab2_network()
    rho = random_mixed(net, rank=2, seed=5)
    want = (qcrb(qfim(rho, net.generators)),
            qcrb(qfim(separable_counterpart(rho, net), net.generators)))
    if close(entangled, want[0]) and close(separable, want[1]):
        return right(f"the separable counterpart's bound {separable:.4g} rad^2 is below the "
                     f"mixed probe's {entangled:.4g} rad^2 (x {separable / entangled:.3f}): "
                     f"Theorem 1 holds for mixed probes too.")
    psi = random_pure(net, seed=11)
    pure = (qcrb(qfim(psi, net.generators)),
            qcrb(qfim(separable_counterpart(psi, net), net.generators)))
    if close(entangled, pure[0]) and close(separable, pure[1]):
        return wrong("these are the bounds of the pure probe psi of the lab; the exercise is "
                     "about rho = states.random_mixed(net, rank=2, seed=5).")
    if close(entangled, want[1]) and close(separable, want[0]):
        return wrong("your pair is upside down: first the mixed probe's own bound, then its "
                     "separable counterpart's.")
    if close(entangled, want[0]):
        return wrong(f"the mixed probe's bound is right; the counterpart's, {separable:.6g}, is "
                     f"not: build it with separable_counterpart(rho, net) (it purifies rho) and "
                     f"take qcrb(qfim(phi, net.generators)).")
    return wrong(f"your bounds are {entangled:.6g} and {separable:.6g}; take qcrb(qfim(state, "
                 f"net.generators)) of rho = states.random_mixed(net, rank=2, seed=5) and of "
                 f"separable_counterpart(rho, net)" +
                 (" — and note that Theorem 1 says the second is never the larger."
                  if separable > entangled else "."))


@exercise("lab2.ancilla_resources", "mean resource of the ancilla counterpart / of the probe")
def _ancilla_resources(answer):
    from ..network import Network
    from ..sensors import MultiLevelAtom
    from ..states import random_pure
    from ..theorems import ancilla_counterpart
    ratio = number(answer, "resource ratio")
    atoms = Network([MultiLevelAtom(spin=1, axes="xyz"), MultiLevelAtom(spin=1, axes="xyz")])
    probe = random_pure(atoms, seed=2)
    phi, doubled = ancilla_counterpart(probe, atoms)
    want = doubled.mean_resource(phi) / atoms.mean_resource(probe)
    if close(ratio, want):
        return right(f"the ancilla counterpart uses {ratio:.4g} x the resource: Theorem 2's "
                     f"price is at most a factor 2 (every sensor gets a copy as its ancilla).")
    if close(ratio, 1 / want):
        return wrong(f"your ratio {ratio:.4g} is upside down: the new probe's resource "
                     f"(doubled.mean_resource(phi2)) over the old one's.")
    return wrong(f"your ratio is {ratio:.6g}; divide doubled.mean_resource(phi2) (the "
                 f"counterpart on the doubled network) by atoms.mean_resource(probe)" +
                 (": Theorem 2 says it is at most 2." if ratio > 2 else "."))


# -- lab 3: the magnetic gradient ------------------------------------------------------------
@exercise("lab3.ratio_vs_n", "global/local GHZ bounds on the gradient for n = 1..10")
def _ratio_vs_n(answer):
    ratios = numbers(answer, 10, "list of ratios (n = 1..10)")
    if all(close(r, 0.5, 1e-9) for r in ratios):
        return right("global/local = 1/2 for every n: the global GHZ-like state halves the "
                     "variance on the gradient, whatever the size of the sites.")
    if all(close(r, 2.0, 1e-9) for r in ratios):
        return wrong("your ratios are 2: upside down; divide the global GHZ-like bound by the "
                     "local GHZ bound.")
    if all(close(r, 1.0, 1e-9) for r in ratios):
        return wrong("your ratios are 1: did you compare a state with itself? Use "
                     "states.ghz_like(net_n, v) and states.local_ghz(net_n).")
    if any(not np.isfinite(r) for r in ratios):
        return wrong("some ratios are not finite: the global state's QFIM is singular, so "
                     "qcrb(F) is inf; the bound on the gradient is function_bound(F, v).")
    bad = [n for n, r in enumerate(ratios, start=1) if not close(r, 0.5, 1e-9)]
    return wrong(f"your ratio differs from the expected constant at n = {bad}; build a fresh "
                 f"Network of two QubitEnsemble(n) for each n and divide the two "
                 f"function_bound(qfim(state, net_n.generators), v).")


@exercise("lab3.three_sites", "global/local GHZ bounds on (phi_1 + phi_2 + phi_3)/sqrt3")
def _three_sites(answer):
    ratio = number(answer, "ratio")
    if close(ratio, 1 / 3, 1e-9):
        return right("1/3: with d sites of equal |v_k| the GHZ-like state gains a factor d "
                     "(||v||_1^2 / (d ||v||_2^2) for the local GHZ with the same particles).")
    slip = _diagnose(ratio, [
        (3.0, "your ratio is 3: upside down (global over local)."),
        (0.5, "your ratio is 1/2, the two-site value: use three sensors and "
              "v3 = np.ones(3)/np.sqrt(3) in both states and both bounds."),
        (1.0, "your ratio is 1: did you compare a state with itself?"),
    ], rtol=1e-9)
    return wrong(slip or f"your ratio is {ratio:.6g}; build Network of three QubitEnsemble(2), "
                         f"then function_bound of the ghz_like and local_ghz QFIMs for v3.")


# -- lab 4: decoherence and the optimal interrogation time -----------------------------------
@exercise("lab4.crossover", "{N: F_GHZ/F_prod at t_x/2, t_x and 2 t_x} for N = 4, 20, 57")
def _crossover(answer):
    if not isinstance(answer, dict) or sorted(answer) != [4, 20, 57]:
        raise QSNError("your answer should be a dict {4: (...), 20: (...), 57: (...)} of three "
                       "ratios F_GHZ/F_prod each")
    for n_q, triple in sorted(answer.items()):
        half, at, double = numbers(triple, 3, f"ratios for N = {n_q}")
        want = (math.sqrt(n_q), 1.0, 1 / n_q)      # N e^(-2(N-1) gamma t) at t_x/2, t_x, 2 t_x
        if all(close(a, b, 1e-7) for a, b in zip((half, at, double), want)):
            continue
        if all(close(a, 1 / b, 1e-7) for a, b in zip((half, at, double), want)):
            return wrong(f"N = {n_q}: your ratios are F_prod/F_GHZ; the exercise asks for "
                         f"F_GHZ/F_prod.")
        if not close(at, 1.0, 1e-7):
            return wrong(f"N = {n_q}: at the crossover the ratio should be 1, yours is "
                         f"{at:.6g}: t_x = dephasing_crossover(N)/gamma, and the QFIs are "
                         f"qfi(e.local_ghz(), e, t) and qfi(e.product_state(), e, t) with "
                         f"e = QubitEnsemble(N).")
        return wrong(f"N = {n_q}: your ratios at t_x/2 and 2 t_x are {half:.6g} and "
                     f"{double:.6g}; F_GHZ/F_prod = N e^(-2(N-1) gamma t), so GHZ is better "
                     f"before t_x and worse after — evaluate the QFIs at t_x/2 and 2 t_x.")
    return right("F_GHZ/F_prod = N e^(-2(N-1) gamma t): sqrt(N) at t_x/2, 1 at t_x, 1/N at "
                 "2 t_x — GHZ wins only at short times.")


@exercise("lab4.per_shot", "(t* of GHZ, t* of the product state, product/GHZ value), per shot")
def _per_shot(answer):
    t_ghz, t_prod, ratio = numbers(answer, 3, "triple (t*_GHZ, t*_prod, ratio)")
    N = 8
    if close(t_ghz, 1 / N, 1e-5) and close(t_prod, 1.0, 1e-5) and close(ratio, N, 1e-6):
        return right("per shot, with the time free, the product state gains N = 8 over GHZ: "
                     "t* = 1/(N gamma) and 1/gamma, t^2 F = e^-2/gamma^2 and N e^-2/gamma^2.")
    if close(t_ghz, 1 / (2 * N), 1e-5) and close(t_prod, 0.5, 1e-5):
        return wrong("these are the optimal times per unit time (1/(2 N gamma), 1/(2 gamma)); "
                     "the exercise is per shot: optimal_interrogation_time(..., per=\"shot\").")
    if close(ratio, 1 / N, 1e-6):
        return wrong("your ratio is 1/N, upside down: the product state's value over GHZ's.")
    return wrong(f"your triple is ({t_ghz:.6g}, {t_prod:.6g}, {ratio:.6g}); per shot the "
                 f"information is t^2 F_phi(t): use optimal_interrogation_time with per=\"shot\" "
                 f"on QubitEnsemble(8) and take .time and .value.")


@exercise("lab4.gradient_crossover", "smallest N = 2n where global GHZ loses, gamma t = 0.02")
def _gradient_crossover(answer):
    N = number(answer, "N")
    threshold = math.log(2) / 0.02                  # 34.66
    if N == 36:
        return right(f"N = 36: the first even N above ln 2/(gamma t) = {threshold:.2f}, where "
                     f"the global/local ratio e^(2 n gamma t)/2 passes 1.")
    slip = _diagnose(N, [
        (18.0, "18 is n, the qubits per site; the exercise asks for N = 2n."),
        (34.0, f"at N = 34 < ln 2/(gamma t) = {threshold:.2f} the global state still wins: "
               f"the first N at which it is worse comes after."),
        (35.0, "N = 2n is even (two sites of n qubits)."),
        (38.0, "at N = 38 the global state is worse, but it already is at a smaller N."),
    ], rtol=1e-12)
    return wrong(slip or f"your N is {N:g}; compare function_bound(noisy_qfim(apply_noise(psi, "
                         f"net_n, NoiseModel(dephasing=gamma, time=t)), net_n), v) for the "
                         f"ghz_like and local_ghz states, n = 1, 2, ..., and stop at the first n "
                         f"where the global one is larger.")
