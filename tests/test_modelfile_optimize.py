"""Model files and issue 11: ``"optimal"`` in ``[probes] compare``, ``[probes] seed``, a
``[noise]`` without ``time`` (each probe at its own best time), and ``[[probes.state]]`` with
``file = "state.npz"`` (a saved optimum).  The bundled models ``optimal_gradient`` and
``optimal_uneven_three`` run through ``qsn run`` in-process and report the optimised probe and
the limit next to the menu (the issue's "done when")."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pytest
import qutip

from qsn_qutip import Network, QSNError, QubitEnsemble
from qsn_qutip.modelfile import load_model, parse_model
from qsn_qutip.optimize import STATE_FORMAT, load_state, optimal_probe
from qsn_qutip.noise import NoiseModel

MODELS = Path(__file__).resolve().parent.parent / "models"

TWO = """
name = "two"
[[sensor]]
kind = "qubits"
n = 2
[[sensor]]
kind = "qubits"
n = 2
[task]
function = [1, -1]
resources = "fixed"
"""


def _write(tmp_path: Path, text: str, name: str = "model.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


# -- [probes] ------------------------------------------------------------------------------------
def test_optimal_and_seed_are_read():
    model = parse_model(TWO + '[probes]\ncompare = ["ghz", "optimal"]\nseed = 5\n')
    assert model.probes == ["ghz", "optimal"] and model.seed == 5
    assert parse_model(TWO).seed is None
    assert "optimal" not in parse_model(TWO).probes            # opt-in


@pytest.mark.parametrize("extra, pattern", [
    ('[probes]\ncompare = ["optimum"]\n', r"unknown probe 'optimum' \(did you mean 'optimal'\?\)"
                                          r".*'optimal'\]"),
    ('[probes]\ncompare = ["ghz"]\nseed = -1\n', r"probes\.seed.*integer >= 0"),
    ('[probes]\ncompare = ["ghz"]\nseed = 1.5\n', r"probes\.seed.*integer >= 0"),
    ('[probes]\ncompare = ["ghz"]\nseed = true\n', r"probes\.seed.*integer >= 0"),
], ids=["unknown-probe", "negative-seed", "float-seed", "bool-seed"])
def test_bad_probes_table(extra, pattern):
    with pytest.raises(QSNError, match=pattern):
        parse_model(TWO + extra, "m.toml")


def test_optimal_with_a_field_section_is_refused():
    text = (MODELS / "nv_array.toml").read_text()
    assert 'compare = ["ghz-type"' in text
    with pytest.raises(QSNError, match=r"nv\.toml: probes\.compare.*'optimal'.*\[field\]"):
        parse_model(text.replace('compare = ["ghz-type"', 'compare = ["optimal", "ghz-type"'),
                    "nv.toml")


# -- [noise] without time ------------------------------------------------------------------------
def test_noise_without_time_leaves_the_time_to_be_chosen():
    model = parse_model(TWO + "[noise]\ndephasing = 0.1\n")
    assert model.noise == NoiseModel(dephasing=0.1, time=None)
    assert "noise per unit time" in model.describe()
    result = model.compare()
    # per unit time every menu probe of the gradient reaches 2 e gamma |v|^2 / n (Huelga et
    # al.; |v|^2 = 2, n = 2 qubits per sensor)
    timed = [row for row in result.probes if row.omega_bound is not None]
    assert timed
    for row in timed:
        assert row.bound == pytest.approx(2 * math.e * 0.1 * 2 / 2, rel=1e-8)


def test_noise_with_time_and_loss_alone_are_unchanged():
    assert parse_model(TWO + "[noise]\ndephasing = 0.1\ntime = 2\n").noise.time == 2.0
    assert parse_model(TWO + "[noise]\nloss = 0.9\n").noise.time == 1.0


def test_noise_without_time_and_weights_needs_optimal():
    text = TWO.replace("function = [1, -1]", "weights = [1, 1]") + "[noise]\ndephasing = 0.1\n"
    with pytest.raises(QSNError, match=r"noise\.time.*missing.*function"):
        parse_model(text, "w.toml")
    model = parse_model(text + '[probes]\ncompare = ["optimal"]\n')
    assert model.noise.time is None


# -- [[probes.state]] file = ... -----------------------------------------------------------------
@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A probe found on 2 + 2 qubits under dephasing, saved next to a model file."""
    folder = tmp_path_factory.mktemp("saved")
    net = Network([QubitEnsemble(2), QubitEnsemble(2)])
    best = optimal_probe(net, v=[1, -1], noise=NoiseModel(dephasing=0.1, time=1.0),
                         resources="fixed", seed=2)
    best.save(folder / "found.npz")
    return folder, best


def test_state_file_round_trip(saved):
    folder, best = saved
    text = (TWO + '[probes]\ncompare = ["local-ghz"]\n[[probes.state]]\nname = "found"\n'
            'file = "found.npz"\n[noise]\ndephasing = 0.1\ntime = 1.0\n')
    model = load_model(_write(folder, text))                 # relative to the model's folder
    name, state = model.probes[1]
    assert name == "found"
    assert abs(state.overlap(best.state)) == pytest.approx(1.0, abs=1e-12)
    result = model.compare()
    assert result["found"].bound == pytest.approx(best.bound, rel=1e-8)
    assert result["found"].separable is False


def test_state_file_format_is_documented(saved):
    folder, best = saved
    with np.load(folder / "found.npz") as data:
        assert set(data.files) == {"amplitudes", "dims", "particles"}
        assert list(data["dims"]) == [3, 3] and list(data["particles"]) == [2, 2]
        assert np.iscomplexobj(data["amplitudes"])
    for word in ("amplitudes", "dims", "particles", ".npz"):
        assert word in STATE_FORMAT
    import qsn_qutip.modelfile as modelfile
    assert "STATE_FORMAT" in modelfile.__doc__ and "file = " in modelfile.__doc__
    assert isinstance(load_state(folder / "found.npz", best.network), qutip.Qobj)


@pytest.mark.parametrize("entry, pattern", [
    ('file = "missing.npz"', r"probes\.state\[0\]\.file.*cannot read a state file"),
    ('file = 3', r"probes\.state\[0\]\.file.*expected a file name"),
    ('file = "found.npz"\nterms = [{basis = [0, 0]}]', r"terms .* or file .*one of the two"),
    ('name = "x"', r"terms .* or file .*one of the two"),
], ids=["missing", "not-a-string", "both", "neither"])
def test_bad_state_file(saved, entry, pattern):
    folder, _ = saved
    text = TWO + f"[[probes.state]]\n{entry}\n"
    with pytest.raises(QSNError, match=pattern):
        load_model(_write(folder, text, "bad.toml"))


def test_state_file_on_other_sensors_says_what_to_change(saved):
    folder, _ = saved
    text = TWO.replace("n = 2\n[task]", "n = 3\n[task]") + '[[probes.state]]\nfile = "found.npz"\n'
    with pytest.raises(QSNError, match=r"dims \[3, 3\].*\[3, 4\].*allocation.*particle numbers"):
        load_model(_write(folder, text, "other.toml"))


# -- the bundled models with "optimal" (the done-when) -------------------------------------
@pytest.mark.parametrize("stem, menu", [
    ("optimal_gradient", ["ghz", "local-ghz", "product"]),
    ("optimal_uneven_three", ["ghz", "local-ghz", "product"]),
])
def test_bundled_optimal_models_report_the_optimum_and_the_limit(stem, menu, run_qsn):
    path = MODELS / f"{stem}.toml"
    code, out, err = run_qsn("run", path)
    assert code == 0, err
    assert re.search(r"^optimal\s", out, re.M), out
    assert re.search(r"^optimal: entanglement can gain at most [\d.]+ x here.*the best probe "
                     r"found gains [\d.]+ x", out, re.M), out
    code, out, err = run_qsn("run", path, "--json")
    assert code == 0, err
    doc = json.loads(out)
    rows = {p["name"]: p for p in doc["probes"]}
    best = doc["limit"]["optimal"]
    assert best["converged"] and best["limit"] <= best["bound"] * (1 + 1e-9)
    assert rows["optimal"]["bound"] == pytest.approx(best["bound"], rel=1e-8)
    for name in menu:                     # the search starts from the menu: never above it
        if rows[name]["bound"] is not None:
            assert rows["optimal"]["bound"] <= rows[name]["bound"] * (1 + 1e-9), name
    assert doc["verdict"]["best"] == "optimal"
    assert "entanglement can gain at most" in doc["verdict"]["reason"]
    assert best["gain"] > 1 and best["max_gain"] >= best["gain"]

