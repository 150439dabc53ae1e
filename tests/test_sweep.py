"""Sweeps: the same numbers on every backend, checkpoints that survive a kill, failing points
recorded, progress shown, and `qsn sweep` through the console script."""

import contextlib
import csv
import functools
import io
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from qsn_qutip import QSNError
from qsn_qutip.cli import main
from qsn_qutip.modelfile import read_toml
from qsn_qutip.sweep import SweepResult, grid_points, model_point, parse_vary, sweep, varied

MODELS = Path(__file__).resolve().parent.parent / "models"
GRADIENT = MODELS / "gradient_magnetometer.toml"


def gradient_point():
    raw = read_toml(GRADIENT.read_text(), str(GRADIENT))
    return functools.partial(model_point, raw, str(GRADIENT))


GRID = {"sensor.left.n": [2, 4], "sensor.right.n": [2, 4]}


def test_grid_points_product_and_list():
    assert grid_points({"a": [1, 2], "b": "xy"[:1] and ["x"]}) == [{"a": 1, "b": "x"},
                                                                   {"a": 2, "b": "x"}]
    assert grid_points([{"a": 1}, {"a": 3}]) == [{"a": 1}, {"a": 3}]
    for bad in ({}, {"a": []}, {"a": 3}, [], [{"a": 1}, 5], "abc"):
        with pytest.raises(QSNError):
            grid_points(bad)


@pytest.mark.parametrize("backend", ["serial", "threads", "processes"])
def test_backends_give_identical_numbers(backend):
    reference = sweep(gradient_point(), GRID, backend="serial", progress_bar=False)
    result = sweep(gradient_point(), GRID, backend=backend, progress_bar=False, workers=2)
    assert result.rows == reference.rows
    # closed forms: equal halves -> GHZ-like ||v||_1^2/N^2, local GHZ twice that
    row = result.rows[-1]
    assert row["ghz"] == pytest.approx(2 / 64, rel=1e-12)
    assert row["local-ghz"] == pytest.approx(4 / 64, rel=1e-12)
    assert result.rows[1]["ghz"] is None          # 2 + 4 is not proportional to |v|


@pytest.mark.slow
def test_dask_local_cluster_gives_identical_numbers():
    pytest.importorskip("dask.distributed")
    reference = sweep(gradient_point(), GRID, backend="serial", progress_bar=False)
    result = sweep(gradient_point(), GRID, backend="dask", progress_bar=False, workers=2)
    assert result.rows == reference.rows


def test_unreachable_scheduler_is_a_clear_error():
    pytest.importorskip("dask.distributed")
    with pytest.raises(QSNError, match="cannot reach the Dask scheduler"):
        sweep(gradient_point(), GRID, backend="dask", scheduler="tcp://127.0.0.1:9",
              progress_bar=False, connect_timeout=1)


def test_failing_point_is_recorded_and_the_sweep_goes_on():
    result = sweep(gradient_point(), {"sensor.left.n": [0, 4], "sensor.right.n": [4]},
                   backend="serial", progress_bar=False)
    assert len(result) == 2 and len(result.failed) == 1
    assert "sensor[0].n" in result.failed[0]["error"]
    assert result.rows[1]["ghz"] == pytest.approx(2 / 64, rel=1e-12)


def test_text_progress_bar_goes_to_stderr(capsys):
    sweep(gradient_point(), GRID, backend="serial", progress_bar="text")
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "100.0%" in captured.err and "Total run time" in captured.err


def test_results_to_csv_is_atomic_and_complete(tmp_path):
    result = sweep(gradient_point(), GRID, backend="serial", progress_bar=False)
    path = result.to_csv(tmp_path / "r.csv")
    rows = list(csv.DictReader(path.open()))
    assert [r["sensor.left.n"] for r in rows] == ["2", "2", "4", "4"]
    assert float(rows[3]["ghz"]) == pytest.approx(2 / 64, rel=1e-12)
    assert [p.name for p in tmp_path.iterdir()] == ["r.csv"]


def test_checkpoint_resumes_and_refuses_another_sweep(tmp_path):
    check = tmp_path / "points.jsonl"
    calls = []

    def f(n):
        calls.append(n)
        return {"square": n * n}

    sweep(f, {"n": [1, 2]}, backend="serial", progress_bar=False, checkpoint=check)
    with check.open("ab") as handle:               # an interrupted write of one more line
        handle.write(b'{"key": "{\\"n\\": 3}", "resu')
    result = sweep(f, {"n": [1, 2, 3]}, backend="serial", progress_bar=False,
                   checkpoint=tmp_path / "other.jsonl")
    assert [r["square"] for r in result] == [1, 4, 9]
    calls.clear()
    with pytest.raises(QSNError, match="another sweep"):
        sweep(f, {"n": [1, 2, 3]}, backend="serial", progress_bar=False, checkpoint=check)
    resumed = sweep(f, {"n": [1, 2]}, backend="serial", progress_bar=False, checkpoint=check)
    assert [r["square"] for r in resumed] == [1, 4] and calls == []   # nothing recomputed
    assert check.read_bytes().endswith(b"\n")                          # the torn line is gone


SLOW_SWEEP = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from qsn_qutip.sweep import sweep

    marks = Path(sys.argv[2])

    def slow(n):
        (marks / f"{n}-{time.time_ns()}").touch()
        time.sleep(0.3)
        return {"square": n * n}

    result = sweep(slow, {"n": list(range(8))}, backend="serial", progress_bar=False,
                   checkpoint=sys.argv[1])
    print(sum(r["square"] for r in result))
""")


@pytest.mark.slow
def test_killed_sweep_resumes_without_losing_finished_points(tmp_path):
    script = tmp_path / "slow.py"
    script.write_text(SLOW_SWEEP)
    check, marks = tmp_path / "check.jsonl", tmp_path / "marks"
    marks.mkdir()
    proc = subprocess.Popen([sys.executable, str(script), str(check), str(marks)])
    deadline = time.time() + 60
    while time.time() < deadline:
        if check.exists() and check.read_text().count("\n") >= 4:   # header + 3 points
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    finished = check.read_text().count("\n") - 1
    assert 3 <= finished < 8
    done = subprocess.run([sys.executable, str(script), str(check), str(marks)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == str(sum(n * n for n in range(8)))
    runs = [p.name.split("-")[0] for p in marks.iterdir()]
    # every point ran once, except at most the one in flight when the process was killed
    assert sorted(set(runs)) == [str(n) for n in range(8)]
    assert len(runs) <= 8 + 1


def test_sweep_result_columns_and_pandas():
    result = SweepResult([{"a": 1, "x": 2.0}, {"a": 2, "error": "E: no"}], ["a"])
    assert result.columns == ["a", "x", "error"]
    assert result.column("x") == [2.0, None]
    pandas = pytest.importorskip("pandas")
    assert isinstance(result.to_pandas(), pandas.DataFrame)


def test_parse_vary_and_varied():
    assert parse_vary("sensor.left.n=2:40:2")[1] == list(range(2, 41, 2))
    assert parse_vary("noise.dephasing=0,0.01,0.02") == ("noise.dephasing", [0, 0.01, 0.02])
    assert parse_vary("x=0:0.3:0.1")[1] == [0.0, 0.1, 0.2, 0.3]
    raw = read_toml(GRADIENT.read_text())
    changed = varied(raw, {"sensor.2.n": 6, "repeats": 10})
    assert changed["sensor"][1]["n"] == 6 and changed["repeats"] == 10
    assert raw["sensor"][1]["n"] == 4                      # the original is untouched
    for spec in ("n", "=3", "x=1:0:1", "x=a:b:c"):
        with pytest.raises(QSNError, match="--vary"):
            parse_vary(spec)
    with pytest.raises(QSNError, match="no sensor named 'middle'"):
        varied(raw, {"sensor.middle.n": 2})


def qsn(*args, cwd=None):
    """``qsn ARGS`` through the real console script (a Python subprocess)."""
    return subprocess.run([sys.executable, "-m", "qsn_qutip", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd, timeout=180)


def qsn_in_process(*args, cwd=None):
    """``qsn ARGS`` in-process (``main(argv)``, output captured), as a CompletedProcess."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.chdir(cwd or os.getcwd()), contextlib.redirect_stdout(out), \
            contextlib.redirect_stderr(err):
        code = main([str(a) for a in args])
    return subprocess.CompletedProcess(args, code, out.getvalue(), err.getvalue())


def test_qsn_sweep_writes_csv_and_plot(tmp_path):
    out, pic = tmp_path / "r.csv", tmp_path / "r.png"
    done = qsn("sweep", GRADIENT, "--vary", "sensor.left.n=2:4:2", "--vary",
               "sensor.right.n=2,4", "--backend", "serial", "--out", out, "--plot", pic)
    assert done.returncode == 0, done.stderr
    assert "100.0%" in done.stderr
    assert len(list(csv.DictReader(out.open()))) == 4 and pic.stat().st_size > 1000


def test_qsn_sweep_exit_codes(tmp_path):
    failed = qsn_in_process("sweep", GRADIENT, "--vary", "sensor.left.n=4,0", "--backend",
                            "serial", "--progress", "")
    assert failed.returncode == 1
    assert "1 of 2 points failed" in failed.stderr and "Traceback" not in failed.stderr
    bad = qsn_in_process("sweep", GRADIENT, "--vary", "sensor.left.nn=2,4", cwd=tmp_path)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1
    assert "nn" in bad.stderr and list(tmp_path.iterdir()) == []
