"""Persona homogenisation and interest drift: how distinct and how stable the simulated users are.
Layer: evaluate (pure, numpy only).

Both split each user's sampled events into contiguous windows (:func:`bias_rows.chunks`) and compare
the windows within a user and between users. The formulas are in :mod:`workbench.evaluate.biases`,
(c) and (d).
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass
from itertools import combinations
from typing import Any, Mapping, Sequence

import numpy as np

from workbench.evaluate.bias_rows import (
    REAL, JsonMixin, binary_label, chunks, events_by_user, finite_float, models_in, ok_rows, truth_by_question,
)

__all__ = ["SourceDistances", "Homogenisation", "homogenisation", "pairwise_rms", "event_interests",
           "InterestDrift", "interest_drift"]

_WATCH_FIELDS = ("video_watch_seconds", "live_watch_seconds", "ad_watch_seconds")
_ONE_HOUR = math.log1p(3600.0)


# -- (c) persona homogenisation ---------------------------------------------------------------------

@dataclass
class SourceDistances(JsonMixin):
    """One source's distances between users' windows: intra-user (per user), inter-user (per pair of
    windows of different users), their means and ratio (intra / inter)."""

    source: str
    intra: list[float]                # one per user (mean over that user's window pairs)
    inter: list[float]                # one per pair of windows of different users
    mean_intra: float | None
    mean_inter: float | None
    ratio: float | None


@dataclass
class Homogenisation(JsonMixin):
    """Persona homogenisation: per source the intra/inter-user distances and their ratio, the vector
    dimensions and the vectors themselves (module docstring, (c))."""

    sources: dict[str, SourceDistances]
    dimensions: list[str]
    vectors: dict[str, dict[str, list[list[float | None]]]]   # source -> user -> window vectors
    n_windows: int


def _vector(event_rows: list[list[tuple[str, str, float, str]]], dims: list[str]) -> list[float]:
    """event_rows: per event, (field, kind, value, scenario) tuples for one source."""
    rates: dict[str, list[float]] = defaultdict(list)
    watch: list[float] = []
    scen: dict[str, int] = defaultdict(int)
    for ev in event_rows:
        if ev:
            scen[ev[0][3]] += 1
        for f, kind, v, _ in ev:
            if kind == "binary":
                rates[f].append(v)
            elif kind == "continuous" and f in _WATCH_FIELDS:
                watch.append(math.log1p(max(v, 0.0)) / _ONE_HOUR)
    n_ev = sum(scen.values())
    q = np.quantile(watch, [0.25, 0.5, 0.75]).tolist() if watch else [math.nan] * 3
    out = []
    for d in dims:
        kind, _, name = d.partition(":")
        if kind == "rate":
            out.append(float(np.mean(rates[name])) if rates.get(name) else math.nan)
        elif kind == "watch":
            out.append(q[("q25", "q50", "q75").index(name)])
        else:
            out.append(scen.get(name, 0) / n_ev if n_ev else math.nan)
    return out


def pairwise_rms(vectors: np.ndarray) -> np.ndarray:
    """RMS distance over shared finite components for every pair of rows (NaN when none shared)."""
    finite = np.isfinite(vectors)
    v = np.where(finite, vectors, 0.0)
    out = np.full((len(v), len(v)), np.nan)
    for i in range(len(v)):      # one row at a time keeps memory at N x D
        m = finite[i] & finite
        n = m.sum(axis=1)
        sq = np.where(m, (v[i] - v) ** 2, 0.0).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[i] = np.where(n > 0, np.sqrt(sq / np.maximum(n, 1)), np.nan)
    return out


def _distances(source: str, vecs: dict[str, list[list[float]]]) -> SourceDistances:
    owners = [u for u, ws in vecs.items() for _ in ws]
    flat = [w for ws in vecs.values() for w in ws]
    intra: list[float] = []
    inter: list[float] = []
    if flat:
        d = pairwise_rms(np.asarray(flat, dtype=float))
        codes = {u: k for k, u in enumerate(vecs)}
        own = np.asarray([codes[u] for u in owners])
        idx_by_user: dict[str, list[int]] = defaultdict(list)
        for k, u in enumerate(owners):
            idx_by_user[u].append(k)
        for idx in idx_by_user.values():
            ds = [d[a, b] for a, b in combinations(idx, 2) if np.isfinite(d[a, b])]
            if ds:
                intra.append(float(np.mean(ds)))
        iu, ju = np.triu_indices(len(flat), k=1)
        pick = own[iu] != own[ju]
        vals = d[iu[pick], ju[pick]]
        inter = [float(x) for x in vals if np.isfinite(x)]
    mi = float(np.mean(intra)) if intra else None
    me = float(np.mean(inter)) if inter else None
    if mi is None or me is None:
        ratio = None
    elif me == 0:
        ratio = 1.0
    else:
        ratio = mi / me
    return SourceDistances(source, intra, inter, mi, me, ratio)


def homogenisation(rows: Sequence[Mapping[str, Any]], n_windows: int = 2,
                   blocks: Sequence[str] = ("actions", "watch", "scenarios")) -> Homogenisation:
    """Persona homogenisation over ``n_windows`` chunks per user, with the vector ``blocks`` chosen
    (module docstring, (c))."""
    ok = ok_rows(rows)
    truth = truth_by_question(rows)
    binary_fields = sorted({str(r["field"]) for r in rows if r.get("kind") == "binary"})
    scenarios = sorted({str(r.get("scenario", "")) for r in rows})
    dims: list[str] = []
    if "actions" in blocks:
        dims += [f"rate:{f}" for f in binary_fields]
    if "watch" in blocks:
        dims += ["watch:q25", "watch:q50", "watch:q75"]
    if "scenarios" in blocks:
        dims += [f"scenario:{s}" for s in scenarios]
    events = events_by_user(rows)
    # source -> (user, event) -> list of (field, kind, value, scenario)
    values: dict[str, dict[tuple[str, int], list]] = defaultdict(lambda: defaultdict(list))
    for (u, e, f), r in truth.items():
        v = finite_float(r.get("true_value"))
        if v is not None and r.get("kind") in ("binary", "continuous"):
            values[REAL][(u, e)].append((f, r["kind"], v, str(r.get("scenario", ""))))
    for r in ok:
        if r.get("kind") == "binary":
            lab = binary_label(r)
            v = None if lab is None else float(lab)
        elif r.get("kind") == "continuous":
            v = finite_float(r.get("predicted_value"))
        else:
            continue
        if v is not None:
            values[str(r["model"])][(str(r["user_id"]), int(r["event_index"]))].append(
                (str(r["field"]), r["kind"], v, str(r.get("scenario", ""))))
    sources: dict[str, SourceDistances] = {}
    vectors: dict[str, dict[str, list[list[float | None]]]] = {}
    for source in [REAL, *models_in(ok)]:
        per_user: dict[str, list[list[float]]] = {}
        for u, evs in events.items():
            ws = [_vector([values[source].get((u, e), []) for e in chunk], dims)
                  for chunk in chunks(evs, n_windows)]
            per_user[u] = ws
        sources[source] = _distances(source, per_user)
        vectors[source] = {u: [[None if math.isnan(x) else x for x in w] for w in ws]
                           for u, ws in per_user.items()}
    return Homogenisation(sources, dims, vectors, n_windows)


# -- (d) interest drift -----------------------------------------------------------------------------

_HASHTAG = re.compile(r"#([^\s#]+)")
_CATEGORY_KEYS = ("category_level1_name", "category_level2_name", "category_level3_name",
                  "live_category", "industry_main", "industry_sub", "ticket_category",
                  "product_category_info", "query_category")


def event_interests(event: Mapping[str, Any]) -> set[str]:
    """Categories and keywords of one raw event (search keyword, caption #hashtags)."""
    out: set[str] = set()
    raw_ctx = event.get("context")
    ctx: Mapping[str, Any] = raw_ctx if isinstance(raw_ctx, Mapping) else {}
    for k in _CATEGORY_KEYS:
        v = ctx.get(k)
        if isinstance(v, str) and v.strip():
            out.add(f"cat:{v.strip()}")
    caption = ctx.get("caption")
    if isinstance(caption, str):
        out.update(f"kw:{t.lower()}" for t in _HASHTAG.findall(caption))
    for a in event.get("action", []) if isinstance(event.get("action"), list) else []:
        if isinstance(a, Mapping) and a.get("type") == "search":
            kw = a.get("keyword")
            if isinstance(kw, str) and kw.strip():
                out.add(f"kw:{kw.strip().lower()}")
            qc = a.get("query_category")
            if isinstance(qc, str) and qc.strip():
                out.add(f"cat:{qc.strip()}")
    kw = ctx.get("keyword")
    if isinstance(kw, str) and kw.strip():
        out.add(f"kw:{kw.strip().lower()}")
    return out


@dataclass
class InterestDrift(JsonMixin):
    """Interest drift: per source and user the mean drift (0-1) between consecutive chunks, and the mean
    over users (module docstring, (d))."""

    per_user: dict[str, dict[str, float]]     # source -> user -> mean drift
    mean: dict[str, float | None]             # source -> mean over users
    n_windows: int


def _jaccard_distance(a: set[str], b: set[str]) -> float:
    if not a and not b:
        return 0.0
    return 1.0 - len(a & b) / len(a | b)


def interest_drift(rows: Sequence[Mapping[str, Any]],
                   events: Mapping[tuple[str, int], Mapping[str, Any]],
                   n_windows: int = 2) -> InterestDrift:
    """``events``: (user_id, event_index) -> raw event, for the sampled events."""
    ok = ok_rows(rows)
    truth = truth_by_question(rows)
    engaged: dict[str, dict[tuple[str, int], set[str]]] = defaultdict(lambda: defaultdict(set))
    for (u, e, f), r in truth.items():
        positive = r.get("kind") == "binary" and finite_float(r.get("true_value")) == 1.0
        if positive or f == "search_keyword":
            engaged[REAL][(u, e)] |= event_interests(events.get((u, e), {}))
    for r in ok:
        key = (str(r["user_id"]), int(r["event_index"]))
        ev = events.get(key, {})
        m = str(r["model"])
        if r.get("kind") == "binary" and binary_label(r) == 1:
            engaged[m][key] |= event_interests(ev)
        elif r.get("field") == "search_keyword":
            engaged[m][key] |= {x for x in event_interests(ev) if x.startswith("cat:")}
            kw = str(r.get("predicted_value") or "").strip().lower()
            if kw:
                engaged[m][key].add(f"kw:{kw}")
    by_user = events_by_user(rows)
    per_user: dict[str, dict[str, float]] = {}
    mean: dict[str, float | None] = {}
    for source in [REAL, *models_in(ok)]:
        pu: dict[str, float] = {}
        for u, evs in by_user.items():
            sets = []
            for chunk in chunks(evs, n_windows):
                s: set[str] = set()
                for e in chunk:
                    s |= engaged[source].get((u, e), set())
                sets.append(s)
            if len(sets) >= 2:
                pu[u] = float(np.mean([_jaccard_distance(a, b) for a, b in zip(sets, sets[1:])]))
        per_user[source] = pu
        mean[source] = float(np.mean(list(pu.values()))) if pu else None
    return InterestDrift(per_user, mean, n_windows)


# -- (e) long-tail loss -----------------------------------------------------------------------------
