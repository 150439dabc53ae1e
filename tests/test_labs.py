"""The teaching labs in docs/labs: one source, a student and an instructor version of each.

* structure (fast): every lab states its time and learning objectives; every exercise cell has
  a blank, a solution cell and a check cell after it; every registered exercise is in a lab;
  the student version holds no solution, the instructor version no blank;
* the checkers (fast): each rejects the usual wrong answers with a message naming the slip,
  accepts the right answer, and reports a blank as not answered yet;
* sliders (fast): with ipywidgets the controls, without it the static call;
* the notebooks (slow, a Jupyter kernel each): the instructor version runs top to bottom with
  every check correct, the student version runs top to bottom with every check "not answered
  yet" (a blank never stops the notebook), and every plotting cell shows an image — with
  ipywidgets made unimportable, so the sliders' static figures are what is checked; one lab
  runs with ipywidgets too and shows its slider;
* ``qsn labs`` writes both versions and lists the labs.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from qsn_qutip import labs
from qsn_qutip.errors import QSNError

nbformat = pytest.importorskip("nbformat")

LABS = labs.lab_paths()
IDS = [p.stem for p in LABS]
PLOTS = re.compile(r"plt\.(show|subplots)\(|\bsliders\(|\.plot\(")


def _lab_key(path: Path) -> str:
    return f"lab{int(path.name[:2])}"


# -- structure -------------------------------------------------------------------------------
def test_the_labs_are_there():
    names = [p.name for p in LABS]
    assert len(LABS) >= 5 and "06_does_entanglement_help.ipynb" in names, names


@pytest.mark.parametrize("path", LABS, ids=IDS)
def test_lab_structure(path):
    notebook = labs.read_lab(path)
    assert labs.problems(notebook, lab=_lab_key(path)) == []
    head = notebook.cells[0].source
    assert re.search(r"\*\*Time:\*\* about \d+ minutes", head), "a time estimate at the top"
    assert "Learning objectives" in head, "learning objectives at the top"
    assert "matplotlib.use(" not in "".join(c.source for c in notebook.cells), \
        "no backend forcing: plots must appear inline in Jupyter"
    registered = {name for name in labs.EXERCISES if name.startswith(_lab_key(path) + ".")}
    assert set(labs.exercises_of(notebook)) == registered


def test_every_exercise_is_in_a_lab_once():
    checked = [name for path in LABS for name in labs.exercises_of(labs.read_lab(path))]
    assert sorted(checked) == sorted(labs.EXERCISES)


@pytest.mark.parametrize("path", LABS, ids=IDS)
def test_student_version_has_blanks_not_solutions(path):
    source = labs.read_lab(path)
    student, instructor = labs.version(source, "student"), labs.version(source, "instructor")
    solutions = [c.source for c in source.cells if labs.TAG_SOLUTION in c.metadata.get("tags", [])]
    stubs = [c.source for c in source.cells if labs.TAG_EXERCISE in c.metadata.get("tags", [])]
    student_sources = [c.source for c in student.cells]
    instructor_sources = [c.source for c in instructor.cells]
    assert not [s for s in solutions if s in student_sources]
    assert all(s in student_sources for s in stubs)
    assert not [s for s in stubs if s in instructor_sources]
    assert all(s in instructor_sources for s in solutions)
    for version, which in ((student, "student"), (instructor, "instructor")):
        assert version.metadata["qsn_lab"] == {"version": which}
        assert not any(c.get("outputs") for c in version.cells if c.cell_type == "code")
        assert not any(set(c.metadata.get("tags", [])) & {"exercise", "solution"}
                       for c in version.cells)
        nbformat.validate(version)
    # the source itself is unchanged
    assert [c.source for c in labs.read_lab(path).cells] == [c.source for c in source.cells]


def test_problems_finds_a_broken_lab():
    v4 = nbformat.v4
    broken = v4.new_notebook(cells=[
        v4.new_code_cell("x = 1", metadata={"tags": ["exercise"]}),          # no blank
        v4.new_code_cell('check("lab1.nonsense", x)'),                        # unknown, no solution
    ])
    found = labs.problems(broken, lab="lab1")
    assert any("without a blank" in p for p in found)
    assert any("not a registered exercise" in p for p in found)
    assert any("not preceded by an exercise cell and a solution cell" in p for p in found)


# -- the checkers ----------------------------------------------------------------------------
RIGHT = {
    "lab1.qfi_by_hand": 16.0,
    "lab1.ghz_bound": 1e-4,
    "lab1.noisy_ghz_qfi": 16 * 0.49 / (0.7 + 0.3 / 8),
    "lab2.mixed_probe": (0.6426429888171743, 0.5426476906201702),
    "lab2.ancilla_resources": 2.0,
    "lab3.ratio_vs_n": [0.5] * 10,
    "lab3.three_sites": 1 / 3,
    "lab4.crossover": {4: (2.0, 1.0, 0.25), 20: (20 ** 0.5, 1.0, 0.05),
                       57: (57 ** 0.5, 1.0, 1 / 57)},
    "lab4.per_shot": (0.125, 1.0, 8.0),
    "lab4.gradient_crossover": 36,
    "lab5.sensitivity": 8.043326565037765e-12,
    "lab5.best_time": (17 ** 0.5 - 1) / 4,
    "lab5.gradient": 2 ** 0.5 * 8.043326565037765e-12 / 0.05,
    "lab6.hardware_limit": (2 / 6 ** 0.5 / 7) ** 2,
    "lab6.fixed_verdict": ("ghz-type", 0.5217),
    "lab6.optimal_gain": (1.214450, 1.459515),
    "lab6.no_help_model": """
        [[sensor]]
        kind = "qubits"
        n = 2
        [[sensor]]
        kind = "qubits"
        n = 2
        [task]
        weights = [1, 1]
        [[probes.state]]
        name = "GHZ across both"
        terms = [{basis = [0, 0], amplitude = 1}, {basis = [2, 2], amplitude = 1}]
    """,
}

#: (exercise, wrong answer, what the message must say)
WRONG = [
    ("lab1.qfi_by_hand", 64.0, "sigma_z^(i), without the 1/2"),
    ("lab1.qfi_by_hand", 4.0, "multiply by 4"),
    ("lab1.qfi_by_hand", 9.0, "should scale as N^2"),
    ("lab1.ghz_bound", 0.01, "divide by mu = 100"),
    ("lab1.ghz_bound", 1e-3, "the product state's"),
    ("lab1.noisy_ghz_qfi", 11.2, "convex, not linear"),
    ("lab1.noisy_ghz_qfi", 16.0, "pure GHZ state's"),
    ("lab1.noisy_ghz_qfi", 1j, "complex"),
    ("lab2.mixed_probe", (0.5426476906201702, 0.6426429888171743), "upside down"),
    ("lab2.mixed_probe", (0.722407623432352, 0.5646765876840668), "pure probe psi"),
    ("lab2.mixed_probe", (1.0,), "should be 2 numbers"),
    ("lab2.ancilla_resources", 0.5, "upside down"),
    ("lab3.ratio_vs_n", [2.0] * 10, "upside down"),
    ("lab3.ratio_vs_n", [float("inf")] * 10, "function_bound(F, v)"),
    ("lab3.ratio_vs_n", [0.5] * 9, "should be 10 numbers"),
    ("lab3.three_sites", 0.5, "two-site value"),
    ("lab4.crossover", {4: (0.5, 1.0, 4.0), 20: (1, 1, 1), 57: (1, 1, 1)}, "F_prod/F_GHZ"),
    ("lab4.crossover", {4: (2.0, 1.1, 0.25), 20: (1, 1, 1), 57: (1, 1, 1)}, "dephasing_crossover"),
    ("lab4.crossover", [1, 2, 3], "should be a dict"),
    ("lab4.per_shot", (1 / 16, 0.5, 1.0), "per=\"shot\""),
    ("lab4.gradient_crossover", 18, "qubits per site"),
    ("lab4.gradient_crossover", 34, "still wins"),
    ("lab5.sensitivity", 8.043326565037765e-12 * (2 / 5) ** 0.5, "without the dead time"),
    ("lab5.sensitivity", 8.043326565037765e-12 * 2 * 3.141592653589793, "gamma/2pi"),
    ("lab5.sensitivity", 8.043326565037765e-12 ** 2, "a variance"),
    ("lab5.best_time", 0.5, "without dead time"),
    ("lab5.best_time", 1.0, "per shot"),
    ("lab5.gradient", 8.043326565037765e-12 / 0.05, "multiply by sqrt2"),
    ("lab5.gradient", 2 * 8.043326565037765e-12 / 0.05, "add in variance"),
    ("lab5.gradient", 2 ** 0.5 * 8.043326565037765e-12 * 0.05, "divide by the distance"),
    ("lab6.hardware_limit", (1 / 6 ** 0.5 / 9) ** 2, "LARGEST"),
    ("lab6.hardware_limit", 0.0260797, "best separable bound"),
    ("lab6.hardware_limit", 4 / 6 / 7, "square n_k"),
    ("lab6.hardware_limit", 16 / 6 / 400, "re-allocated"),
    ("lab6.fixed_verdict", ("optimal-ghz", 0.2556), "re-allocates the 20 qubits"),
    ("lab6.fixed_verdict", ("ghz-type", 0.6968), "against optimal-separable"),
    ("lab6.fixed_verdict", "ghz-type", "should be a pair"),
    ("lab6.optimal_gain", (1 / 1.214450, 1 / 1.459515), "upside down"),
    ("lab6.optimal_gain", (0.4240982 / 0.1814104, 0.4240982 / 0.1509500), "product state"),
    ("lab6.optimal_gain", (0.2203138 / 0.1900122, 1.459515), "menu's GHZ-type probe"),
    ("lab6.optimal_gain", (1.214450, 0.1814104 / 0.1509500), "how far the probe found is"),
    ("lab6.optimal_gain", (1.703125, 1.703125), "noiseless gain"),
    ("lab6.optimal_gain", (1.0, 1.0), "your gain is 1"),
    ("lab6.optimal_gain", (1.214450,), "should be 2 numbers"),
    ("lab6.no_help_model", "[task]\nfunction = [1]\n", "does not load"),
    ("lab6.no_help_model", RIGHT["lab6.no_help_model"].replace("weights", "function"),
     "entanglement helps"),
    ("lab6.no_help_model", RIGHT["lab6.no_help_model"].split("[[probes.state]]")[0],
     "no entangled probe"),
]


@pytest.mark.parametrize("name", sorted(RIGHT))
def test_checker_accepts_the_right_answer(name):
    result = labs.check(name, RIGHT[name])
    assert result.status == labs.CORRECT, str(result)
    assert bool(result) and str(result).startswith(f"✓ {name}: ")


@pytest.mark.parametrize("name,answer,says", WRONG,
                         ids=[f"{w[0]}-{i}" for i, w in enumerate(WRONG)])
def test_checker_rejects_a_wrong_answer_and_says_why(name, answer, says):
    result = labs.check(name, answer)
    assert result.status == labs.WRONG and not result, str(result)
    assert says in result.message, result.message


def test_every_exercise_has_right_and_wrong_cases():
    assert set(RIGHT) == set(labs.EXERCISES) == {w[0] for w in WRONG}


@pytest.mark.parametrize("name", sorted(labs.EXERCISES))
def test_a_blank_is_not_answered_yet(name):
    for blank in (..., (..., 1.0), {4: ...}):
        result = labs.check(name, blank)
        assert result.status == labs.UNANSWERED and "not answered yet" in result.message


def test_check_result_displays_as_one_line_with_a_machine_readable_copy():
    result = labs.check("lab1.ghz_bound", 0.01)
    bundle = result._repr_mimebundle_()
    assert bundle["text/plain"] == str(result) and "\n" not in str(result)
    assert bundle[labs.MIME_TYPE] == {"exercise": "lab1.ghz_bound", "status": "wrong",
                                      "kind": "exercise"}
    assert "<div" in bundle["text/html"]


@pytest.mark.parametrize("name", sorted(labs.EXERCISES))
def test_an_answer_of_the_wrong_kind_is_wrong_not_a_crash(name):
    for odd in (object(), None, "text", [[1, 2], [3]], {"a": 1}):
        result = labs.check(name, odd)
        assert result.status == labs.WRONG and result.message, (odd, result)


def test_unknown_exercise_is_refused_with_suggestions():
    with pytest.raises(QSNError, match="did you mean 'lab1.ghz_bound'"):
        labs.check("lab1.ghz_bund", 1.0)


def test_confirm_says_by_how_much():
    assert labs.confirm("F = N", [1.0, 2.0], [1, 2]).status == labs.CORRECT
    with pytest.raises(AssertionError, match=r"F = N\^2: entry \(1,\) is 3, expected 4"):
        labs.confirm("F = N^2", [1.0, 3.0], [1, 4])


def test_model_file_and_source_dir():
    assert labs.model_file("uneven_ensembles").is_file()
    with pytest.raises(QSNError, match="no bundled model file 'nope'"):
        labs.model_file("nope")
    assert labs.source_dir() == LABS[0].parent


# -- sliders ---------------------------------------------------------------------------------
def _drawn():
    calls = []

    def draw(N=8, gamma_t=0.05):
        calls.append((N, gamma_t))
        return "figure"
    return draw, calls


def test_sliders_without_ipywidgets_give_the_static_figure(monkeypatch):
    import builtins
    real_import = builtins.__import__

    def no_widgets(name, *args, **kwargs):
        if name.split(".")[0] == "ipywidgets":
            raise ImportError("No module named 'ipywidgets'")
        return real_import(name, *args, **kwargs)
    monkeypatch.setattr(builtins, "__import__", no_widgets)
    draw, calls = _drawn()
    assert labs.sliders(draw, N=(1, 40, 1)) == "figure"
    assert calls == [(8, 0.05)] and not labs.widgets_available()


def test_sliders_with_ipywidgets_give_controls_at_the_defaults(monkeypatch):
    ipywidgets = pytest.importorskip("ipywidgets")
    from qsn_qutip.labs import widgets
    monkeypatch.setattr(widgets, "_ipywidgets", lambda: ipywidgets)
    draw, calls = _drawn()
    control = labs.sliders(draw, N=(1, 40, 1), gamma_t=(0.005, 0.5, 0.005))
    assert isinstance(control, ipywidgets.interactive)
    values = {c.description: c.value for c in control.children if hasattr(c, "value")}
    assert values == {"N": 8, "gamma_t": 0.05}
    assert calls and calls[0] == (8, 0.05)


# -- the notebooks, executed -----------------------------------------------------------------
def _execute(notebook, tmp_path: Path, monkeypatch, widgets: bool):
    nbclient = pytest.importorskip("nbclient")
    if not widgets:                # the kernel inherits PYTHONPATH: ipywidgets cannot import
        blocker = tmp_path / "no_widgets" / "ipywidgets"
        blocker.mkdir(parents=True)
        (blocker / "__init__.py").write_text("raise ImportError('ipywidgets blocked for the "
                                             "test of the static figures')\n")
        monkeypatch.setenv("PYTHONPATH", str(blocker.parent))
    client = nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()           # raises CellExecutionError, with the cell, on any failure
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert all(cell.execution_count for cell in code)
    assert not [out for cell in code for out in cell.get("outputs", [])
                if out.get("output_type") == "error"]
    return code


def _statuses(code, kind: str = "exercise") -> list[tuple[str, str]]:
    """(name, status) of every displayed check of ``kind`` ("exercise" or "confirm")."""
    shown = [out["data"][labs.MIME_TYPE] for cell in code for out in cell.get("outputs", [])
             if labs.MIME_TYPE in out.get("data", {})]
    return [(s["exercise"], s["status"]) for s in shown if s["kind"] == kind]


def _assert_every_plot_shows_an_image(code):
    plotting = [cell for cell in code if PLOTS.search(cell.source)]
    blank = [cell.source.splitlines()[0] for cell in plotting
             if not any("image/png" in out.get("data", {}) for out in cell.get("outputs", []))]
    assert not blank, f"plotting cells without an image: {blank}"


@pytest.mark.slow              # a Jupyter kernel per lab: 5-40 s each
@pytest.mark.parametrize("path", LABS, ids=IDS)
def test_instructor_version_runs_with_every_check_correct(path, tmp_path, monkeypatch):
    notebook = labs.version(labs.read_lab(path), "instructor")
    code = _execute(notebook, tmp_path, monkeypatch, widgets=False)
    exercises = labs.exercises_of(notebook)
    assert _statuses(code) == [(name, labs.CORRECT) for name in exercises]
    confirmed = _statuses(code, "confirm")
    assert confirmed and all(status == labs.CORRECT for _, status in confirmed)
    _assert_every_plot_shows_an_image(code)


@pytest.mark.slow
@pytest.mark.parametrize("path", LABS, ids=IDS)
def test_student_version_runs_to_every_blank(path, tmp_path, monkeypatch):
    """Each blank is reported as not answered yet, and the notebook goes on to the end."""
    notebook = labs.version(labs.read_lab(path), "student")
    code = _execute(notebook, tmp_path, monkeypatch, widgets=False)
    exercises = labs.exercises_of(notebook)
    assert _statuses(code) == [(name, labs.UNANSWERED) for name in exercises]
    _assert_every_plot_shows_an_image(code)


@pytest.mark.slow
def test_with_ipywidgets_the_slider_appears(tmp_path, monkeypatch):
    pytest.importorskip("ipywidgets")
    notebook = labs.version(labs.read_lab(LABS[0]), "student")
    code = _execute(notebook, tmp_path, monkeypatch, widgets=True)
    slider_cells = [cell for cell in code if "sliders(" in cell.source]
    assert slider_cells and all(
        any("application/vnd.jupyter.widget-view+json" in out.get("data", {})
            for out in cell.outputs) for cell in slider_cells)


# -- qsn labs --------------------------------------------------------------------------------
def test_qsn_labs_writes_both_versions(tmp_path, run_qsn):
    code, out, err = run_qsn("labs", "--student", tmp_path / "s", "--instructor", tmp_path / "i")
    assert (code, err) == (0, "")
    for folder, which in (("s", "student"), ("i", "instructor")):
        written = sorted((tmp_path / folder).glob("*.ipynb"))
        assert [p.name for p in written] == [p.name for p in LABS]
        for path in written:
            notebook = nbformat.read(path, as_version=4)
            assert notebook.metadata["qsn_lab"] == {"version": which}
            assert str(path) in out


def test_qsn_labs_lists_the_labs(run_qsn):
    code, out, err = run_qsn("labs")
    assert (code, err) == (0, "")
    for path in LABS:
        assert path.name in out
    assert re.search(r"06_does_entanglement_help\.ipynb .*about 55 minutes, 4 exercises", out)


@pytest.mark.parametrize("args,says", [
    (["--source", "no/such/folder", "--student", "x"], "is not a directory"),
    (["--student", "/proc/forbidden/x"], "--student"),
], ids=["bad-source", "bad-output"])
def test_qsn_labs_bad_input_is_one_line(args, says, run_qsn, tmp_path):
    code, out, err = run_qsn("labs", *args, cwd=tmp_path)
    assert code == 2 and out == "" and says in err and len(err.strip().splitlines()) == 1, err


def test_qsn_labs_help_does_not_import_qutip():
    probe = ("import sys\nfrom qsn_qutip.cli import main\n"
             "try:\n    main(['labs', '--help'])\nexcept SystemExit:\n    pass\n"
             "print(sorted(m for m in ('qutip', 'numpy', 'matplotlib', 'nbformat') "
             "if m in sys.modules))\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=120)
    assert done.stdout.strip().endswith("[]"), done.stdout + done.stderr
