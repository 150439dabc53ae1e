"""The ``qsn`` command line.

In-process (``run_qsn``, :func:`qsn_qutip.cli.main`): ``qsn demo`` prints the gradient example's
closed forms (1/32, 1/16, 1/4 for N = 8), help for every command, and bad input is one line on
stderr with exit code 2.  A handful of real runs of the installed console script and of
``python -m qsn_qutip`` check what only a new process shows: the entry points, exit codes, no
traceback, and that help and usage errors do not import QuTiP (the command starts instantly).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(sys.executable).with_name("qsn")
NUMBER = re.compile(r"(?<![\w.])[-+]?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?")
COMMANDS = ("run", "check", "draw", "demo", "figures", "simulate", "sweep")


def _console(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(SCRIPT), *args], capture_output=True, text=True, timeout=120)


def _numbers(text: str) -> list[float]:
    return [float(x) for x in NUMBER.findall(text)]


def _assert_printed(value: float, text: str, rel: float = 1e-5) -> None:
    assert any(abs(x - value) <= rel * abs(value) for x in _numbers(text)), \
        f"{value} not printed in:\n{text}"


def _assert_one_line_error(code: int, out: str, err: str, match: str) -> None:
    assert code == 2
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("qsn: error:"), err
    assert re.search(match, lines[0]), lines[0]
    assert out == ""


# -- real processes: the entry points ------------------------------------------------------------
def test_console_script_is_installed():
    assert SCRIPT.is_file(), f"the qsn console script is missing beside {sys.executable}"


def test_console_script_demo_prints_the_closed_forms():
    done = _console("demo")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    # gradient, N = 8: GHZ-like ||v||_1^2/N^2 = 1/32, local GHZ ||v||_(2/3)^2/N^2 = 1/16,
    # product (QFI 4 per sensor) v^T F^-1 v = 1/4
    for token in ("0.03125", "0.0625", "0.25"):
        assert re.search(rf"(?<![\d.]){re.escape(token)}(?![\d])", done.stdout), done.stdout


@pytest.mark.parametrize("entry", [[str(SCRIPT)], [sys.executable, "-m", "qsn_qutip"]],
                         ids=["console-script", "python-m"])
def test_unknown_command_is_one_line_exit_2(entry):
    done = subprocess.run([*entry, "frobnicate"], capture_output=True, text=True, timeout=120)
    _assert_one_line_error(done.returncode, done.stdout, done.stderr, "invalid choice")


HELP_PROBE = """
import sys
import qsn_qutip
from qsn_qutip.cli import main
codes = []
for argv in (["--help"], *([c, "--help"] for c in {commands!r}), ["frobnicate"]):
    try:
        codes.append(main(argv))
    except SystemExit as stop:
        codes.append(stop.code)
print("CODES", codes, file=sys.stderr)
print("HEAVY", sorted(m for m in ("qutip", "numpy", "scipy", "matplotlib", "cvxpy")
                      if m in sys.modules), file=sys.stderr)
"""


def test_help_and_usage_errors_do_not_import_qutip():
    """``qsn --help``, ``qsn <command> --help`` and a usage error start in a few hundredths of a
    second: nothing imports QuTiP (2 s), NumPy or matplotlib."""
    done = subprocess.run([sys.executable, "-c", HELP_PROBE.format(commands=COMMANDS)],
                          capture_output=True, text=True, timeout=120)
    assert "Traceback" not in done.stderr, done.stderr
    assert f"CODES {[0] * (1 + len(COMMANDS)) + [2]}" in done.stderr, done.stderr
    assert "HEAVY []" in done.stderr, done.stderr


# -- in-process ------------------------------------------------------------------------------------
def test_demo_prints_the_paper_numbers(run_qsn):
    code, out, err = run_qsn("demo")
    assert (code, err) == (0, "")
    for token in ("0.03125", "0.0625", "0.25"):
        assert re.search(rf"(?<![\d.]){re.escape(token)}(?![\d])", out), out


@pytest.mark.parametrize("n", [3, 5], ids=["n3", "n5"])
def test_demo_closed_forms_in_process(n, run_qsn):
    code, out, _ = run_qsn("demo", "--n", n)
    assert code == 0
    N = 2 * n
    _assert_printed(2 / N ** 2, out)          # GHZ-like:  ||v||_1^2 / N^2, ||v||_1^2 = 2
    _assert_printed(4 / N ** 2, out)          # local GHZ: ||v||_(2/3)^2 / N^2 = 4 / N^2
    _assert_printed(1 / n, out)               # product: F = diag(n, n), v^T F^-1 v = 1/n


@pytest.mark.parametrize("args,match", [
    (["demo", "--n", "0"], "n must be an integer >= 1"),
    (["demo", "--n", "-3"], "n must be an integer >= 1"),
    (["demo", "--n", "four"], "invalid int value"),
    (["demo", "--qubits", "4"], "unrecognized arguments"),
    (["frobnicate"], "invalid choice"),
    ([], "required"),
], ids=["n-zero", "negative", "not-an-int", "unknown-option", "unknown-command", "no-command"])
def test_usage_errors_in_process(args, match, run_qsn):
    _assert_one_line_error(*run_qsn(args), match)


def test_help_lists_every_command(run_qsn):
    code, out, err = run_qsn("--help")
    assert (code, err) == (0, "")
    for command in COMMANDS:
        assert re.search(rf"^\s+{command}\s", out, re.M), f"{command} missing from:\n{out}"


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command, run_qsn):
    code, out, err = run_qsn(command, "--help")
    assert (code, err) == (0, "")
    assert out.startswith(f"usage: qsn {command}")


def test_run_json_is_strict_json(run_qsn):
    """``--json`` output goes through the one sanitiser (:func:`qsn_qutip._io.json_ready`):
    infinite bounds become null, and the document parses as strict JSON."""
    model = Path(__file__).resolve().parent.parent / "models" / "gradient_magnetometer.toml"
    code, out, err = run_qsn("run", model, "--json")
    assert code == 0, err
    document = json.loads(out, parse_constant=lambda name: pytest.fail(f"{name} in JSON"))
    assert document["model"]
