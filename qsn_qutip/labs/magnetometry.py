r"""The exercises of lab 5, "magnetometry in physical units", and their checkers.

Each checker computes the right answer with :mod:`qsn_qutip.magnetometry` (a
:class:`~qsn_qutip.magnetometry.FieldTask` and :func:`~qsn_qutip.magnetometry.best_time`,
never a stored number) and names the usual slips: the dead time forgotten, :math:`\gamma/2\pi`
(Hz/T) used for :math:`\gamma` (rad s^-1 T^-1), a standard deviation per shot instead of a
sensitivity, a variance, the per-shot optimum, the two cells' noises added as standard
deviations.

>>> from qsn_qutip.labs import check
>>> print(check("lab5.best_time", 0.5))                # doctest: +ELLIPSIS
✗ lab5.best_time: your t*/T2 is 0.5: the best time without dead time; ...
"""

from __future__ import annotations

import functools
import math

import numpy as np

from .checking import close, exercise, number, right, wrong

__all__ = ["ATOMS", "RAMSEY", "DEAD", "DISTANCE"]

#: the numbers of the exercises: atoms per cell, Ramsey time (s), dead time (s), distance (m)
ATOMS, RAMSEY, DEAD, DISTANCE = 10 ** 4, 2e-3, 3e-3, 0.05


@functools.lru_cache(maxsize=1)
def _gamma() -> float:
    from ..magnetometry import SPECIES
    return abs(SPECIES["87Rb F=2"].gamma)


def _field_variance(cells: int) -> float:
    """Var of the estimated quantity per shot for product states: one cell's field
    (``cells = 1``) or the gradient of two cells ``DISTANCE`` apart (``cells = 2``), from
    :class:`~qsn_qutip.magnetometry.FieldTask` with the product QFIM diag(N)."""
    from ..magnetometry import FieldTask, GradientField, SensorArray, UniformField
    from ..network import Network
    from ..sensors import QubitEnsemble
    network = Network([QubitEnsemble(1) for _ in range(cells)])
    positions = [[0.0, 0, 0], [DISTANCE, 0, 0]][:cells]
    array = SensorArray(network, positions, species="87Rb F=2")
    field = UniformField() if cells == 1 else GradientField()
    task = FieldTask(array, field)
    name = "Bz" if cells == 1 else "dBz/dx"
    return task.variance(ATOMS * np.eye(cells), RAMSEY, name)


def _sensitivity(cells: int) -> float:
    return math.sqrt(_field_variance(cells) * (RAMSEY + DEAD))


def _diagnose(value: float, candidates) -> str | None:
    for candidate, message in candidates:
        if close(value, candidate, 1e-4):
            return message
    return None


@exercise("lab5.sensitivity", "the field sensitivity (T/sqrt(Hz)) of 10^4 87Rb atoms (F = 2) "
                              "in a product state: t = 2 ms, dead time 3 ms, no noise")
def _sensitivity_of_one_cell(answer):
    value = number(answer, "sensitivity")
    want = _sensitivity(1)
    if close(value, want, 1e-6):
        return right(f"{value:.4g} T/sqrt(Hz) = sqrt((t + t_d)/t) / (gamma sqrt(N t)): "
                     f"{want * 1e12:.3g} pT after one second of shots; without the dead time "
                     f"it would be {want * math.sqrt(RAMSEY / (RAMSEY + DEAD)) * 1e12:.3g} pT.")
    per_shot = math.sqrt(_field_variance(1))
    message = _diagnose(value, [
        (want * math.sqrt(RAMSEY / (RAMSEY + DEAD)),
         "1/(gamma sqrt(N t)), without the dead time: a shot lasts t + t_d, so multiply by "
         "sqrt((t + t_d)/t)"),
        (want * 2 * math.pi, "gamma/2pi was used for gamma: the phase is gamma t B with gamma in "
                             "rad s^-1 T^-1 (SPECIES[...].gamma), not in Hz/T"),
        (want / (2 * math.pi), "2 pi gamma was used: SPECIES[...].gamma is already in "
                               "rad s^-1 T^-1"),
        (per_shot, "the standard deviation of one shot (T): a sensitivity is that times "
                   "sqrt(t + t_d), in T/sqrt(Hz)"),
        (want ** 2, "a variance: take the square root"),
    ])
    if message:
        return wrong(f"your sensitivity is {value:.4g}: {message}.")
    return wrong(f"your sensitivity is {value:.4g} T/sqrt(Hz); one shot gives Var(B) = "
                 f"1/(N gamma^2 t^2), and eta = sqrt(Var(B) (t + t_d)).")


@exercise("lab5.best_time", "the best Ramsey time t*/T2 of a product state when the dead "
                            "time equals T2")
def _best_time(answer):
    from ..magnetometry import best_time
    value = number(answer, "t*/T2")
    t, _ = best_time(lambda x: (x + 1.0) * math.exp(2 * x) / x ** 2, (1e-4, 1e2))
    if close(value, t, 1e-4):
        return right(f"t*/T2 = {value:.6g}: the root of 1/(t + t_d) + 2/T2 = 2/t, between T2/2 "
                     f"(no dead time) and T2 (a dead time much longer than T2).")
    message = _diagnose(value, [
        (0.5, "the best time without dead time; with t_d the shot lasts t + t_d, so "
              "minimise (t + t_d) exp(2t/T2)/t^2"),
        (1.0, "the best time per shot (or for a dead time much longer than T2); here t_d = T2"),
        (0.25, "the GHZ state's time for two atoms, or exp(-t/T2) used for the information "
               "instead of exp(-2t/T2)"),
    ])
    if message:
        return wrong(f"your t*/T2 is {value:.4g}: {message}.")
    return wrong(f"your t*/T2 is {value:.4g}; minimise eta^2 = (t + t_d) exp(2t/T2)/(N gamma^2 "
                 f"t^2) with t_d = T2 (best_time does it numerically).")


@exercise("lab5.gradient", "the product-state sensitivity to dBz/dx (T/m/sqrt(Hz)) of two "
                           "cells of 10^4 atoms 5 cm apart: t = 2 ms, dead time 3 ms")
def _gradient(answer):
    value = number(answer, "gradient sensitivity")
    want = _sensitivity(2)
    one = _sensitivity(1)
    if close(value, want, 1e-6):
        return right(f"{value:.4g} T/m/sqrt(Hz) = sqrt2 x {one:.4g} T/sqrt(Hz) / "
                     f"{DISTANCE:g} m: G = (B_2 - B_1)/L, and the two cells' variances add.")
    message = _diagnose(value, [
        (one / DISTANCE, "eta_B/L: the two cells' noises add, Var(B_2 - B_1) = 2 Var(B), so "
                         "multiply by sqrt2"),
        (2 * one / DISTANCE, "2 eta_B/L: the standard deviations were added; independent "
                             "noises add in variance, sqrt2 eta_B/L"),
        (math.sqrt(2) * one * DISTANCE, "sqrt2 eta_B L: divide by the distance, G = "
                                        "(B_2 - B_1)/L"),
        (2 * math.sqrt(2) * one / DISTANCE, "sqrt2 eta_B/(L/2): L is the distance between the "
                                            "cells, not from the centre"),
        (want * math.sqrt(2), "the sensitivity of N/2 atoms per cell: each cell has N atoms"),
    ])
    if message:
        return wrong(f"your sensitivity is {value:.4g}: {message}.")
    return wrong(f"your sensitivity is {value:.4g} T/m/sqrt(Hz); Var(G) = 2 Var(B)/L^2 per shot, "
                 f"times t + t_d.")
