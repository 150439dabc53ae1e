"""Model files with a [field]: the bundled magnetometry models through ``qsn run``, units in
every printed and JSON number, and one-line errors for models that mix units wrongly."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest

from qsn_qutip import QSNError
from qsn_qutip.magnetometry import SPECIES
from qsn_qutip.modelfile import load_model, parse_model

MODELS = Path(__file__).resolve().parents[2] / "models"
RB = SPECIES["87Rb F=2"].gamma

SMALL = '''
name = "small gradiometer"
[[sensor]]
name = "A"
kind = "qubits"
n = 3
position = [0, 0, 0]
species = "87Rb F=2"
[[sensor]]
name = "B"
kind = "qubits"
n = 3
position = [0.02, 0, 0]
species = "87Rb F=2"
[field]
model = "gradient"
[time]
t = 1e-3
dead_time = 1e-3
[noise]
T2 = 0.01
[probes]
compare = ["ghz", "local-ghz", "product"]
'''

SI_UNITS = ("T/sqrt(Hz)", "T/m/sqrt(Hz)", "T/m^2/sqrt(Hz)", "m/sqrt(Hz)", "A m^2/sqrt(Hz)")


def _assert_units(doc: dict) -> None:
    """Every SI number of the JSON has its unit string beside it."""
    field = doc["task"]["field"]
    for quantity in field["quantities"]:
        assert quantity["sensitivity_unit"] == quantity["unit"] + "/sqrt(Hz)"
        assert quantity["sensitivity_unit"] in SI_UNITS
        for probe in quantity["probes"]:
            assert probe["sensitivity_unit"] == quantity["sensitivity_unit"]
            assert probe["std_unit"] == quantity["unit"] and probe["time_unit"] == "s"
        for reference in quantity["references"].values():
            assert reference["unit"] == quantity["sensitivity_unit"]
    for probe in doc["probes"]:
        assert probe["sensitivity_unit"] in SI_UNITS and probe["std_unit"]
    for sensor in field["sensors"]:
        assert sensor["position_unit"] == "m" and sensor["gamma_unit"] == "rad s^-1 T^-1"
    assert field["time"]["unit"] == "s"


def _assert_printed_units(text: str) -> None:
    """Every table row that prints a number for a probe prints it with a unit."""
    rows = [line for line in text.splitlines()
            if re.match(r"(ghz|local-ghz|product|ghz-type|optimal-\S+)\s", line)]
    assert rows
    for row in rows:
        assert "n/a" in row or "/sqrt(Hz)" in row, row
    for line in text.splitlines():
        if line.startswith(("SQL", "Heisenberg", "best:")) and "no ranked" not in line:
            assert "/sqrt(Hz)" in line, line


def test_small_model_runs_with_units(run_qsn):
    model = parse_model(SMALL)
    assert model.field is not None and model.v is not None
    assert [q for q in model.field.task.interest] == ["Bz", "dBz/dx"]
    result = model.compare()
    gradient = result["dBz/dx"]
    t, td, T2, L, n = 1e-3, 1e-3, 0.01, 0.02, 3
    expected = math.sqrt(2 * (t + td) * math.exp(2 * t / T2) / n) / (RB * t * L)
    assert gradient["product"].sensitivity == pytest.approx(expected, rel=1e-10)
    text = str(result)
    _assert_printed_units(text)
    _assert_units(json.loads(json.dumps(result.to_dict())))
    row = result.sweep_row()                     # the first quantity, Bz = (B_1 + B_2)/2
    field = math.sqrt((t + td) * math.exp(2 * t / T2) / (2 * n)) / (RB * t)
    assert row["product"] == pytest.approx(field, rel=1e-10)
    assert row["unit"] == "T/sqrt(Hz)"


def test_bundled_small_models_run(run_qsn):
    for name, quantities in (("nv_array", ["dBz/dx", "d2Bz/dx2"]),
                             ("dipole_localisation", ["x0", "y0", "z0"])):
        done = run_qsn("run", MODELS / f"{name}.toml", "--json")
        assert done.returncode == 0, done.stderr
        doc = json.loads(done.stdout)
        assert {"model", "parameters", "task", "resources", "limit", "probes",
                "verdict"} <= set(doc)
        assert [q["quantity"] for q in doc["task"]["field"]["quantities"]] == quantities
        _assert_units(doc)
        text = run_qsn("run", MODELS / f"{name}.toml").stdout
        _assert_printed_units(text)


def test_nv_model_gives_each_probe_its_best_time():
    model = load_model(MODELS / "nv_array.toml")
    assert model.field.timing.t is None
    result = model.compare()
    product = result["dBz/dx"]["product"]
    # (t + t_d) exp(2t/T2)/t^2 is least where 1/(t + t_d) + 2/T2 = 2/t: t = sqrt2 us here
    assert product.time == pytest.approx(math.sqrt(2) * 1e-6, rel=1e-6)
    assert product.readout_sensitivity == pytest.approx(product.sensitivity / 0.4, rel=1e-9)


@pytest.mark.slow               # two ensembles of 10^4 atoms: ~30 s, 3 GB
def test_rb_gradiometer_closing_numbers(run_qsn):
    done = run_qsn("run", MODELS / "rb_gradiometer.toml", "--json")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    _assert_units(doc)
    probes = {p["name"]: p for p in doc["task"]["field"]["quantities"][0]["probes"]}
    N, t, td, T2, L = 10 ** 4, 1e-3, 1e-3, 5e-3, 0.01
    product = math.sqrt(2 * (t + td) * math.exp(2 * t / T2) / N) / (RB * t * L)
    assert probes["product"]["sensitivity"] == pytest.approx(product, rel=1e-10)
    assert probes["ghz"]["sensitivity"] is None and probes["ghz"]["note"]     # inf -> null


MISTAKES = [
    (SMALL.replace('species = "87Rb F=2"\n[[sensor]]', '[[sensor]]', 1),
     r"sensor\.1\.position \(line \d+\): a sensor with a position needs its species"),
    (SMALL.replace("position = [0, 0, 0]\n", "", 1),
     r"sensor\.1\.species \(line \d+\): a species needs the sensor's position"),
    (SMALL.replace('species = "87Rb F=2"', 'species = "Rb87"', 1),
     r"sensor\.1\.species .*did you mean '87Rb F=2'"),
    (SMALL.replace('species = "87Rb F=2"', 'species = "87Rb F=2"\ngamma = 1e9', 1),
     r"sensor\.1\.gamma .*not both"),
    (SMALL.replace('model = "gradient"', 'model = "gradeint"'),
     r"field\.model .*did you mean 'gradient'"),
    (SMALL.replace('model = "gradient"', 'model = "gradient"\nestimate = ["dBz/dX"]'),
     r"field\.estimate .*did you mean 'dBz/dx'"),
    (SMALL.replace('model = "gradient"', 'model = "dipole"\nmoment = [0, 0, 1e-9]'),
     r"field\.position .*missing; a dipole field needs position"),
    (SMALL.replace('model = "gradient"',
                   'model = "dipole"\nmoment = [0, 0, 1e-9]\nposition = [0.02, 0, 0]'),
     r"field\.position .*sits on sensor 2"),
    (SMALL.replace("[time]\nt = 1e-3\n", "[time]\n").replace("[noise]\nT2 = 0.01\n", ""),
     r"time\.t .*without noise the information grows"),
    (SMALL.replace("T2 = 0.01", "T2 = 0.01\ntime = 1e-3"), r"noise\.time .*unknown key"),
    (SMALL.replace("[probes]", "[task]\nfunction = [1, 1]\n[probes]"),
     r"task\.function .*the task is field\.estimate"),
    (SMALL.replace("[field]\nmodel = \"gradient\"\n", "").replace(
        "[time]\nt = 1e-3\ndead_time = 1e-3\n", "").replace("[noise]\nT2 = 0.01\n", ""),
     r"sensor\.1\.position .*for a \[field\] section"),
    (SMALL.replace("dead_time = 1e-3", "dead_time = -1"), r"time\.dead_time .*>= 0"),
    (SMALL.replace("[probes]", "[readout]\nfidelity = 1.5\n[probes]"),
     r"readout\.fidelity .*probability"),
    (SMALL.replace('kind = "qubits"\nn = 3', 'kind = "mode"\ncutoff = 2', 1),
     r"sensor\.1\.kind .*does not sense a magnetic field"),
]


@pytest.mark.parametrize("text, message", MISTAKES, ids=range(len(MISTAKES)))
def test_models_mixing_units_wrongly_get_one_line_errors(text, message, run_qsn, tmp_path):
    with pytest.raises(QSNError, match=message):
        parse_model(text, "m.toml")
    path = tmp_path / "m.toml"
    path.write_text(text)
    done = run_qsn("run", path)
    assert done.returncode == 2 and done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert re.search(message, done.stderr), done.stderr


def test_check_explains_the_field(run_qsn, tmp_path):
    path = tmp_path / "m.toml"
    path.write_text(SMALL)
    done = run_qsn("check", path)
    assert done.returncode == 0
    for text in ("gradient field", "87Rb F=2", "dBz/dx [T/m]: estimated", "Bz [T]: estimated",
                 "dead time 1 ms", "noise (rates in s^-1)"):
        assert text in done.stdout, text
