"""``qsn optimize MODEL [--json] [--seed N] [--restarts N] [--save-state F.npz] [--checkpoint F]
[--quiet]`` (issue 11), in-process (``run_qsn``), plus one real process for the lazy imports.

The table is :class:`~qsn_qutip.optimize.OptimalProbe`'s; the JSON carries the provenance of the
other commands; a saved state comes back through a model file's ``[[probes.state]] file``; bad
input is one line on stderr, exit code 2, nothing computed or written.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

MODELS = Path(__file__).resolve().parent.parent / "models"

#: 2 + 2 qubits under dephasing on fixed hardware: a search of about a second
SMALL = """
name = "small gradient"
[[sensor]]
name = "left"
kind = "qubits"
n = 2
[[sensor]]
name = "right"
kind = "qubits"
n = 2
[task]
function = [-1, 1]
resources = "fixed"
[probes]
compare = ["ghz", "local-ghz"]
seed = 4
[noise]
dephasing = 0.1
time = 1.0
"""


@pytest.fixture
def small(tmp_path) -> Path:
    path = tmp_path / "small.toml"
    path.write_text(SMALL)
    return path


def _one_line_error(done, pattern: str) -> None:
    code, out, err = done
    assert code == 2, (out, err)
    assert "Traceback" not in err and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("qsn: error:"), err
    assert re.search(pattern, lines[0]), lines[0]


def _value(out: str, label: str) -> float:
    match = re.search(rf"^{re.escape(label)}\s+([-+\d.eE]+)", out, re.M)
    assert match, f"{label} missing from:\n{out}"
    return float(match.group(1))


def test_table_and_progress(small, run_qsn):
    code, out, err = run_qsn("optimize", small)
    assert code == 0, err
    assert out.startswith("small gradient")
    bound, limit = _value(out, "optimised probe"), _value(out, "limit (no probe below)")
    separable = _value(out, "best sensor-separable")
    assert limit <= bound <= separable
    assert re.search(r"^converged\s+yes", out, re.M) and re.search(r"^allocation\s+2\+2", out,
                                                                   re.M)
    # stderr is not a terminal here: one plain line per search (warnings are other lines)
    lines = [x for x in err.splitlines() if not x.startswith("qsn: warning:")]
    assert lines and all(re.fullmatch(r"qsn: optimize: search \d+: allocation 2\+2, t = 1", x)
                         for x in lines), err


def test_quiet_prints_no_progress(small, run_qsn):
    code, out, err = run_qsn("optimize", small, "--quiet")
    assert (code, err) == (0, "")
    assert "optimised probe" in out


def test_json_with_provenance(small, run_qsn):
    code, out, err = run_qsn("optimize", small, "--json", "--quiet")
    assert (code, err) == (0, "")
    doc = json.loads(out, parse_constant=lambda name: pytest.fail(f"{name} in JSON"))
    assert {"model", "provenance", "seed", "state_file", "task", "resources", "per", "time",
            "bound", "limit", "separable_bound", "product_bound", "gain", "max_gain",
            "allocation", "qfim", "converged", "notes", "runs", "history", "dims",
            "amplitudes"} <= set(doc)
    assert doc["provenance"] == {"package": "qsn_qutip", "version": doc["provenance"]["version"],
                                 "model_file": "small.toml",
                                 "model_sha256": hashlib.sha256(small.read_bytes()).hexdigest()}
    assert doc["model"] == "small gradient" and doc["seed"] == 4 and doc["state_file"] is None
    assert doc["resources"] == "fixed" and doc["per"] == "shot" and doc["time"] == 1.0
    assert doc["limit"] <= doc["bound"] <= doc["separable_bound"]
    assert doc["dims"] == [3, 3] and len(doc["amplitudes"]) == 9


def test_seed_reproduces_the_search(small, run_qsn):
    runs = [json.loads(run_qsn("optimize", small, "--json", "--quiet", "--seed", 7,
                               "--restarts", 1).stdout) for _ in range(2)]
    assert runs[0]["seed"] == 7
    assert runs[0]["amplitudes"] == runs[1]["amplitudes"]
    assert runs[0]["bound"] == runs[1]["bound"]


def test_saved_state_comes_back_through_a_model_file(small, tmp_path, run_qsn):
    state = tmp_path / "found.npz"
    code, out, err = run_qsn("optimize", small, "--quiet", "--save-state", state)
    assert code == 0, err
    assert state.is_file() and f'file = "{state.name}"' in out
    bound = _value(out, "optimised probe")
    model = tmp_path / "reuse.toml"
    model.write_text(SMALL + '[[probes.state]]\nname = "found"\nfile = "found.npz"\n')
    code, out, err = run_qsn("run", model, "--json", cwd=tmp_path.parent)   # another cwd
    assert code == 0, err
    rows = {p["name"]: p for p in json.loads(out)["probes"]}
    assert rows["found"]["bound"] == pytest.approx(bound, rel=1e-6)     # printed to 7 digits
    assert rows["found"]["bound"] <= rows["ghz"]["bound"] * (1 + 1e-9)
    code, out, err = run_qsn("optimize", small, "--json", "--quiet", "--save-state", state)
    assert json.loads(out)["state_file"] == str(state)


def test_checkpoint_resumes(small, tmp_path, run_qsn):
    checkpoint = tmp_path / "search.json"
    first = run_qsn("optimize", small, "--json", "--quiet", "--checkpoint", checkpoint)
    assert first.returncode == 0, first.stderr
    assert checkpoint.is_file() and json.loads(checkpoint.read_text())
    second = run_qsn("optimize", small, "--json", "--quiet", "--checkpoint", checkpoint)
    assert second.returncode == 0, second.stderr
    assert json.loads(second.stdout)["bound"] == pytest.approx(json.loads(first.stdout)["bound"],
                                                             rel=1e-12)


@pytest.mark.parametrize("args, pattern", [
    (["--seed", "-1"], r"--seed must be an integer >= 0, got -1"),
    (["--seed", "x"], r"--seed must be an integer"),
    (["--restarts", "-2"], r"--restarts must be an integer >= 0"),
    (["--save-state", "state.txt"], r"--save-state: state\.txt: the file name must end in .*\.npz"),
    (["--save-state", "no/such/dir/s.npz"], r"--save-state: .*does not exist"),
    (["--checkpoint", "no/such/dir/c.json"], r"--checkpoint: .*does not exist"),
    (["--frobnicate"], r"unrecognized arguments"),
], ids=["negative-seed", "seed-not-int", "negative-restarts", "state-suffix", "state-dir",
        "checkpoint-dir", "unknown-option"])
def test_usage_errors(small, tmp_path, args, pattern, run_qsn):
    _one_line_error(run_qsn(["optimize", str(small), *args], cwd=tmp_path), pattern)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["small.toml"]       # nothing written


def test_state_path_is_checked_before_the_search(small, tmp_path, run_qsn):
    folder = tmp_path / "a-directory.npz"
    folder.mkdir()
    _one_line_error(run_qsn("optimize", small, "--save-state", folder), "is a directory")


def test_missing_model(tmp_path, run_qsn):
    _one_line_error(run_qsn("optimize", tmp_path / "nope.toml"), "cannot read the model file")


def test_noise_the_search_does_not_cover(tmp_path, run_qsn):
    path = tmp_path / "decay.toml"
    path.write_text(SMALL.replace("dephasing = 0.1", "decay = 0.1"))
    _one_line_error(run_qsn("optimize", path, "--quiet"), rf"{re.escape(str(path))}: .*decay")


def test_field_model_is_refused(run_qsn):
    _one_line_error(run_qsn("optimize", MODELS / "nv_array.toml"), r"\[field\].*not supported")


def test_simulate_does_not_pick_the_optimal_search(small, tmp_path, run_qsn):
    path = tmp_path / "first.toml"
    path.write_text(SMALL.replace('compare = ["ghz", "local-ghz"]',
                                  'compare = ["optimal", "ghz"]'))
    _one_line_error(run_qsn("simulate", path, "--probe", "optimal", "--trials", 2),
                    r"'optimal' is found by a search: run qsn optimize .*--save-state")


def test_help_imports_nothing_heavy():
    probe = ("import sys\nfrom qsn_qutip.cli import main\n"
             "try:\n    main(['optimize', '--help'])\nexcept SystemExit as stop:\n"
             "    print('CODE', stop.code, file=sys.stderr)\n"
             "print('HEAVY', sorted(m for m in ('qutip', 'numpy', 'scipy', 'matplotlib') "
             "if m in sys.modules), file=sys.stderr)\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=120)
    assert "CODE 0" in done.stderr and "HEAVY []" in done.stderr, done.stderr
    for option in ("--json", "--seed", "--restarts", "--save-state", "--checkpoint", "--quiet"):
        assert option in done.stdout
