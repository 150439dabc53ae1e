"""The figure gallery: each ``compute`` on small inputs against the paper's closed forms, the
plots, the atomic writers, ``render_all``, sensor labels and ``qsn figures`` (in-process)."""

from __future__ import annotations

import csv
import os
import stat

import numpy as np
import pytest
from matplotlib.figure import Figure

from qsn_qutip import Ancilla, MultiLevelAtom, Network, OpticalMode, QSNError, QubitEnsemble
from qsn_qutip.figures import FIGURES, render_all
from qsn_qutip.figures import (gain_map, gradient, gradient_noise, multiphase, network,
                               theorem1, theorem2)
from qsn_qutip.figures.helpers import param_label
from qsn_qutip.figures.output import write_csv
from qsn_qutip.figures.style import new_axes
from qsn_qutip.noise import dephasing_crossover

#: small, fast inputs for every figure's compute
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
    "saturation": {"n": 2, "repeats": (10, 100), "trials": 200},
    "gradiometer": {"n_values": (1, 2, 4)},
    "dipole-map": {"grid": 3, "depths": (0.01, 0.02)},
}


@pytest.fixture(scope="module")
def small_data():
    return {name: FIGURES[name].compute(**kwargs) for name, kwargs in SMALL.items()}


def read_rows(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(line for line in handle if not line.startswith("#")))


# -- closed forms ---------------------------------------------------------------------------
def test_gradient_global_over_local_is_one_half(small_data):
    data = small_data["gradient"]
    N = data.N.astype(float)
    np.testing.assert_allclose(data.gradient["global"] / data.gradient["local"], 0.5,
                               rtol=1e-12)
    np.testing.assert_allclose(data.gradient["global"], 2 / N ** 2, rtol=1e-12)
    np.testing.assert_allclose(data.gradient["product"], 2 / N, rtol=1e-12)
    np.testing.assert_allclose(data.both["local"], 8 / N ** 2, rtol=1e-12)
    np.testing.assert_allclose(data.both["product"], 4 / N, rtol=1e-12)
    assert np.all(np.isinf(data.both["global"]))


def test_gradient_noise_against_closed_forms(small_data):
    """Local dephasing gamma, gradient v = (-1, 1)/sqrt2, n qubits per site: v^T F^+ v is
    exp(4 n gamma t)/(2 n^2) (global GHZ-like: one coherence over 2n qubits), exp(2 n gamma t)/n^2
    (local GHZ), exp(2 gamma t)/n (product); per unit time t* = 1/(4 n gamma), 1/(2 n gamma),
    1/(2 gamma), all with t / v^T F^+ v = n/(2 e gamma) (Huelga et al. 1997)."""
    data = small_data["gradient-noise"]
    gamma, x = data.gamma, data.fixed_gamma_t
    assert (gamma, x, data.n) == (0.5, 0.05, 3)
    bound = {"global": lambda n, gt: np.exp(4 * n * gt) / (2 * n ** 2),
             "local": lambda n, gt: np.exp(2 * n * gt) / n ** 2,
             "product": lambda n, gt: np.exp(2 * gt) / n}
    t_star = {"global": lambda n: 1 / (4 * n * gamma), "local": lambda n: 1 / (2 * n * gamma),
              "product": lambda n: np.full_like(n, 1 / (2 * gamma))}
    n_sweep = data.N / 2
    for key in ("global", "local", "product"):
        # the scan over t at n = 3
        np.testing.assert_allclose(data.info[key],
                                   data.gamma_t / gamma / bound[key](3, data.gamma_t),
                                   rtol=1e-9, err_msg=key)
        # optimal times and the common value n / (2 e gamma)
        assert data.optimal_time[key] == pytest.approx(t_star[key](3.0), rel=1e-6), key
        assert data.optimal_info[key] == pytest.approx(3 / (2 * np.e * gamma), rel=1e-9), key
        np.testing.assert_allclose(data.optimal_time_N[key], t_star[key](n_sweep), rtol=1e-6,
                                   err_msg=key)
        np.testing.assert_allclose(data.optimal_info_N[key], n_sweep / (2 * np.e * gamma),
                                   rtol=1e-9, err_msg=key)
        # the fixed interrogation time
        np.testing.assert_allclose(data.bound_fixed[key], bound[key](n_sweep, x), rtol=1e-9,
                                   err_msg=key)
        np.testing.assert_allclose(data.info_fixed[key] * data.bound_fixed[key], x / gamma,
                                   rtol=1e-12)
    np.testing.assert_allclose(data.bound_fixed["global"] / data.bound_fixed["local"],
                               np.exp(2 * n_sweep * x) / 2, rtol=1e-9)
    np.testing.assert_allclose(data.bound_fixed["global"] / data.bound_fixed["product"],
                               np.exp(2 * (data.N - 1) * x) / data.N, rtol=1e-9)
    # N = 2: the global GHZ-like probe beats both; N = 48 (gamma t = 0.05): it loses to both
    assert data.bound_fixed["global"][0] < min(data.bound_fixed["local"][0],
                                               data.bound_fixed["product"][0])
    assert data.bound_fixed["global"][-1] > max(data.bound_fixed["local"][-1],
                                                data.bound_fixed["product"][-1])
    # the crossover against the local GHZ state, ln2/(gamma t) = 13.86 (exact: the log-ratio is
    # linear in N); against the product state the root of gamma t = ln N/(2(N-1)), 37.15
    assert data.crossover["local"] == pytest.approx(np.log(2) / x, rel=1e-9)
    assert gradient_noise.closed_crossover("product", x) == pytest.approx(37.1495, abs=1e-4)
    assert data.crossover["product"] == pytest.approx(37.1495, rel=0.02)   # interpolated
    assert dephasing_crossover(37) > x > dephasing_crossover(38)


def test_gradient_noise_csv_and_small_ranges(small_data, tmp_path):
    data = small_data["gradient-noise"]
    gradient_noise.to_csv(data, tmp_path / "g.csv")
    rows = read_rows(tmp_path / "g.csv")
    assert {r["series"] for r in rows} == {"time-scan", "time-optimum", "N-optimum",
                                           "N-fixed-time"}
    assert len(rows) == 3 * (len(data.gamma_t) + 1 + 2 * len(data.N))
    best = [r for r in rows if r["series"] == "time-optimum" and r["probe"] == "global"]
    assert float(best[0]["gamma_t"]) == pytest.approx(1 / (4 * 3), rel=1e-6)     # gamma t*
    text = (tmp_path / "g.csv").read_text()
    assert "local: N = 13.8629" in text and "product: N = 3" in text
    narrow = gradient_noise.compute(n=1, n_values=(1, 2), fixed_gamma_t=0.01, gamma_t=(0.1,))
    assert np.isnan(narrow.crossover["local"]) and np.isnan(narrow.crossover["product"])
    fig, axes = gradient_noise.plot(narrow)
    assert len(axes) == 2
    with pytest.raises(QSNError, match="increasing"):
        gradient_noise.compute(n_values=(4, 2))
    with pytest.raises(QSNError, match="> 0"):
        gradient_noise.compute(n=1, n_values=(1,), gamma=0)


def test_average_gains_one_over_d(small_data):
    data = small_data["global-functions"]
    for d in (2, 3):
        rows = (data.d == d) & (data.N % d == 0)
        assert rows.any()
        np.testing.assert_allclose(data.ghz[rows] / data.separable_bound[rows], 1 / d,
                                   rtol=1e-12)
        np.testing.assert_allclose(data.ghz[rows], data.ghz_bound[rows], rtol=1e-12)
        np.testing.assert_allclose(data.separable[rows], data.separable_bound[rows],
                                   rtol=1e-12)
    assert np.all(np.isnan(data.ghz[data.N % data.d != 0]))
    assert np.all(data.separable >= data.separable_bound * (1 - 1e-12))
    assert np.any(data.separable > data.separable_bound * 1.01)      # e.g. d = 2, N = 3


def test_generalized_noon_matches_humphreys(small_data):
    data = small_data["multiphase"]
    np.testing.assert_allclose(data.noon, data.d * (1 + np.sqrt(data.d)) ** 2 / (4 * 4 ** 2),
                               rtol=1e-10)
    np.testing.assert_allclose(data.noon, data.humphreys, rtol=1e-10)
    # Theorem 1: the separable counterpart, same mean photon number, is never worse
    assert np.all(data.separable <= data.noon * (1 + 1e-9))
    np.testing.assert_allclose(data.separable_photons, data.noon_photons, rtol=1e-9)
    known = np.isfinite(data.independent)
    np.testing.assert_array_equal(known, 4 % data.d == 0)
    np.testing.assert_allclose(data.independent[known], data.independent_closed[known],
                               rtol=1e-12)


def test_multiphase_refuses_huge_states():
    with pytest.raises(QSNError, match="amplitudes"):
        multiphase.compute(photons=12, ds=(7,))


def test_theorem1_counterparts_never_worse(small_data):
    data = small_data["theorem1"]
    assert data.mixed.any() and (~data.mixed).any()
    assert np.all(np.isfinite(data.probe_qcrb))
    assert np.all(data.separable_qcrb <= data.probe_qcrb * (1 + 1e-9))
    np.testing.assert_allclose(data.separable_resource, data.probe_resource, rtol=1e-9)


def test_theorem2_holevo_bound_of_the_ancilla_probe_is_not_worse(small_data):
    pytest.importorskip("cvxpy")
    data = small_data["theorem2"]
    assert data.probe_holevo.size == 1
    # the attainable bound lies between the QCRB and twice it, and does not increase
    assert data.ancilla_holevo[0] <= data.probe_holevo[0] * (1 + 1e-6)
    first_pure = int(np.flatnonzero(~data.mixed)[0])
    assert data.probe_qcrb[first_pure] * (1 - 1e-6) <= data.probe_holevo[0] \
        <= 2 * data.probe_qcrb[first_pure] * (1 + 1e-6)


def test_theorem2_ancillas_at_most_double_resources(small_data):
    data = small_data["theorem2"]
    assert np.all(data.ancilla_qcrb <= data.probe_qcrb * (1 + 1e-9))
    assert np.all(data.resource_ratio <= 2 * (1 + 1e-9))
    np.testing.assert_allclose(data.sensor_ratio, 1.0, rtol=1e-9)


def test_theorem1_rejects_non_commuting_network():
    with pytest.raises(QSNError, match="ancilla_counterpart"):
        theorem1.compute(count=1, network=theorem2.default_network())


def test_gain_map_minimum_at_centre_and_one_at_corners(small_data):
    data = small_data["gain-map"]
    np.testing.assert_allclose(data.p.sum(axis=1), 1.0)
    centre = np.all(np.isclose(data.p, 1 / 3), axis=1)
    assert centre.sum() == 1
    assert data.gain[centre][0] == pytest.approx(1 / 3, rel=1e-12)
    assert data.gain.min() == pytest.approx(1 / 3, rel=1e-12)
    corners = np.isclose(data.p.max(axis=1), 1.0)
    assert corners.sum() == 3
    np.testing.assert_allclose(data.gain[corners], 1.0, rtol=1e-12)
    assert data.gain.max() == pytest.approx(1.0)
    assert gain_map.gain([1, 1, 0]) == pytest.approx(0.5)


def test_network_labels_and_links(small_data):
    data = small_data["network"]
    assert data.labels[0] == "qubits n=4, φ1"
    assert data.params == ("φ1", "φ2", "φ3–φ5", "φ6")
    assert len(data.links) == 6 and set(data.link_kinds) == {"entangled"}
    assert len(network.compute(entangled=False).links) == 0
    doubled = network.compute(Network([QubitEnsemble(2), OpticalMode(2)]).with_ancillas())
    assert sorted(map(tuple, doubled.links.tolist())) == [(0, 1), (0, 2), (2, 3)]
    assert doubled.link_kinds.count("ancilla") == 2
    assert param_label([]) == "no parameter"


# -- plots and files --------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(FIGURES))
def test_plot_returns_fig_ax_and_saves(name, small_data, tmp_path):
    module = FIGURES[name]
    fig, ax = module.plot(small_data[name])
    assert isinstance(fig, Figure)
    axes = list(np.ravel(ax))
    assert axes and all(a.figure is fig for a in axes)
    assert any(a.get_title() for a in axes) or fig.get_suptitle()
    fig.savefig(tmp_path / f"{name}.png")
    assert (tmp_path / f"{name}.png").stat().st_size > 1000
    module.to_csv(small_data[name], tmp_path / f"{name}.csv")
    assert read_rows(tmp_path / f"{name}.csv")


def test_plot_draws_on_given_axes(small_data):
    fig, ax = new_axes()
    assert multiphase.plot(small_data["multiphase"], fig_ax=(fig, ax)) == (fig, ax)
    fig2, axes = new_axes(ncols=2)
    out_fig, out_axes = gradient.plot(small_data["gradient"], fig_ax=(fig2, axes))
    assert out_fig is fig2 and list(out_axes) == list(axes)
    with pytest.raises(QSNError, match="fig_ax"):
        gradient.plot(small_data["gradient"], fig_ax=(fig, ax))


def test_plot_leaves_global_rcparams_alone(small_data):
    import matplotlib
    before = dict(matplotlib.rcParams)
    theorem1.plot(small_data["theorem1"])
    assert dict(matplotlib.rcParams) == before


def test_draw_any_network():
    fig, ax = network.draw(Network([MultiLevelAtom(spin=1, axes="xyz")]))
    assert "atom j=1 (xyz), φ1–φ3" in [t.get_text() for t in ax.texts]


def test_write_csv_is_atomic_and_checks_lengths(tmp_path):
    path = tmp_path / "t.csv"
    write_csv(path, {"a": [1, 2], "b": [0.5, float("nan")]}, comments=["hello"])
    assert path.read_text().splitlines() == ["# hello", "# numbers to 8 significant digits",
                                             "a,b", "1,0.5", "2,nan"]
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask      # not a private temp file
    with pytest.raises(QSNError, match="equal lengths"):
        write_csv(path, {"a": [1], "b": [1, 2]})
    assert path.read_text().startswith("# hello")            # untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.csv"]   # no temporary left


def test_render_all_writes_png_and_csv(tmp_path):
    written = render_all(tmp_path / "out", only="gradient")
    assert [p.name for p in written] == ["gradient.png", "gradient.csv"]
    assert (tmp_path / "out" / "gradient.png").read_bytes()[:4] == b"\x89PNG"
    rows = read_rows(tmp_path / "out" / "gradient.csv")
    assert float(rows[0]["var_gradient_global"]) == pytest.approx(0.5)   # N = 2: 2/N^2
    assert rows[0]["qcrb_both_global"] == "inf"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["gradient.csv",
                                                                     "gradient.png"]


def test_render_all_rejects_unknown_names_before_writing(tmp_path):
    with pytest.raises(QSNError, match="figures are: network, theorem1"):
        render_all(tmp_path / "out", only=["gradient", "nope"])
    with pytest.raises(QSNError, match="format"):
        render_all(tmp_path / "out", only="gradient", fmt="jpg")
    assert not (tmp_path / "out").exists()


# -- sensor labels ---------------------------------------------------------------------------------
@pytest.mark.parametrize("sensor,label", [
    (QubitEnsemble(4), "qubits n=4"),
    (QubitEnsemble(3, basis="full", name="left"), "left: qubits n=3"),
    (OpticalMode(3), "optical mode N=3"),
    (OpticalMode(4, "kerr", photons=2), "Kerr mode N=2"),
    (OpticalMode(3, generator=None), "reference mode N=3"),
    (MultiLevelAtom(spin=1, axes="xyz"), "atom j=1 (xyz)"),
    (MultiLevelAtom(spin=0.5, atoms=3), "3 atoms j=0.5 (z)"),
    (MultiLevelAtom(levels=[-1, 0, 1]), "atom, 3 levels"),
    (Ancilla(QubitEnsemble(2)), "ancilla"),
], ids=lambda x: x if isinstance(x, str) else type(x).__name__)
def test_sensor_label_is_the_sensors_own(sensor, label):
    assert network.sensor_label(sensor) == label
    assert label.endswith(sensor.label)


def test_ancillas_know_their_sensor():
    doubled = Network([QubitEnsemble(2), OpticalMode(2)]).with_ancillas()
    real = [s for s in doubled.sensors if s.copies is None]
    assert [s.copies for s in doubled.sensors if s.copies is not None] == real


# -- the command line (in-process: run_qsn calls qsn_qutip.cli.main) ------------------------------
def test_cli_figures_only_gradient(tmp_path, run_qsn):
    result = run_qsn("figures", "--only", "gradient", "--out", tmp_path, "--format", "svg")
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gradient.csv", "gradient.svg"]
    assert result.stdout.split() == [str(tmp_path / "gradient.svg"),
                                     str(tmp_path / "gradient.csv")]


def test_cli_figures_unknown_name_is_one_line_exit_2(tmp_path, run_qsn):
    result = run_qsn("figures", "--only", "nope", "--out", tmp_path / "out")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert "nope" in lines[0] and "gradient" in lines[0] and "multiphase" in lines[0]
    assert not (tmp_path / "out").exists()
