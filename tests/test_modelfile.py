"""Model files: every bundled model through `qsn run --json`, and every kind of bad input
through the command line (one line on stderr, exit code 2, no traceback, no file).

The command line runs in-process (``qsn_qutip.cli.main(argv)`` with its output captured); a
few runs go through the real console script (``python -m qsn_qutip``) as well."""

import contextlib
import hashlib
import io
import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from qsn_qutip import QSNError, ghz_bound, separable_bound
from qsn_qutip.cli import main
from qsn_qutip.modelfile import load_model, parse_model

MODELS = Path(__file__).resolve().parent.parent / "models"
BUNDLED = sorted(MODELS.glob("*.toml"))


def qsn(*args, cwd=None):
    """``qsn ARGS`` in-process: a CompletedProcess with the exit code and captured output."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.chdir(cwd or os.getcwd()), contextlib.redirect_stdout(out), \
            contextlib.redirect_stderr(err):
        code = main([str(a) for a in args])
    return subprocess.CompletedProcess(args, code, out.getvalue(), err.getvalue())


def qsn_script(*args, cwd=None):
    """``qsn ARGS`` through the real console script (a Python subprocess)."""
    return subprocess.run([sys.executable, "-m", "qsn_qutip", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd, timeout=120)


def run_json(path):
    done = qsn("run", path, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_every_required_model_is_bundled():
    names = {p.stem for p in BUNDLED}
    assert {"gradient_magnetometer", "clock_network", "optical_imaging", "kerr_phases",
            "field_map", "vector_field", "uneven_three_sensors"} <= names


#: bundled models whose run takes tens of seconds (10^4 atoms per cell under noise)
SLOW_MODELS = {"rb_gradiometer"}


@pytest.mark.parametrize("path", [pytest.param(p, marks=pytest.mark.slow) if p.stem in SLOW_MODELS
                                  else p for p in BUNDLED], ids=[p.stem for p in BUNDLED])
def test_bundled_model_runs_to_one_json_document(path):
    doc = run_json(path)
    assert set(doc) == {"model", "provenance", "parameters", "task", "resources", "limit",
                        "probes", "verdict"}
    assert doc["provenance"]["model_file"] == path.name
    assert doc["provenance"]["model_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert doc["resources"]["constraint"] in ("total", "fixed")
    model = load_model(path)
    assert doc["model"] == model.name and doc["parameters"] == model.network.n_params
    for probe in doc["probes"]:
        assert set(probe) >= {"name", "allocation", "resources", "qfim", "bound", "satisfies",
                              "ranked"}
        if probe["bound"] is None:
            assert probe["note"]                     # null comes with the reason
        else:
            assert probe["bound"] > 0
            F = np.array(probe["qfim"])
            np.testing.assert_allclose(F, F.T, atol=1e-12)
    assert set(doc["verdict"]) == {"best", "best_separable", "ratio", "reason", "resources",
                                   "like_for_like"}
    assert doc["verdict"]["reason"]


def _bounds(doc):
    return {p["name"]: p["bound"] for p in doc["probes"]}


def test_gradient_model_matches_the_paper():
    doc = run_json(MODELS / "gradient_magnetometer.toml")
    v = np.array([-1, 1]) / np.sqrt(2)
    bounds = _bounds(doc)
    assert bounds["ghz"] == pytest.approx(ghz_bound(v, 8), rel=1e-12)
    assert bounds["local-ghz"] == pytest.approx(separable_bound(v, 8), rel=1e-12)
    assert doc["verdict"]["ratio"] == pytest.approx(0.5, rel=1e-12)
    assert doc["verdict"]["best"] == "ghz"


def test_clock_model_gains_one_over_d():
    doc = run_json(MODELS / "clock_network.toml")
    assert doc["verdict"]["ratio"] == pytest.approx(1 / 4, rel=1e-12)
    assert _bounds(doc)["ghz"] == pytest.approx(ghz_bound([0.25] * 4, 8), rel=1e-12)


def test_optical_imaging_model_reaches_humphreys_closed_form():
    bounds = _bounds(run_json(MODELS / "optical_imaging.toml"))
    d, N = 3, 2
    assert bounds["generalised NOON"] == pytest.approx(d * (1 + math.sqrt(d)) ** 2 / (4 * N ** 2),
                                                       rel=1e-6)   # amplitudes typed to 7 digits
    assert bounds["local-ghz"] == pytest.approx(3 / 4, rel=1e-12)


def test_vector_field_model_cites_theorem2_and_flags_the_product_probe():
    doc = run_json(MODELS / "vector_field.toml")
    assert doc["verdict"]["reason"].startswith("Theorem 2")
    product = next(p for p in doc["probes"] if p["name"] == "product")
    assert product["bound"] is None and "not estimable" in product["note"]
    # each atom in (|+1> + i|0>)/sqrt2: 4 Cov(J) has eigenvalues 1, 1, 3 -> 7/3 per site
    assert _bounds(doc)["separable"] == pytest.approx(2 * 7 / 3, rel=1e-12)


def test_noisy_gradient_model_matches_the_dephasing_closed_forms():
    doc = run_json(MODELS / "noisy_gradient.toml")
    n, gamma, t = 10, 0.05, 0.5
    probes = {p["name"]: p for p in doc["probes"]}
    assert doc["task"]["noise"]["dephasing"] == gamma and doc["task"]["noise"]["time"] == t
    # optimal interrogation times (Huelga et al.): 1/(4 n gamma), 1/(2 n gamma), 1/(2 gamma)
    assert probes["ghz"]["optimal_time"] == pytest.approx(1 / (4 * n * gamma), rel=1e-6)
    assert probes["local-ghz"]["optimal_time"] == pytest.approx(1 / (2 * n * gamma), rel=1e-6)
    assert probes["product"]["optimal_time"] == pytest.approx(1 / (2 * gamma), rel=1e-6)
    for probe in probes.values():      # all reach t F_theta = n / (2 e gamma)
        assert probe["omega_bound"] == pytest.approx(2 * math.e * gamma / n, rel=1e-8)
    # at t: the GHZ coherence spans 2n qubits, the local GHZ ones n qubits
    assert probes["ghz"]["bound"] == pytest.approx(
        1 / (4 * n ** 2 * math.exp(-4 * n * gamma * t)) * 2, rel=1e-10)
    assert probes["local-ghz"]["bound"] == pytest.approx(
        1 / (n ** 2 * math.exp(-2 * n * gamma * t)), rel=1e-10)
    assert "Huelga" in doc["verdict"]["reason"]


def test_uneven_model_allocates_proportionally():
    doc = run_json(MODELS / "uneven_three_sensors.toml")
    probes = {p["name"]: p for p in doc["probes"]}
    assert probes["ghz"]["allocation"] == [1, 2, 3]
    assert probes["ghz"]["bound"] == pytest.approx(ghz_bound([1, 2, 3], 6), rel=1e-12)


def test_run_plot_and_draw_write_pictures(tmp_path):
    picture = tmp_path / "g.png"
    done = qsn("run", MODELS / "gradient_magnetometer.toml", "--plot", picture)
    assert done.returncode == 0 and picture.stat().st_size > 1000
    assert "verdict: ghz is best" in done.stdout
    drawing = tmp_path / "net.svg"
    assert qsn("draw", MODELS / "field_map.toml", "-o", drawing).returncode == 0
    assert drawing.read_text().lstrip().startswith("<?xml")


def test_check_explains_without_computing():
    done = qsn("check", MODELS / "vector_field.toml")
    assert done.returncode == 0
    assert "Theorem 2" in done.stdout and "phi_4, phi_5, phi_6" in done.stdout


GOOD = """
name = "t"
[[sensor]]
kind = "qubits"
n = 2
[[sensor]]
kind = "mode"
cutoff = 2
[task]
function = [1, 1]
[probes]
compare = ["ghz", "local-ghz"]
"""

BAD = {
    "missing-key": (GOOD.replace("n = 2\n", ""), r"sensor\.1\.n \(line 3\): missing"),
    "misspelt-key": (GOOD.replace("n = 2", "nn = 2"), r"sensor\.1\.nn.*line 5.*did you mean 'n'"),
    "misspelt-top": (GOOD.replace("[task]", "[tsk]"), "tsk.*unknown key.*did you mean 'task'"),
    "wrong-type": (GOOD.replace("n = 2", 'n = "two"'), r"sensor\.1\.n.*line 5.*integer"),
    "unknown-kind": (GOOD.replace('kind = "qubits"', 'kind = "qbits"'),
                     "kind.*line 4.*did you mean 'qubits'"),
    "unknown-probe": (GOOD.replace('"local-ghz"]', '"local_ghz"]'),
                      "probes.compare.*unknown probe 'local_ghz'"),
    "function-length": (GOOD.replace("[1, 1]", "[1, 1, 1]"), "task.function.*expected 2 numbers"),
    "negative-n": (GOOD.replace("n = 2", "n = -3"), r"sensor\.1\.n.*line 5.*>= 1, got -3"),
    "cutoff-too-small": (GOOD.replace("cutoff = 2", "cutoff = 2\nphotons = 5"),
                         "photons = 5 needs cutoff >= 5"),
    "explicit-state-beyond-cutoff": (
        GOOD + '[[probes.state]]\nname = "x"\nterms = [{basis = [0, 7], amplitude = 1}]\n',
        "cutoff too small"),
    "invalid-toml": ("[[sensor]\nkind = 1", "not valid TOML"),
    # without a time every probe is compared at its own best time (issue 11), which needs a
    # function: all parameters with weights are refused in one line
    "noise-without-time": (GOOD.replace("function = [1, 1]", "weights = [1, 1]")
                           + "[noise]\ndephasing = 0.1\n", r"noise\.time.*missing"),
    "noise-unknown-key": (GOOD + "[noise]\ndephasng = 0.1\ntime = 1\n",
                          "noise.dephasng.*did you mean 'dephasing'"),
    "noise-negative-rate": (GOOD + "[noise]\ndephasing = -0.1\ntime = 1\n", "dephasing"),
    "noise-list-length": (GOOD + "[noise]\ndephasing = [0.1, 0.2, 0.3]\ntime = 1\n",
                          "one number per sensor"),
    "noise-loss-above-one": (GOOD + "[noise]\nloss = 1.5\n", "transmission"),
    "both-tasks": (GOOD.replace("function = [1, 1]", "function = [1, 1]\nweights = [1, 1]"),
                   "not both"),
    "unknown-generator": (GOOD.replace("cutoff = 2", 'cutoff = 2\ngenerator = "cubic"'),
                          r'sensor\.2.*generator must be "linear", "kerr" or "none"'),
    "atom-spin-and-levels": (GOOD.replace('kind = "mode"\ncutoff = 2',
                                          'kind = "atom"\nspin = 1\nlevels = [0, 1]'),
                             r"sensor\.2.*exactly one of levels"),
    "zero-weights": (GOOD.replace("function = [1, 1]", "weights = [0, 0]"),
                     "task.weights must be non-negative and not all zero"),
    "misspelt-resources": (GOOD.replace("function = [1, 1]", 'function = [1, 1]\nresources = "fixd"'),
                           r"task.resources \(line 11\): must be \"total\".*did you mean 'fixed'"),
    "resources-not-a-string": (GOOD.replace("function = [1, 1]",
                                            "function = [1, 1]\nresources = 1"),
                               "task.resources.*got 1"),
}


def test_every_sensor_kind_declares_its_model_keys():
    """A sensor kind a model file can name lists its keys with types modelfile can check."""
    from qsn_qutip.modelfile import SENSOR_KEYS
    from qsn_qutip.sensors import KINDS
    assert set(SENSOR_KEYS) == set(KINDS)
    for kind, cls in KINDS.items():
        assert cls.kind == kind and cls.model_keys
        assert set(cls.model_required) <= set(cls.model_keys)
        assert set(cls.model_keys.values()) <= {int, float, str, list}


@pytest.mark.parametrize("name", list(BAD))
def test_bad_model_is_one_line_exit_2_and_writes_nothing(tmp_path, name):
    text, pattern = BAD[name]
    path = tmp_path / "model.toml"
    path.write_text(text)
    picture = tmp_path / "out.png"
    done = qsn("run", path, "--plot", picture)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and str(path) in lines[0]
    assert re.search(pattern, lines[0]), lines[0]
    assert not picture.exists() and done.stdout == ""
    with pytest.raises(QSNError):
        load_model(path)


@pytest.mark.parametrize("args, pattern", [
    (["run", "no/such/model.toml"], "cannot read the model file"),
    (["run"], "required"),
    (["frobnicate"], "invalid choice"),
    (["run", str(MODELS / "gradient_magnetometer.toml"), "--plot", "x.gif"], r"\.png"),
], ids=["unreadable", "missing-argument", "unknown-command", "bad-picture-format"])
def test_cli_usage_errors(args, pattern, tmp_path):
    done = qsn(*args, cwd=tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert re.search(pattern, done.stderr)
    assert list(tmp_path.iterdir()) == []


def test_console_script_runs_a_model_and_reports_a_bad_one(tmp_path):
    done = qsn_script("run", MODELS / "gradient_magnetometer.toml", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == json.loads(qsn("run", MODELS / "gradient_magnetometer.toml",
                                                     "--json").stdout)
    text, pattern = BAD["misspelt-key"]
    path = tmp_path / "model.toml"
    path.write_text(text)
    done = qsn_script("run", path)
    assert done.returncode == 2 and "Traceback" not in done.stderr and done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and re.search(pattern, lines[0]), done.stderr


def test_explicit_state_with_complex_amplitudes():
    model = parse_model(GOOD + '[[probes.state]]\nname = "mine"\n'
                        'terms = [{basis = [0, 2], amplitude = 1}, '
                        '{basis = [2, 0], amplitude = [0, 1]}]\n')
    result = model.compare()
    # (|up up, 2 photons> + i|down down, 0 photons>)/sqrt2: GHZ-like for v = (1, 1)
    assert result["mine"].bound == pytest.approx(result["ghz"].bound, rel=1e-12)
    assert result["mine"].separable is False
    flipped = parse_model(GOOD + '[[probes.state]]\nname = "mine"\n'
                          'terms = [{basis = [2, 2], amplitude = 1}, '
                          '{basis = [0, 0], amplitude = [0, 1]}]\n').compare()
    assert flipped["mine"].bound == math.inf      # sensitive to phi_2 - phi_1 only


# -- resource constraints in model files, the uneven-ensembles model, the README sweep ----------
def test_resources_key_selects_the_constraint():
    fixed = parse_model(GOOD.replace("function = [1, 1]", 'function = [1, 1]\nresources = "fixed"'))
    assert fixed.resources == "fixed" and "resources: fixed" in fixed.describe()
    assert fixed.compare().verdict.resources == "fixed"
    assert parse_model(GOOD).resources == "total"


def test_uneven_ensembles_model_gives_the_papers_verdict():
    """Three ensembles of 4, 7 and 9 qubits, the curvature (1, -2, 1)/sqrt6: the entangled
    probe beats every separable one under both constraints."""
    path = MODELS / "uneven_ensembles.toml"
    doc = run_json(path)
    v = np.array([1, -2, 1]) / np.sqrt(6)
    assert doc["resources"]["constraint"] == "total"
    assert doc["verdict"]["best"] == "optimal-ghz"
    assert _bounds(doc)["optimal-ghz"] == pytest.approx(ghz_bound(v, 20), rel=1e-10)
    assert doc["verdict"]["ratio"] < 0.35
    fixed = parse_model(path.read_text().replace('resources = "total"', 'resources = "fixed"'))
    result = fixed.compare()
    assert result.verdict.best == "ghz-type" and result.verdict.best_separable == "local-ghz"
    assert result.verdict.ratio == pytest.approx((4 / 49) / (1 / 16 + 4 / 49 + 1 / 81), rel=1e-9)


def test_check_names_the_statement_that_applies():
    gradient = qsn("check", MODELS / "gradient_magnetometer.toml")
    assert "global-function section" in gradient.stdout and "Theorem 2" not in gradient.stdout
    function = parse_model((MODELS / "vector_field.toml").read_text().replace(
        "[task]", "[task]\nfunction = [1, 0, 0, 1, 0, 0]").replace("weights", "# weights"))
    assert "outside the paper's theorems" in function.describe()


def _readme_sweep() -> list[str]:
    """The arguments of the README's ``qsn sweep`` example."""
    readme = (MODELS.parent / "README.md").read_text()
    start = readme.index("qsn sweep models/")
    command = readme[start:readme.index("\n", readme.index("\\\n", start) + 2)]
    args = command.replace("\\\n", " ").split("#")[0].split()[1:]
    drop = {"--checkpoint", "--out", "--plot"}              # no files in a test
    kept, skip = [], False
    for arg in args:
        if skip:
            skip = False
        elif arg in drop:
            skip = True
        else:
            kept.append(arg)
    return kept


def test_readme_sweep_example_gives_the_papers_verdict(tmp_path):
    args = _readme_sweep()
    assert args[0] == "sweep"
    done = qsn(*args, "--backend", "serial", "--progress", "", cwd=MODELS.parent)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("best: the best probe under resources = total")
    header = lines[1].split()
    rows = [line.split() for line in lines[2:] if line and line.split()[0].isdigit()]
    assert len(rows) >= 5
    for row in rows:
        cells = dict(zip(header, row))
        assert cells["best"] in ("ghz", "ghz-type", "optimal-ghz"), row
        assert float(cells["ratio"]) == pytest.approx(0.5, rel=1e-6)     # even N: 1/2


def test_sweep_states_why_probes_are_missing():
    done = qsn("sweep", MODELS / "uneven_ensembles.toml", "--vary", "sensor.left.n=4,5",
               "--backend", "serial", "--progress", "")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert "resources = total" in lines[0]
    header = lines[1].split()
    assert "notes" not in header and "resources" not in header
    rows = [dict(zip(header, line.split())) for line in lines[2:4]]
    assert [row["best"] for row in rows] == ["optimal-ghz", "optimal-ghz"]
    notes = [line for line in lines if line.startswith("at sensor.left.n=")]
    assert any("ghz: Eq. 1 needs particle numbers proportional to |v|" in n for n in notes)
    assert any("time-shared: " in n and "reference" in n for n in notes)
