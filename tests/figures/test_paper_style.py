"""The paper style (journal widths, 8 pt, panel labels, no titles, Okabe-Ito colours, vector
PDF), the referee's fixes (infinite bounds off the scale, legends off the data, integer axes,
dense log ticks, flagged bracket-limited points, network labels in view, a chain on a line),
and the gallery's reproducibility: the committed CSV files are what a fresh run writes."""

from __future__ import annotations

import csv
import math
import re
from pathlib import Path

import matplotlib.colors
import numpy as np
import pytest
from matplotlib.legend import Legend

from qsn_qutip import MultiLevelAtom, Network, QSNError, QubitEnsemble
from qsn_qutip.figures import FIGURES, render, render_all
from qsn_qutip.figures import comparison as comparison_figure
from qsn_qutip.figures import gradient, gradient_noise, multiphase, network, saturation
from qsn_qutip.figures import sweep_plot
from qsn_qutip.figures.output import CSV_DIGITS, save_figure
from qsn_qutip.figures.style import OKABE_ITO, PAPER_STYLE, WIDTHS, styled, use_style
from qsn_qutip.options import tolerances
from qsn_qutip.report import compare
from qsn_qutip.sweep import SweepResult

GALLERY = Path(__file__).resolve().parents[2] / "figures"

#: small inputs (as in test_figures.py)
SMALL = {
    "network": {},
    "theorem1": {"count": 6},
    "theorem2": {"count": 6, "holevo_count": 1},
    "global-functions": {"ds": (2, 3), "N_max": 7},
    "gain-map": {"resolution": 6},
    "gradient": {"n_values": (1, 2, 4)},
    "gradient-noise": {"n": 3, "n_values": (1, 2, 4, 8, 16, 24), "fixed_gamma_t": 0.05,
                       "gamma": 0.5, "gamma_t": (0.01, 0.05, 0.3, 1.0)},
    "optimal-gain": {"n_values": (1, 2)},
    "multiphase": {"photons": 4, "ds": (1, 2, 3, 4)},
    "saturation": {"n": 2, "repeats": (1, 10, 100), "trials": 200},
}


@pytest.fixture(scope="module")
def small_data():
    return {name: FIGURES[name].compute(**SMALL.get(name, {})) for name in FIGURES}


def _axes(ax):
    return list(np.ravel(ax))


def _font_sizes(fig):
    sizes = [t.get_fontsize() for t in fig.findobj(lambda a: hasattr(a, "get_fontsize")
                                                   and hasattr(a, "get_text"))
             if t.get_text().strip()]
    return sizes


# -- the paper style ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(FIGURES))
def test_paper_style_is_journal_ready(name, small_data):
    fig, ax = FIGURES[name].plot(small_data[name], style="paper")
    axes = _axes(ax)
    width = fig.get_size_inches()[0]
    assert width == pytest.approx(WIDTHS["single"] if len(axes) == 1 else WIDTHS["double"])
    assert all(not a.get_title() for a in axes) and not fig.get_suptitle()
    labels = [a.get_title(loc="left") for a in axes]
    assert labels == ([f"({c})" for c in "abc"[:len(axes)]] if len(axes) > 1 else [""])
    sizes = _font_sizes(fig)
    assert sizes and max(sizes) <= 9.0 and min(sizes) >= 5.5, sorted(set(sizes))


def test_paper_width_can_be_chosen_and_is_checked(small_data):
    fig, _ = FIGURES["gradient"].plot(small_data["gradient"], style="paper", width="single")
    assert fig.get_size_inches()[0] == pytest.approx(3.4)
    with pytest.raises(QSNError, match="width"):
        FIGURES["gradient"].plot(small_data["gradient"], style="paper", width="A4")
    with pytest.raises(QSNError, match="style"):
        FIGURES["gradient"].plot(small_data["gradient"], style="poster")


def test_paper_palette_is_colour_blind_safe(small_data):
    fig, axes = gradient.plot(small_data["gradient"], style="paper")
    colours = {matplotlib.colors.to_hex(line.get_color()) for line in axes[0].lines}
    assert colours <= {c.lower() for c in OKABE_ITO}
    assert PAPER_STYLE["pdf.fonttype"] == 42


def test_style_is_scoped(small_data):
    import matplotlib
    before = dict(matplotlib.rcParams)
    FIGURES["multiphase"].plot(small_data["multiphase"], style="paper")
    with use_style("paper"):
        pass
    assert dict(matplotlib.rcParams) == before
    fig, _ = FIGURES["multiphase"].plot(small_data["multiphase"])       # back to the gallery
    assert fig.get_size_inches()[0] > 5


def test_render_paper_writes_reproducible_vector_pdf(tmp_path):
    first = render_all(tmp_path / "a", only="gradient", style="paper")
    second = render("gradient", tmp_path / "b", style="paper")
    assert [p.name for p in first] == ["gradient.pdf", "gradient.csv"]
    data = first[0].read_bytes()
    assert data.startswith(b"%PDF") and b"/FontFile2" in data        # TrueType embedded
    assert data == second[0].read_bytes()                           # no creation date
    with pytest.raises(QSNError, match="width"):
        render_all(tmp_path / "c", only="gradient", width="double")  # gallery has no width
    assert not (tmp_path / "c").exists()


def test_styled_returns_what_the_plot_returns():
    @styled
    def plot(fig_ax=None):
        return "no figure"
    assert plot(style="paper") == "no figure"


# -- the referee's fixes -------------------------------------------------------------------------
def test_not_estimable_is_off_the_scale(small_data):
    fig, axes = gradient.plot(small_data["gradient"])
    right = axes[1]
    fig.canvas.draw()
    assert "∞" in [t.get_text() for t in right.get_yticklabels()]
    finite = [y for line in right.lines for y in np.ravel(line.get_ydata())
              if line.get_marker() in ("s", "^")]
    infinite = [line for line in right.lines if line.get_marker() == "v"]
    assert len(infinite) == 1
    assert min(infinite[0].get_ydata()) > 1.5 * max(finite)        # in the band, above all


def test_gradient_noise_legend_is_off_the_data(small_data):
    fig, axes = gradient_noise.plot(small_data["gradient-noise"])
    assert all(a.get_legend() is None for a in axes)
    legends = [c for c in fig.get_children() if isinstance(c, Legend)]
    assert len(legends) == 1
    fig.canvas.draw()
    box = legends[0].get_window_extent()
    assert all(box.y1 <= a.get_window_extent().y0 for a in axes)


def test_multiphase_draws_no_line_across_integer_d(small_data):
    fig, ax = multiphase.plot(small_data["multiphase"])
    d = small_data["multiphase"].d
    for line in ax.lines:
        assert line.get_linestyle() == "None" or len(line.get_xdata()) == 0
        assert set(np.ravel(line.get_xdata())) <= set(d.tolist())


def test_log_axes_carry_several_labels(small_data):
    fig, ax = multiphase.plot(small_data["multiphase"])
    fig.canvas.draw()
    low, high = ax.get_ylim()
    shown = [t.get_text() for t in ax.get_yticklabels()
             if t.get_text() and low <= t.get_position()[1] <= high]
    assert len(shown) >= 4, shown


def test_saturation_flags_bracket_limited_points(small_data):
    data = small_data["saturation"]
    flagged = sum(int(np.sum(v > tolerances.edge_flag)) for v in data.at_edge.values())
    assert flagged >= 1                                  # mu = 1: most estimates on the edge
    fig, axes = saturation.plot(data)
    labels = [t.get_text() for leg in fig.legends for t in leg.get_texts()]
    assert any(f"bracket edge ({flagged})" in label for label in labels)
    hollow = [line for line in axes[0].lines if line.get_markerfacecolor() in ("white", "w")
              or matplotlib.colors.to_hex(line.get_markerfacecolor()) == "#ffffff"]
    assert sum(len(line.get_xdata()) for line in hollow) == flagged


@pytest.mark.parametrize("sensors,layout", [
    ([QubitEnsemble(4, name="left"), QubitEnsemble(7, name="middle"),
      QubitEnsemble(9, name="right")], "line"),
    ([QubitEnsemble(2, name="a rather long sensor name"), MultiLevelAtom(spin=1, axes="xyz",
                                                                          name="far right")],
     "ring"),
])
@pytest.mark.parametrize("style", ["gallery", "paper"])
def test_draw_keeps_labels_in_view(sensors, layout, style):
    fig, ax = network.draw(Network(sensors), style=style)
    fig.canvas.draw()
    frame = fig.bbox
    for text in ax.texts:
        box = text.get_window_extent()
        assert frame.x0 <= box.x0 and box.x1 <= frame.x1, text.get_text()
        assert frame.y0 <= box.y0 and box.y1 <= frame.y1, text.get_text()
    assert network.compute(Network(sensors)).layout == layout


def test_a_chain_is_drawn_on_a_line():
    data = network.compute(Network([QubitEnsemble(2)] * 4))
    assert data.layout == "line" and np.all(data.y == 0) and np.all(np.diff(data.x) > 0)
    fig, ax = network.plot(data)
    arcs = [line for line in ax.lines if len(line.get_xdata()) > 2]
    assert len(arcs) == 3                      # 1-3, 2-4, 1-4 bend over the nodes between
    assert all(np.min(line.get_ydata()) > 0 for line in arcs)
    assert network.compute(Network([QubitEnsemble(2)] * 4), layout="ring").layout == "ring"
    with pytest.raises(QSNError, match="layout"):
        network.compute(Network([QubitEnsemble(2)] * 2), layout="grid")


def test_comparison_footnote_tells_na_from_not_estimable():
    net = Network([QubitEnsemble(2), QubitEnsemble(2)])
    result = compare(net, weights=[1, 1], probes=["ghz", "local-ghz", "time-shared"])
    kinds = {p.name: (p.bound is None, p.bound is not None and not math.isfinite(p.bound))
             for p in result.probes}
    fig, ax = comparison_figure.plot(result)
    label = ax.get_xlabel()
    assert "no finite bound" not in label
    for name, (na, inf) in kinds.items():
        if na:
            assert "n/a" in label and name in label.split("n/a", 1)[1]
        if inf:
            assert "not estimable" in label and name in label.split("not estimable", 1)[1]


def test_sweep_plot_markers_integer_ticks_and_label():
    rows = [{"n": n, "ghz": 1 / n ** 2, "local-ghz": 1 / n ** 2, "product": None,
             "best": "ghz", "ratio": 1.0, "resources": "total", "notes": ""}
            for n in (2, 3, 4, 5)]
    result = SweepResult(rows, ["n"])
    assert sweep_plot.probe_columns(result) == ["ghz", "local-ghz", "product"]
    fig, ax = sweep_plot.plot(result, quantity="Var(θ)", repeats=10)
    markers = [line.get_marker() for line in ax.lines]
    sizes = [line.get_markersize() for line in ax.lines]
    assert len(set(markers)) == 2 and sizes[0] > sizes[1]       # equal bounds both visible
    fig.canvas.draw()
    ticks = [t for t in ax.get_xticks() if 2 <= t <= 5]
    assert ticks and all(float(t).is_integer() for t in ticks)
    assert "Var(θ)" in ax.get_ylabel() and "μ = 10" in ax.get_ylabel()
    assert ax.get_legend() is None and fig.legends


# -- the gallery is reproducible -------------------------------------------------------------------
def _numbers(path: Path) -> tuple[list[str], list[list[str]]]:
    with open(path, newline="", encoding="utf-8") as handle:
        lines = handle.read().splitlines()
    comments = [line for line in lines if line.startswith("#")]
    rows = list(csv.reader(line for line in lines if not line.startswith("#")))
    return comments, rows


def _same_csv(fresh: Path, committed: Path) -> None:
    c1, r1 = _numbers(fresh)
    c2, r2 = _numbers(committed)
    assert c1 == c2 and r1[0] == r2[0] and len(r1) == len(r2)
    stated = [re.fullmatch(r"# numbers to (\d+) significant digits", c) for c in c1]
    digits = int(next(m for m in stated if m).group(1))         # as the file says
    assert digits <= CSV_DIGITS
    for row1, row2 in zip(r1[1:], r2[1:]):
        for a, b in zip(row1, row2):
            try:
                x, y = float(a), float(b)
            except ValueError:
                assert a == b
                continue
            assert x == pytest.approx(y, rel=10.0 ** (1 - digits), nan_ok=True), (a, b)


FAST = ["network", "theorem1", "theorem2", "global-functions", "gain-map", "gradient",
        "multiphase"]
SLOW = [name for name in FIGURES if name not in FAST]


@pytest.mark.parametrize("name", FAST + [pytest.param(n, marks=pytest.mark.slow)
                                         for n in SLOW])
def test_committed_csv_is_a_fresh_run(name, tmp_path):
    """``qsn figures --out figures`` rewrites the committed CSV (seeded, rounded numbers)."""
    committed = GALLERY / f"{name}.csv"
    assert committed.exists(), f"figures/{name}.csv is missing: run qsn figures --out figures"
    assert (GALLERY / f"{name}.png").exists()
    module = FIGURES[name]
    if name == "theorem2" and "C_H" in committed.read_text():
        pytest.importorskip("cvxpy")
    module.to_csv(module.compute(), tmp_path / f"{name}.csv")
    _same_csv(tmp_path / f"{name}.csv", committed)


def test_gallery_images_are_the_figures():
    assert sorted(p.stem for p in GALLERY.glob("*.png")) == sorted(FIGURES)
    readme = (GALLERY.parent / "README.md").read_text(encoding="utf-8")
    for name in FIGURES:
        assert f"(figures/{name}.png)" in readme, f"{name} is not in the README gallery"


def test_save_figure_is_reproducible(small_data, tmp_path):
    """The same figure drawn twice gives the same bytes (what regenerating the gallery does)."""
    files = {}
    for run in ("a", "b"):
        for fmt in ("png", "svg", "pdf"):
            fig, _ = FIGURES["gain-map"].plot(small_data["gain-map"])
            files[run, fmt] = save_figure(fig, tmp_path / f"{run}.{fmt}").read_bytes()
    for fmt in ("png", "svg", "pdf"):
        assert files["a", fmt] == files["b", fmt], fmt
