"""The ``qsn`` command line (thin: argument parsing and printing only).

``qsn demo [--n N]``: the paper's magnetic-gradient example, theta = (phi_2 - phi_1)/sqrt2 on
two qubit ensembles, for the global GHZ-like probe, the local GHZ probe and the product
probe, with the closed forms they should equal.

Bad input prints one line on stderr and exits with code 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import numpy as np

from . import states
from ._checks import QSNError
from .bounds import function_bound, ghz_bound, separable_bound
from .fisher import qfim
from .network import Network
from .sensors import QubitEnsemble

__all__ = ["main"]


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as one line and exit code 2."""

    def error(self, message: str):
        raise QSNError(message)


def gradient_rows(n: int) -> list[tuple[str, str, float, float]]:
    """(probe, allocation, mean resource, bound) for the gradient example with n qubits per site."""
    network = Network([QubitEnsemble(n, name="left"), QubitEnsemble(n, name="right")])
    v = np.array([-1.0, 1.0]) / np.sqrt(2)
    probes = {"global GHZ (Eq. 1)": states.ghz_like(network, v),
              "local GHZ": states.local_ghz(network),
              "product (SQL)": states.product(network)}
    rows = []
    for name, psi in probes.items():
        bound = function_bound(qfim(psi, network.local_generators), v)
        rows.append((name, f"{n}+{n}", network.mean_resource(psi), bound))
    return rows


def _demo(args: argparse.Namespace) -> int:
    n = args.n
    rows = gradient_rows(n)
    v = np.array([-1.0, 1.0]) / np.sqrt(2)
    best_separable = rows[1][3]
    print(f"Magnetic gradient theta = (phi_2 - phi_1)/sqrt2, two sensors of {n} qubits "
          f"(N = {2 * n}), one repeat")
    print(f"{'probe':<20} {'qubits':>7} {'resources':>10} {'Var(theta) >=':>14} "
          f"{'vs local GHZ':>13}")
    for name, alloc, resources, bound in rows:
        print(f"{name:<20} {alloc:>7} {resources:>10.4g} {bound:>14.6g} "
              f"{bound / best_separable:>13.4g}")
    print(f"closed forms: GHZ-like ||v||_1^2/N^2 = {ghz_bound(v, 2 * n):.6g}, "
          f"best separable ||v||_(2/3)^2/N^2 = {separable_bound(v, 2 * n):.6g}")
    print("Verdict: the sensor-entangled GHZ-like probe halves the variance of the global "
          "function (||v||_1^2/||v||_(2/3)^2 = 1/2); for phi_1 and phi_2 themselves the "
          "separable local GHZ probe is optimal (Theorem 1).")
    return 0


def _build_parser() -> _Parser:
    parser = _Parser(prog="qsn", description="Networks of quantum sensors on QuTiP.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    demo = commands.add_parser("demo", help="the gradient-magnetometry comparison table")
    demo.add_argument("--n", type=int, default=4, help="qubits per sensor (default 4)")
    demo.set_defaults(run=_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``qsn`` console script; returns the exit code."""
    try:
        args = _build_parser().parse_args(argv)
        return args.run(args)
    except QSNError as err:
        print(f"qsn: error: {err}", file=sys.stderr)
        return 2
