"""The benchmark suite runs end to end: ``benchmarks/run.py --smoke --json`` (tiny sizes).

Structure only: the JSON document's keys, every ratio a positive finite number, every row
present.  No timing is asserted (the machine may be busy).
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

RUN = Path(__file__).resolve().parents[1] / "benchmarks" / "run.py"

pytest.importorskip("threadpoolctl")


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench") / "smoke.json"
    proc = subprocess.run([sys.executable, str(RUN), "--smoke", "--json", "--out", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc, out


def positive(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) and x > 0


def test_stdout_is_one_json_document_and_the_file_is_the_same(smoke):
    proc, out = smoke
    doc = json.loads(proc.stdout)
    assert json.loads(out.read_text()) == doc
    assert "Targets" in proc.stderr            # the tables went to stderr
    assert not list(out.parent.glob(".smoke.json.*"))     # no temporary file left behind


def test_structure(smoke):
    doc = json.loads(smoke[0].stdout)
    assert doc["schema"] == "qsn_qutip.benchmarks/1"
    assert doc["mode"] == "smoke"
    assert set(doc) >= {"created", "wall_seconds", "machine", "settings", "sections", "ratios",
                        "targets"}
    machine = doc["machine"]
    assert machine["cpu"]["logical_cpus"] >= 1
    assert machine["versions"]["numpy"] and machine["versions"]["qutip"]
    assert machine["blas"] and all(lib["num_threads"] == 1 for lib in machine["blas"])
    assert doc["settings"]["blas_threads"] == 1
    sections = doc["sections"]
    assert set(sections) == {"mixed", "peer", "pure", "noise", "lowrank", "generators",
                             "optimize"}
    mixed = sections["mixed"]["rows"]
    assert {r["params"] for r in mixed} == {2, 8}
    assert all(r["eigh"] in r["eigh_first_calls"] and r["err"] < 1e-9 for r in mixed)
    assert sections["mixed"]["largest_D_within_limit"]
    assert sections["pure"]["rows"] and all(r["err"] < 1e-9 for r in sections["pure"]["rows"])
    assert {r["sensors"] for r in sections["pure"]["rows"]} == {2, 4, 8}
    generators = sections["generators"]["rows"]
    assert {(r["kind"], r["storage"]) for r in generators} >= {
        ("diagonal", "LocalOperator"), ("diagonal", "Qobj CSR"), ("diagonal", "Qobj dense"),
        ("spin x", "Qobj dense"), ("spin xyz", "LocalOperator"), ("spin xyz", "Qobj dense")}
    assert all(r["err"] < 1e-9 for r in generators)
    assert sections["noise"]["dicke"] and sections["noise"]["full"]
    assert all(r["err"] < 1e-8 for r in sections["noise"]["full"])
    for r in sections["lowrank"]["rows"]:
        # the library took the sketch path: its support has the state's rank
        assert r["err"] < 1e-9 and r["certificate"]["support_rank"] == r["r"]
    optimize = sections["optimize"]         # bench_optimize.py at n = 4 + 4
    assert [r["n"] for r in optimize["costs"]] == [4]
    assert {r["start"] for r in optimize["descents"]} == {"ghz-type", "local-ghz", "product",
                                                          "random 1"}
    for r in optimize["descents"]:           # every descent lowers the bound, never below
        assert r["bound"] <= r["initial"] and r["over_limit"] >= 1 - 1e-9   # the limit
    peer = sections["peer"]
    if peer["available"]:
        for r in peer["rows"]:
            assert r["status"] == "ok", r
            assert r["agreement"] < 1e-8
    for t in doc["targets"]:
        assert set(t) == {"name", "source", "value", "target", "met", "note"}
        assert t["met"] in (True, False, None)


def test_every_ratio_is_a_positive_number(smoke):
    doc = json.loads(smoke[0].stdout)
    ratios = doc["ratios"]
    assert ratios
    bad = {k: v for k, v in ratios.items() if not positive(v)}
    assert not bad
    prefixes = {key.split("/")[0] for key in ratios}
    wanted = {"mixed", "pure", "noise", "lowrank", "generators", "optimize"}
    if doc["sections"]["peer"]["available"]:
        wanted.add("peer")
    assert prefixes == wanted
    for section in ("mixed", "pure", "generators"):
        for r in doc["sections"][section]["rows"]:
            assert positive(r["ratio"])
    for r in doc["sections"]["lowrank"]["rows"]:
        for key in ("qfim_over_eigh", "full_rank_over_rank_r", "qfim_over_eigh_path",
                    "full_rank_over_eigh_path", "eigh_over_partial", "eigh_path_over_eigh"):
            assert positive(r[key])


def test_compare_reads_an_earlier_document(smoke, tmp_path):
    _, out = smoke
    proc = subprocess.run([sys.executable, str(RUN), "--smoke", "--sections", "pure",
                           "--compare", str(out)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "pure/product/2x100/qfim_over_read" in proc.stdout
    assert "Against smoke run" in proc.stdout
