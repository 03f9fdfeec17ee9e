"""Paired metrics under bootstrap weights, for comparing two runs. Layer: evaluate (pure, numpy).

:mod:`workbench.evaluate.compare` pairs two sides' answers question by question into
:class:`PairedArrays`; here every metric is computed for one side under a matrix of replicate
weights (replicates x questions; one row of ones gives the observed value), so that one draw of
questions (or users) applies to both sides. Also McNemar's exact test and the homogenisation
ratio resampled by user. The metrics and their formulas are described in the compare module's
docstring.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from workbench.evaluate import metrics as M

__all__ = ["JUDGE_FIELD", "PairedArrays", "tone_columns", "metric_values", "metric_group", "metric_support",
           "replicate_weights", "mcnemar_exact", "homogenisation_parts", "homogenisation_ratio"]

JUDGE_FIELD = "next_user_message"
_TONE = ("politeness", "hedging", "complaint")


@dataclass
class PairedArrays:
    """Column arrays over the paired questions, one entry per question."""

    users: np.ndarray                        # user code per question
    field: np.ndarray                        # field name per question (object)
    kind: np.ndarray
    truth: np.ndarray                        # float (binary 0/1, durations seconds), NaN for text
    lab: dict[str, np.ndarray]               # side -> Yes/No label (0/1, -1 when not binary)
    err: dict[str, np.ndarray]               # side -> normalised duration error, NaN when none
    judge: dict[str, np.ndarray]             # side -> judge average, NaN when not judged
    tone: dict[str, dict[str, np.ndarray]]   # side -> tone metric -> per question (NaN if no text)


def tone_columns(rows: Sequence[Mapping[str, Any]], kinds: np.ndarray, fields: np.ndarray
                 ) -> dict[str, np.ndarray]:
    """Per question, the tone of a simulated customer turn: ``share_<marker>`` (1.0 when the turn
    has a politeness / hedging / complaint marker, else 0.0) and ``sentiment`` (-1..1); NaN for
    questions that are not dialogue turns."""
    from workbench.evaluate.biases import analyze_message

    n = len(rows)
    out = {f"share_{c}": np.full(n, np.nan) for c in _TONE}
    out["sentiment"] = np.full(n, np.nan)
    for i, r in enumerate(rows):
        if fields[i] != JUDGE_FIELD:
            continue
        a = analyze_message(str(r.get("predicted_value") or ""))
        for c in _TONE:
            out[f"share_{c}"][i] = 1.0 if a.counts[c] > 0 else 0.0
        out["sentiment"][i] = a.sentiment
    return out



def _wmean(w: np.ndarray, x: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Weighted mean of ``x`` over ``mask`` for every replicate row of ``w`` (NaN where no weight)."""
    wm = w[:, mask]
    tot = wm.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(tot > 0, wm @ x[mask] / np.where(tot > 0, tot, 1), np.nan)


def metric_values(w: np.ndarray, ar: PairedArrays, side: str, rare: set[str]) -> dict[str, np.ndarray]:
    """Every metric for one side under replicate weights ``w`` (replicates x questions)."""
    out: dict[str, np.ndarray] = {}
    reps = w.shape[0]
    lab = ar.lab[side]
    binary = ar.kind == "binary"
    f1s: dict[str, np.ndarray] = {}
    gaps: dict[str, np.ndarray] = {}
    for f in sorted(set(ar.field[binary])):
        m = binary & (ar.field == f)
        t = ar.truth[m] == 1
        p = lab[m] == 1
        wm = w[:, m]
        tp = wm @ (t & p).astype(float)
        fp = wm @ (~t & p).astype(float)
        fn = wm @ (t & ~p).astype(float)
        tot = wm.sum(axis=1)
        den = 2 * tp + fp + fn
        with np.errstate(invalid="ignore", divide="ignore"):
            f1 = np.where(den > 0, 2 * tp / np.where(den > 0, den, 1), 0.0)
            f1 = np.where(tot > 0, f1, np.nan)
            gap = np.where(tot > 0, (wm @ p.astype(float) - wm @ t.astype(float)) /
                           np.where(tot > 0, tot, 1), np.nan)
        f1s[f] = f1 * 100
        gaps[f] = gap * 100
        out[f"F1 {f}"] = f1s[f]
        out[f"Yes-rate gap {f}"] = gaps[f]
    with np.errstate(invalid="ignore"):
        stack = np.vstack(list(f1s.values())) if f1s else np.full((1, reps), np.nan)
        present = np.isfinite(stack)
        cnt = present.sum(axis=0)
        out["Macro F1"] = np.where(cnt > 0, np.where(present, stack, 0).sum(axis=0) / np.maximum(cnt, 1),
                                   np.nan)
        gstack = np.vstack(list(gaps.values())) if gaps else np.full((1, reps), np.nan)
        gp = np.isfinite(gstack)
        gc = gp.sum(axis=0)
        out["Hyper-activity (mean Yes-rate gap)"] = np.where(
            gc > 0, np.where(gp, gstack, 0).sum(axis=0) / np.maximum(gc, 1), np.nan)
    comps: dict[str, np.ndarray] = {}
    for comp, fields in M.FINAL_SCORE_BINARY_FIELDS.items():
        vals = [f1s[f] for f in fields if f in f1s]
        if vals:
            st = np.vstack(vals)
            ok = np.isfinite(st)
            c = ok.sum(axis=0)
            comps[comp] = np.where(c > 0, np.where(ok, st, 0).sum(axis=0) / np.maximum(c, 1), np.nan)
        else:
            comps[comp] = np.full(reps, np.nan)
    cont = (ar.kind == "continuous") & np.isfinite(ar.err[side])
    for f in sorted(set(ar.field[ar.kind == "continuous"])):
        m = cont & (ar.field == f)
        out[f"NMAE {f}"] = _wmean(w, ar.err[side], m) * 100
    nm = out.get("NMAE video_watch_seconds", np.full(reps, np.nan))
    comps["video_continuous_score"] = np.clip(100 - nm, 0, 100)
    jm = np.isfinite(ar.judge[side])
    comps["shop_text_score"] = np.clip(_wmean(w, ar.judge[side], jm) * 10, 0, 100)
    for key, comp in M.SCORE_SUMMARY_COMPONENT_KEYS:
        out[f"Score {key}"] = comps[comp]
    allc = np.vstack([comps[c] for _, c in M.SCORE_SUMMARY_COMPONENT_KEYS])
    out["Overall score"] = np.where(np.all(np.isfinite(allc), axis=0), allc.mean(axis=0), np.nan)
    for name, col in ar.tone[side].items():
        m = np.isfinite(col)
        scale = 1.0 if name == "sentiment" else 100.0
        label = "Utopian: mean sentiment" if name == "sentiment" else f"Utopian: % turns with {name[6:]}"
        out[label] = _wmean(w, col, m) * scale
    rm = binary & np.isin(ar.field, list(rare)) & (ar.truth == 1)
    out["Long tail: recall on rare actions"] = _wmean(w, (lab == 1).astype(float), rm) * 100
    return out


_GROUPS = (("Overall score", "score"), ("Score ", "score"), ("Macro F1", "f1"), ("F1 ", "f1"),
           ("NMAE ", "nmae"))


def metric_group(name: str) -> str:
    """The table group of a metric name: ``score``, ``f1``, ``nmae`` or ``bias``."""
    for prefix, g in _GROUPS:
        if name.startswith(prefix):
            return g
    return "bias"


def metric_support(name: str, ar: PairedArrays, side: str, rare: set[str]) -> int:
    """How many questions the metric ``name`` rests on for ``side`` (``"a"`` or ``"b"``)."""
    if name.startswith(("F1 ", "Yes-rate gap ")):
        f = name.split(" ")[-1]
        return int(np.sum((ar.kind == "binary") & (ar.field == f)))
    if name.startswith("NMAE "):
        f = name.split(" ")[-1]
        return int(np.sum((ar.kind == "continuous") & (ar.field == f) & np.isfinite(ar.err[side])))
    if name.startswith("Utopian"):
        return int(np.sum(ar.field == JUDGE_FIELD))
    if name.startswith("Long tail"):
        return int(np.sum(np.isin(ar.field, list(rare)) & (ar.truth == 1)))
    return len(ar.field)


def replicate_weights(rng: np.random.Generator, ar: PairedArrays, reps: int, unit: str) -> np.ndarray:
    """Bootstrap weights (replicates x questions): how often each question is drawn, drawing
    questions or (``unit="users"``) whole users with replacement."""
    n = len(ar.users)
    if unit == "users":
        n_users = int(ar.users.max()) + 1 if n else 0
        draws = rng.integers(0, n_users, size=(reps, n_users))
        counts = np.zeros((reps, n_users))
        np.add.at(counts, (np.arange(reps)[:, None], draws), 1.0)
        return counts[:, ar.users]
    draws = rng.integers(0, n, size=(reps, n))
    w = np.zeros((reps, n))
    np.add.at(w, (np.arange(reps)[:, None], draws), 1.0)
    return w


def mcnemar_exact(b: int, c: int) -> float:
    """Two-sided exact McNemar p-value from the discordant counts ``b`` (right→wrong) and ``c``
    (wrong→right): a binomial test of ``b`` successes in ``b + c`` trials at 0.5. 1.0 when
    ``b + c == 0`` (nothing changed)."""
    if b + c == 0:
        return 1.0
    from scipy.stats import binomtest

    return float(binomtest(int(b), int(b + c), 0.5).pvalue)


# -- homogenisation, resampled by user --------------------------------------------------------------

def homogenisation_parts(rows: Sequence[Mapping[str, Any]], source: str, users: Sequence[str]
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per user: intra distance (NaN if none); per user pair: summed and counted inter distances."""
    from workbench.evaluate.personas import homogenisation, pairwise_rms

    h = homogenisation(rows)
    vecs = h.vectors.get(source, {})
    k = len(users)
    intra = np.full(k, np.nan)
    inter_sum = np.zeros((k, k))
    inter_cnt = np.zeros((k, k))
    owners: list[int] = []
    flat: list[list[float]] = []
    for i, u in enumerate(users):
        for wv in vecs.get(u, []):
            owners.append(i)
            flat.append([math.nan if x is None else float(x) for x in wv])
    if not flat:
        return intra, inter_sum, inter_cnt, np.zeros(k, dtype=bool)
    d = pairwise_rms(np.asarray(flat, dtype=float))
    own = np.asarray(owners)
    for i in range(k):
        idx = np.flatnonzero(own == i)
        ds = [d[a, b] for x, a in enumerate(idx) for b in idx[x + 1:] if np.isfinite(d[a, b])]
        if ds:
            intra[i] = float(np.mean(ds))
    fin = np.isfinite(d)
    iu, ju = np.triu_indices(len(flat), k=1)
    keep = (own[iu] != own[ju]) & fin[iu, ju]
    np.add.at(inter_sum, (own[iu[keep]], own[ju[keep]]), d[iu[keep], ju[keep]])
    np.add.at(inter_cnt, (own[iu[keep]], own[ju[keep]]), 1.0)
    inter_sum = inter_sum + inter_sum.T
    inter_cnt = inter_cnt + inter_cnt.T
    return intra, inter_sum, inter_cnt, np.isfinite(intra)


def homogenisation_ratio(wu: np.ndarray, parts: tuple[np.ndarray, ...]) -> np.ndarray:
    """Intra/inter ratio under user weights ``wu`` (replicates x users); equals
    :func:`biases.homogenisation`'s ratio when every weight is 1."""
    intra, isum, icnt, has = parts
    with np.errstate(invalid="ignore", divide="ignore"):
        wi = wu[:, has]
        mi = np.where(wi.sum(axis=1) > 0, wi @ intra[has] / np.maximum(wi.sum(axis=1), 1e-300), np.nan)
        num = np.einsum("ri,ij,rj->r", wu, isum, wu)
        den = np.einsum("ri,ij,rj->r", wu, icnt, wu)
        me = np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)
        return np.where(me == 0, 1.0, mi / me)

