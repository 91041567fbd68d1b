"""Profile search beyond log OR 10: no constrained fit made twice, same bound bit for bit.

The design is case 56 of the h46 review's simulated designs (/tmp/h46/review/gen.py, rng 46),
its columns rounded to 4 decimals. The stored bound was computed once with
``_profile_bound`` on this design (HEAD 138a417 and the h47 change give the same float):

    PYTHONPATH=src python -c "import tests.test_profile_speed47 as t; print(repr(t._high()[0]))"
"""

from __future__ import annotations

import numpy as np
import pytest

import omics.tl._response as response

_Y = np.array([0.0, 1.0, 1.0, 1.0, 0.0, 1.0, 0.0, 0.0, 1.0, 1.0])
_Z = np.array([-1.4547, 0.0392, -0.0693, 0.5927, -0.7362, 1.5752, -1.6522, -0.0026, 0.4573, 1.2506])
_AGE = np.array([0.7492, 0.7485, 0.7353, 0.7305, -0.0716, -1.1966, -0.0647, 2.4428, -0.4977, -0.4013])
_X = np.column_stack([np.ones(10), _Z, _AGE])
_HIGH = 14.461839813103145  # the upper profile bound of the log OR of _Z (Firth)
# constrained fits of that bound: 4 of the root search (at 5.1, at the limit 10, 14.39 and
# the bound) and the 25 of the confirming path; HEAD refitted the search's fit at the bound
# once more (30)
_FITS = 29


def _high() -> tuple[float, float, float]:
    """The upper bound, the full fit's coefficient and the profile scale, as in ``_compare``."""
    beta, top, grad = response._fitted(_Y, _X, firth=True)
    assert response._converged(grad)
    w = response.expit(_X @ beta) * response.expit(-(_X @ beta))
    cov = np.linalg.pinv((_X * w[:, None]).T @ _X)
    scale = float(np.sqrt(max(cov[1, 1], 1e-4)))
    return response._profile_bound(_Y, _X, 1, beta, top, True, 1.0, scale), float(beta[1]), scale


def test_far_bound_refits_nothing_the_search_made(monkeypatch) -> None:
    """The confirming step takes the search's own fit at the bound instead of refitting it."""
    calls = []
    fitted = response._fitted

    def counting(*args, **options):
        calls.append(options.get("value"))
        return fitted(*args, **options)

    monkeypatch.setattr(response, "_fitted", counting)
    bound = _high()[0]
    assert bound > response._PROFILE_LIMIT  # a far bound, confirmed by the path
    profile = calls[1:]  # calls[0] is the full fit
    assert len(profile) <= _FITS, f"{len(profile)} constrained fits for one far bound"
    assert profile.count(bound) == 2  # the search's and the path's last fit, no third


def test_far_bound_unchanged() -> None:
    """Control (passes on HEAD too): the bound is the stored float (bit for bit on the Intel
    machine that stored it; an AMD EPYC gives it 2 ulps apart, so within 1e-12 relative)."""
    assert _high()[0] == pytest.approx(_HIGH, rel=1e-12, abs=0)
    assert response._compare(_Y, _X, 1, method="firth").high == pytest.approx(_HIGH, rel=1e-12, abs=0)


def test_search_fit_reused_only_at_newton_tolerance(monkeypatch) -> None:
    """A search fit whose free gradient is not below _newton's tolerance is fitted again."""
    fit = np.array([0.1, 12.0, -0.3])
    refit = (fit + 1.0, -3.0, np.zeros(3))
    monkeypatch.setattr(response, "_fitted", lambda *a, **o: refit)
    warm = {0.5: np.zeros(3), 12.0: fit}
    close = (fit, -2.0, np.array([5e-8, 7.0, -5e-8]))
    got = response._refitted(_Y, _X, 1, 12.0, True, warm, {12.0: close})
    assert got[1] == -2.0 and got[0] is not fit and np.array_equal(got[0], fit)
    loose = (fit, -2.0, np.array([2e-7, 7.0, 0.0]))  # converged (1e-4) but above 1e-7
    assert response._refitted(_Y, _X, 1, 12.0, True, warm, {12.0: loose}) is refit
    other = {12.0: (fit.copy(), -2.0, close[2])}  # not the warm start the search would take
    assert response._refitted(_Y, _X, 1, 12.0, True, warm, other) is refit
