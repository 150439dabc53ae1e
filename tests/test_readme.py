"""The README reads top to bottom for a user, and what it says holds: the API tour runs and
prints what its comments say, every extra of setup.cfg is explained, the paper is cited in
full, LICENSE matches setup.cfg and CITATION.cff is valid YAML with the paper's DOI."""

from __future__ import annotations

import configparser
import contextlib
import io
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _sections() -> list[str]:
    return re.findall(r"^## (.+)$", README, flags=re.M)


def test_a_user_reads_first_what_a_user_does():
    order = _sections()
    user = ["Two commands", "Install", "A tour of the API", "The command line", "Model files",
            "Teaching labs", "Figure gallery"]
    assert [s for s in order if s in user] == user
    assert order.index("Figure gallery") < order.index("Performance") < order.index("Internals")


def test_the_api_tour_runs():
    block = re.search(r"## A tour of the API.*?```python\n(.*?)```", README, flags=re.S)
    namespace: dict = {}
    exec(compile(block.group(1), "README.md (tour)", "exec"), namespace)
    result, noisy = namespace["result"], namespace["noisy"]
    assert (result.verdict.best, round(result.verdict.ratio, 9)) == ("ghz", 0.5)
    assert noisy["ghz"].optimal_time == pytest.approx(0.625, rel=1e-6)
    assert namespace["F"].ravel().tolist() == pytest.approx([16, -16, -16, 16])


def test_the_best_probe_section_runs_and_prints_what_it_shows():
    """The optimal_probe example: every line shown under print(best) is a line it prints, and
    the numbers of the comments and of the paragraph after it hold."""
    block = re.search(r"### The best probe and the limit.*?```python\n(.*?)```", README,
                      flags=re.S).group(1)
    namespace: dict = {}
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(block, "README.md (best probe)", "exec"), namespace)
    shown = [line[2:] for line in block.splitlines() if line.startswith("# ")]
    lines = printed.getvalue().splitlines()
    assert len(shown) == 5 and [line for line in lines if line in shown] == shown
    best, menu = namespace["best"], namespace["menu"]
    assert round(menu["ghz-type"].bound, 4) == 0.1548 > round(best.separable_bound, 4) == 0.1391
    assert (round(best.gain, 2), round(best.max_gain, 2)) == (1.14, 1.61)
    assert best.dicke_amplitudes.shape == (5, 5) and best.converged


def test_every_extra_is_explained():
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    extras = [e for e in config["options.extras_require"]]
    install = README[README.index("## Install"):README.index("## A tour of the API")]
    for extra in extras:
        assert f"| `{extra}` |" in install, extra


def test_paper_is_cited_in_full_and_files_exist():
    for part in ("Phys. Rev. Lett. **120**, 080501", "(2018)", "10.1103/PhysRevLett.120.080501",
                 "arXiv:1707.06252", "Proctor", "Knott", "Dunningham"):
        assert part in README, part
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    assert config["metadata"]["license"] == "BSD-3-Clause"
    assert (ROOT / "LICENSE").read_text().startswith("BSD 3-Clause License")
    yaml = pytest.importorskip("yaml")
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert cff["cff-version"] == "1.2.0" and cff["license"] == "BSD-3-Clause"
    import qsn_qutip
    assert cff["version"] == qsn_qutip.__version__
    assert cff["references"][0]["doi"] == "10.1103/PhysRevLett.120.080501"
