"""What the command line writes for a user to keep: JSON that says what produced it (package
version, model file name and content hash), journal-ready figures (``qsn figures --style
paper``) and network drawings laid out as the network is (``qsn draw --layout``)."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

import qsn_qutip

MODELS = Path(__file__).resolve().parents[1] / "models"


@pytest.mark.parametrize("command", [("run",), ("simulate", "--trials", "20")])
def test_json_carries_provenance(command, run_qsn, tmp_path):
    model = tmp_path / "renamed.toml"
    shutil.copy(MODELS / "gradient_magnetometer.toml", model)
    result = run_qsn(command[0], model, *command[1:], "--json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["provenance"] == {
        "package": "qsn_qutip", "version": qsn_qutip.__version__,
        "model_file": "renamed.toml",
        "model_sha256": hashlib.sha256(model.read_bytes()).hexdigest()}


def test_figures_paper_style_writes_pdf(run_qsn, tmp_path):
    result = run_qsn("figures", "--only", "gradient", "--style", "paper", "--out", tmp_path)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gradient.csv", "gradient.pdf"]
    assert (tmp_path / "gradient.pdf").read_bytes().startswith(b"%PDF")
    result = run_qsn("figures", "--only", "gradient", "--width", "single", "--out",
                     tmp_path / "gallery")
    assert result.returncode == 2 and "width" in result.stderr
    assert not (tmp_path / "gallery").exists()


def test_draw_layout_and_style(run_qsn, tmp_path):
    out = tmp_path / "net.pdf"
    result = run_qsn("draw", MODELS / "uneven_ensembles.toml", "-o", out, "--layout", "line",
                     "--style", "paper")
    assert result.returncode == 0, result.stderr
    assert out.read_bytes().startswith(b"%PDF")
    bad = run_qsn("draw", MODELS / "uneven_ensembles.toml", "-o", out, "--layout", "grid")
    assert bad.returncode == 2 and "layout" in bad.stderr
