"""Hypothesis strategies for the hypothesis sets of softmax regression (public API).

Use them in your own test suite to draw documents, weights and targets that
satisfy the catalogue's side conditions, or whole instances of any statement::

    import numpy as np
    from hypothesis import given
    from softproof.derivations.catalogue import get
    from softproof.strategies import documents, weights, instances

    @given(documents(n=7, d=4, R=4.0), weights(d=4, R=4.0))
    def test_softmax_is_a_probability_vector(A, x):
        z = A @ x
        f = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
        assert abs(f.sum() - 1) < 1e-12

    @given(instances(get("S1")))
    def test_my_bound(inst):
        A, x, y = inst["A"], inst["x"], inst["y"]
        ...

Every strategy is built from ``hypothesis.strategies`` and
``hypothesis.extra.numpy.arrays`` and mapped through a deterministic smooth
map, so failing examples shrink.  Sets are sampled as written in the
hypotheses (see :mod:`softproof.numeric.sampling`): spectral scaling for ``||A|| <= R``,
radial maps for balls, offsets for closeness conditions; radii are inset by
``1 - 2^-40`` so boundary draws also pass a rigorous re-check.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from softproof.derivations.statement import Statement
from softproof.numeric.float64 import spectral_norm
from softproof.numeric.sampling import INSET, Element, Sampler, instance_at, sampler_for

__all__ = [
    "documents",
    "weights",
    "close_pairs",
    "targets",
    "betas",
    "parameters",
    "instances",
]

_UNIT = st.floats(-1.0, 1.0, allow_nan=False, allow_infinity=False)
#: radius fractions in [0, 1]; shrinking goes to the boundary (often the worst case)
_FRACTION = st.one_of(st.just(1.0), st.floats(0.0, 1.0))


def _direction(shape: tuple[int, ...]) -> st.SearchStrategy[np.ndarray]:
    return arrays(np.float64, shape, elements=_UNIT)


def _scaled(z: np.ndarray, radius: float, ord: Any) -> np.ndarray:
    """``radius z / ||z||`` (a zero ``z`` becomes the first basis direction)."""
    m = float(np.abs(z).max()) if z.size else 0.0
    if not m > 0:
        z = np.zeros_like(z)
        z.flat[0] = 1.0
    else:
        z = z / m  # safe for subnormal entries
    return z * (radius / _norm(z, ord))


def _norm(z: np.ndarray, ord: Any) -> float:
    """``||z||_ord``; the spectral norm of a matrix without an SVD (a screening
    value, :func:`softproof.numeric.float64.spectral_norm`)."""
    if z.ndim == 2 and ord == 2:
        return float(spectral_norm(z[None])[0])
    return float(np.linalg.norm(z, ord))


def documents(n: int, d: int, R: float) -> st.SearchStrategy[np.ndarray]:
    """Documents ``A`` (``n x d``) with spectral norm ``||A|| <= R``.

    ``A = R (1 - 2^-40) s G / ||G||`` with ``s`` in [0, 1] (often 1: the boundary).

    Example::

        from hypothesis import given
        @given(documents(3, 2, 4.0))
        def test(A):
            assert np.linalg.norm(A, 2) <= 4.0
    """
    return st.builds(lambda s, G: _scaled(G, R * INSET * s, 2), _FRACTION, _direction((n, d)))


def weights(d: int, R: float, ord: Any = 2) -> st.SearchStrategy[np.ndarray]:
    """Weights ``x`` in the ball ``||x||_ord <= R`` (``ord`` 2 or ``np.inf``), boundary-heavy.

    Example::

        @given(weights(4, 4.0))
        def test(x):
            assert np.linalg.norm(x) <= 4.0
    """
    return st.builds(lambda s, z: _scaled(z, R * INSET * s, ord), _FRACTION, _direction((d,)))


def _relative_size(low: float = -8.0, high: float = 0.0) -> st.SearchStrategy[float]:
    """``10**e`` for ``e`` in [low, high]: relative sizes from tiny to comparable."""
    return st.floats(low, high).map(lambda e: 10.0**e)


def close_pairs(
    n: int, d: int, R: float, r: float = 0.01, *, vary: str = "x"
) -> st.SearchStrategy[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Close pairs under the 0.01 closeness conditions of the P and Q chains.

    ``vary="x"``: ``(A, x, y)`` with ``||A||, ||x||, ||y|| <= R`` and
    ``||A (x - y)||_inf < r`` (``y = x + delta``, ``delta`` of relative size 1e-8..1).
    ``vary="A"``: ``(A, At, x)`` with ``||A||, ||At||, ||x|| <= R`` and
    ``||(A - At) x||_inf < r``.

    Example::

        @given(close_pairs(7, 4, 4.0))
        def test(pair):
            A, x, y = pair
            assert np.abs(A @ (x - y)).max() < 0.01
    """
    if vary not in ("x", "A"):
        raise ValueError("vary is 'x' or 'A'")

    def build_x(A, x, rel, e):
        delta = _scaled(e, rel * max(float(np.linalg.norm(x)), 1e-300), 2)
        y = _shrink_into(x, delta, lambda dl: np.abs(A @ dl).max(), r, R, 2)
        return A, x, y

    def build_A(A, x, rel, E):
        D = _scaled(E, rel * max(_norm(A, 2), 1e-300), "fro")
        At = _shrink_into(A, D, lambda Dl: np.abs(Dl @ x).max(), r, R, 2)
        return A, At, x

    if vary == "x":
        return st.builds(
            build_x, documents(n, d, R), weights(d, R), _relative_size(), _direction((d,))
        )
    return st.builds(
        build_A, documents(n, d, R), weights(d, R), _relative_size(), _direction((n, d))
    )


def _shrink_into(base, delta, gap, r, R, ord):
    """``base + delta`` with ``delta`` scaled so ``gap(delta) < r`` and the norm stays <= R."""
    g = float(gap(delta))
    if g >= r * INSET:
        delta = delta * (r * INSET / g) * (1 - 1e-12)
    out = base + delta
    for _ in range(60):
        if _norm(out, ord) <= R * INSET:
            return out
        delta = delta * 0.5
        out = base + delta
    return base.copy()


def targets(n: int, *, simplex: bool = False, bound: float = 1.0) -> st.SearchStrategy[np.ndarray]:
    """Targets ``b``: probability vectors (``simplex=True``) or ``||b||_2 <= bound``.

    Example::

        @given(targets(7, simplex=True))
        def test(b):
            assert abs(b.sum() - 1) < 1e-12
    """
    if simplex:
        pos = arrays(np.float64, (n,), elements=st.floats(0.0, 1.0))
        return pos.map(lambda w: w / w.sum() if w.sum() > 0 else np.full(n, 1.0 / n))
    return weights(n, bound)


def betas(R: float) -> st.SearchStrategy[float]:
    """Valid lower bounds ``beta`` of ``alpha(x)`` when ``||A||, ||x||_2 <= R``:
    ``0 < beta <= e^{-R^2}`` (E3), ``e^{-R^2}`` itself first.

    Example::

        @given(betas(4.0))
        def test(beta):
            assert 0 < beta <= math.exp(-16)
    """
    top = math.exp(-(R**2))
    return st.one_of(st.just(top), st.floats(1e-200, 1.0).map(lambda u: top * u))


def _latents(sampler: Sampler) -> st.SearchStrategy[np.ndarray]:
    """The flat latent vector of ``sampler`` (offset sizes as log10 relative sizes)."""
    parts: list[st.SearchStrategy] = [
        st.floats(*sampler.params[name]) for name in sampler.param_ranges
    ]
    for el in sampler.elements:
        parts.append(_scalar_latent(el))
        if el.k:
            parts.append(_direction((el.k,)))
    return st.tuples(*parts).map(
        lambda xs: np.concatenate([np.atleast_1d(np.asarray(v, dtype=float)) for v in xs])
    )


def _scalar_latent(el: Element) -> st.SearchStrategy[float]:
    if el.kind in ("spectral", "ball", "centred"):
        return _FRACTION
    if el.var == "t":
        # |s| below 1e-9 is snapped to 0: ulp-sized t only yields float64 artefacts
        if el.lo or el.hi:
            frac = st.one_of(st.sampled_from([1.0, -1.0]), st.floats(-1.0, 1.0))
        else:
            frac = st.floats(-30.0, 30.0)
        return frac.map(lambda v: 0.0 if abs(v) < 1e-9 else v)
    if el.kind == "offset":
        return st.floats(-8.0, 0.3)  # log10 of the size relative to the base
    lo, hi = Sampler.FREE_LOG10["matrix" if el.is_matrix else "vector"]
    return st.floats(lo, hi).map(lambda e: 10.0**e)


def instance_latents(
    statement: Statement, sizes: Mapping[str, int] | None = None
) -> st.SearchStrategy[np.ndarray]:
    """Latent vectors (see :class:`softproof.numeric.sampling.Sampler`) of points of the set,
    repaired onto it; ``sampler_for(statement, sizes).decode`` maps them to instances."""
    sampler = sampler_for(statement, sizes)

    def repaired(z: np.ndarray) -> np.ndarray | None:
        Z, ok = sampler.repair(sampler.from_relative_offsets(z[None, :]))
        return Z[0] if ok[0] else None

    return _latents(sampler).map(repaired).filter(lambda z: z is not None)


def instances(
    statement: Statement, sizes: Mapping[str, int] | None = None
) -> st.SearchStrategy[dict[str, Any]]:
    """Instances satisfying every hypothesis of ``statement`` (float64 screen).

    An instance maps ``'A'``/``'At'`` to ``(n, d)`` arrays, ``'x'``/``'y'`` to
    ``(d,)``, ``'b'`` to ``(n,)``, ``'t'`` and parameters to floats.  The set is
    read from the hypotheses as written (recognised norm balls, offsets for
    closeness conditions, rejection with repair for the rest).

    Example::

        from softproof.derivations.catalogue import get
        @given(instances(get("P1")))
        def test(inst):
            assert np.linalg.norm(inst["A"], 2) <= inst["R"]
    """
    sampler = sampler_for(statement, sizes)
    return instance_latents(statement, sizes).map(
        lambda z: instance_at(sampler.decode(z[None, :]), 0)
    )


def parameters(statement: Statement) -> st.SearchStrategy[dict[str, float]]:
    """Values of a statement's parameters: fixed ones, ranges drawn uniformly
    (endpoints first), expressions such as ``beta = exp(-R**2)`` evaluated.

    Example::

        @given(parameters(get("T3")))
        def test(p):
            assert 0.001 <= p["eta"] <= 1
    """
    sampler = sampler_for(statement)
    parts = [
        st.one_of(st.sampled_from(list(sampler.params[k])), st.floats(*sampler.params[k]))
        for k in sampler.param_ranges
    ]

    def build(vals: tuple[float, ...]) -> dict[str, float]:
        Z = np.zeros((1, sampler.K))
        Z[0, : len(vals)] = vals
        env = sampler.params_env(Z)
        return {k: float(np.asarray(v).ravel()[0]) for k, v in env.items()}

    return st.tuples(*parts).map(build)
