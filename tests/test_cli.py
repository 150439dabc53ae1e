"""``qsn demo`` through the installed console script and ``python -m qsn_qutip``: the gradient
example's bounds (closed forms 1/32, 1/16, 1/4 for N = 8) are printed, and bad input is one
line on stderr with exit code 2 and no traceback."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from qsn_qutip.cli import main

SCRIPT = Path(sys.executable).with_name("qsn")
ENTRY_POINTS = {"console-script": [str(SCRIPT)], "python-m": [sys.executable, "-m", "qsn_qutip"]}
NUMBER = re.compile(r"(?<![\w.])[-+]?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?")


def _run(entry: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*ENTRY_POINTS[entry], *args], capture_output=True, text=True,
                          timeout=120)


def _numbers(text: str) -> list[float]:
    return [float(x) for x in NUMBER.findall(text)]


def _assert_printed(value: float, text: str, rel: float = 1e-5) -> None:
    assert any(abs(x - value) <= rel * abs(value) for x in _numbers(text)), \
        f"{value} not printed in:\n{text}"


def test_console_script_is_installed():
    assert SCRIPT.is_file(), f"the qsn console script is missing beside {sys.executable}"


@pytest.mark.parametrize("entry", list(ENTRY_POINTS), ids=list(ENTRY_POINTS))
def test_demo_prints_the_closed_forms(entry):
    done = _run(entry, "demo")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    # gradient, N = 8: GHZ-like ||v||_1^2/N^2 = 1/32, local GHZ ||v||_(2/3)^2/N^2 = 1/16,
    # product (QFI 4 per sensor) v^T F^-1 v = 1/4
    for token in ("0.03125", "0.0625", "0.25"):
        assert re.search(rf"(?<![\d.]){re.escape(token)}(?![\d])", done.stdout), done.stdout


@pytest.mark.parametrize("args,match", [
    (["demo", "--n", "0"], "n must be an integer >= 1"),
    (["frobnicate"], "invalid choice"),
], ids=["n-zero", "unknown-command"])
def test_bad_input_through_the_console_script(args, match):
    done = _run("console-script", *args)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("qsn: error:"), done.stderr
    assert re.search(match, lines[0])
    assert done.stdout == ""


@pytest.mark.parametrize("n", [3, 5], ids=["n3", "n5"])
def test_demo_closed_forms_in_process(n, capsys):
    assert main(["demo", "--n", str(n)]) == 0
    out = capsys.readouterr().out
    N = 2 * n
    _assert_printed(2 / N ** 2, out)          # GHZ-like:  ||v||_1^2 / N^2, ||v||_1^2 = 2
    _assert_printed(4 / N ** 2, out)          # local GHZ: ||v||_(2/3)^2 / N^2 = 4 / N^2
    _assert_printed(1 / n, out)               # product: F = diag(n, n), v^T F^-1 v = 1/n


@pytest.mark.parametrize("args,match", [
    (["demo", "--n", "-3"], "n must be an integer >= 1"),
    (["demo", "--n", "four"], "invalid int value"),
    (["demo", "--qubits", "4"], "unrecognized arguments"),
    ([], "required"),
], ids=["negative", "not-an-int", "unknown-option", "no-command"])
def test_usage_errors_in_process(args, match, capsys):
    assert main(args) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("qsn: error:")
    assert re.search(match, lines[0])
    assert captured.out == ""
