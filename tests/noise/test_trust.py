"""Issue 10 in the noise layer: every number is right or refused.

* the noise path checks a probe as the noiseless QFIM does (an unnormalised ket gave a 9x QFIM
  through ``compare(..., noise=...)``);
* memory is estimated before a dense density matrix or a table of Dicke blocks is allocated,
  and a job above ``tolerances.max_bytes`` is refused with the size it would need.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import qutip

from qsn_qutip import Network, OpticalMode, QSNError, QubitEnsemble, compare, states, tolerances
from qsn_qutip.noise import (NoiseModel, apply_noise, collective_dephasing, local_dephasing,
                             photon_loss)

NET = Network([QubitEnsemble(3), QubitEnsemble(3)])
NOISE = NoiseModel(dephasing=0.1, time=1.0)


def test_compare_refuses_an_unnormalised_probe_under_noise():
    """Before: the bound of 3 x GHZ was 9 times too small (0.041, below the limit 0.111)."""
    psi = 3 * states.ghz_like(NET, [-1, 1])
    with pytest.raises(QSNError, match=r"state must be normalised: <psi\|psi> is 9"):
        compare(NET, v=[-1, 1], probes=[("mine", psi)], noise=NOISE)
    with pytest.raises(QSNError, match="state must be normalised"):
        compare(NET, v=[-1, 1], probes=[("mine", psi)])              # as without noise


@pytest.mark.parametrize("route", ["blocks", "product", "dense", "loss", "collective"])
def test_every_route_checks_the_probe(route):
    ens, full = QubitEnsemble(4), QubitEnsemble(3, basis="full")
    modes = Network([OpticalMode(2), OpticalMode(2)])
    call = {
        "blocks": lambda k: local_dephasing(k * ens.local_ghz(), ens, 0.1),
        "product": lambda k: apply_noise(k * states.product(NET), NET, NOISE),
        "dense": lambda k: local_dephasing(k * full.local_ghz(), full, 0.1),
        "loss": lambda k: photon_loss(k * states.noon(modes, 2), modes, 0.9),
        "collective": lambda k: collective_dephasing(k * ens.local_ghz(), ens, 0.1),
    }[route]
    call(1.0)                                                          # normalised: fine
    with pytest.raises(QSNError, match="state must be normalised"):
        call(3.0)


@pytest.mark.parametrize("make, match", [
    (lambda rho: 2 * rho, "the trace of rho is 2"),
    (lambda rho: rho + qutip.Qobj(np.triu(np.ones((5, 5)), 1) * 0.1, dims=rho.dims),
     "state must be Hermitian"),
    (lambda rho: qutip.Qobj(np.where(np.eye(5) > 0, np.nan, 0.0), dims=rho.dims),
     "state contains NaN or inf"),
])
def test_density_matrices_are_checked(make, match):
    ens = QubitEnsemble(4)
    rho = ens.local_ghz().proj()
    with pytest.raises(QSNError, match=match):
        local_dephasing(make(rho), ens, 0.1)


def test_a_nan_ket_is_refused():
    ens = QubitEnsemble(4)
    psi = qutip.Qobj(np.full(5, np.nan), dims=[[5], [1]])
    with pytest.raises(QSNError, match="NaN or inf"):
        local_dephasing(psi, ens, 0.1)


def test_a_huge_dense_density_matrix_is_refused_before_allocation():
    """Loss on two modes of 400 levels: the density matrix would need 381 GiB."""
    modes = Network([OpticalMode(399), OpticalMode(399)])
    with pytest.raises(QSNError, match=r"dense density matrix of dimension D = 160000 would "
                                       r"need 381\.5 GiB, above the limit"):
        photon_loss(states.noon(modes, 2), modes, 0.9)


def test_huge_dicke_blocks_are_refused_as_they_are_planned():
    N = 1500
    ens = QubitEnsemble(N)
    css = ens.spin_coherent(math.pi / 2, 0.0)
    with tolerances(max_bytes=2 ** 20):
        with pytest.raises(QSNError, match=r"local dephasing: the kept Dicke blocks .* would "
                                           r"need 1\.\d MiB, above the limit"):
            local_dephasing(css, ens, 0.05)
    assert local_dephasing(QubitEnsemble(40).product_state(), QubitEnsemble(40), 0.05).qfi() \
        == pytest.approx(40 * math.exp(-0.1), rel=1e-10)
