"""Notebook-first results: every result class shows a compact HTML table in Jupyter
(``_repr_html_``) — never a dump of arrays or of thousands of estimates — and
``Comparison.plot()`` / ``SweepResult.plot()`` return ``(fig, ax)``; the conversions of the
noise states are all called ``to_qobj`` (older names kept)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from matplotlib.figure import Figure

from qsn_qutip import (Network, NoiseModel, QubitEnsemble, apply_noise, compare, simulate,
                       simulate_task, states)
from qsn_qutip.measurement import local_readout
from qsn_qutip.noise import DickeBlockState, NoisyProduct, local_dephasing
from qsn_qutip.sweep import SweepResult, sweep

GRADIENT = np.array([-1.0, 1.0]) / np.sqrt(2)


@pytest.fixture(scope="module")
def network():
    return Network([QubitEnsemble(2, name="left"), QubitEnsemble(2, name="right")])


def _compact(html: str, limit: int = 6000) -> str:
    assert html.startswith("<div>") and "<table>" in html and html.endswith("</div>")
    assert len(html) < limit, len(html)
    assert "array(" not in html and "[[" not in html
    return html


def test_comparison_table_and_plot(network):
    result = compare(network, v=GRADIENT)
    html = _compact(result._repr_html_())
    for probe in result.probes:
        assert probe.name in html
    assert "verdict:" in html and "why:" in html and "/ best sep." in html
    fig, ax = result.plot(title="gradient")
    assert isinstance(fig, Figure) and ax.get_title() == "gradient"
    fig, ax = result.plot(style="paper")
    assert fig.get_size_inches()[0] == pytest.approx(3.4)


def test_noisy_comparison_shows_and_sweeps_t_star(network):
    result = compare(network, v=GRADIENT, noise=NoiseModel(dephasing=0.1, time=1.0),
                     probes=["ghz", "local-ghz", "product"])
    html = _compact(result._repr_html_())
    assert "<th>t*</th>" in html and "<th>Var*T</th>" in html
    row = result.sweep_row()
    for name in ("ghz", "local-ghz", "product"):
        assert row[f"{name}:t*"] == pytest.approx(result[name].optimal_time)
        assert row[f"{name}:Var*T"] == pytest.approx(result[name].omega_bound)
    assert not any(":" in key for key in compare(network, v=GRADIENT).sweep_row())


def test_network_table(network):
    html = _compact(network._repr_html_())
    assert html.count("<tr>") == 1 + 2 and "left" in html and "φ2" in html
    assert "d = 2 parameters" in html


def test_simulations_are_summaries_not_estimates(network):
    task = simulate_task(network, "local-ghz", v=GRADIENT, repeats=20, trials=2000, seed=1)
    html = _compact(task._repr_html_())
    assert "QCRB" in html and "CRB of the measurement" in html and "T = 2000" in html
    sim = simulate(states.local_ghz(network), network.local_generators,
                   local_readout(network), np.full(2, np.pi / 4), repeats=10, trials=2000,
                   seed=2)
    html = _compact(sim._repr_html_())
    assert html.count("<tr>") == 1 + 2 and "Var / QCRB" in html
    text = repr(sim)
    assert len(text) < 200 and "trials=2000" in text and "estimates" not in text


def test_sweep_table_and_plot():
    result = sweep(lambda n: {"bound": 1.0 / n ** 2, "notes": "x" * 200},
                   {"n": list(range(1, 31))}, backend="serial", progress_bar=False)
    html = _compact(result._repr_html_())
    assert "10 more rows" in html and "x" * 61 not in html
    fig, ax = result.plot(["bound"], quantity="Var(θ)", repeats=1)
    assert isinstance(fig, Figure) and "Var(θ)" in ax.get_ylabel()
    assert isinstance(result, SweepResult)


def test_noise_states_display_and_convert():
    ens = QubitEnsemble(3)
    rho = local_dephasing(ens.local_ghz(), ens, 0.2)
    assert isinstance(rho, DickeBlockState)
    html = _compact(rho._repr_html_())
    assert "weight" in html and "truncation error" in html
    assert rho.to_qobj() == rho.to_full()
    assert rho.to_qobj("dicke") == rho.to_dicke_dm()
    with pytest.raises(ValueError, match="basis"):
        rho.to_qobj("fock")
    net = Network([QubitEnsemble(2), QubitEnsemble(2)])
    noisy = apply_noise(states.product(net), net, NoiseModel(dephasing=0.1, time=1.0))
    if isinstance(noisy, NoisyProduct):
        html = _compact(noisy._repr_html_())
        assert "sensor 1" in html or "sensor" in html
        assert noisy.to_qobj().dims == [[3, 3], [3, 3]] or noisy.to_qobj().isoper


def test_report_and_sweep_do_not_load_the_figures():
    """``plot()`` finds its figure module when called: importing the layers below the figures
    does not load them."""
    code = ("import sys, qsn_qutip.report, qsn_qutip.sweep, qsn_qutip.experiment; "
            "print(any(m.startswith('qsn_qutip.figures') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"
