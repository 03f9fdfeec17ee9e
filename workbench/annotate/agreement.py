"""Agreement between annotators, computed with well-kept libraries. Layer: annotate (pure; no Qt).

A case is one annotator's judgement of one item: its ``author`` is the annotator, its tags and
severity are that annotator's labels. Several analysts each work in their own store; merged, the
cases of one item (the same user and event, or the same user and time range: :func:`item_key`)
are the item's ratings. For each tag an annotator who rated an item gives 1 (tagged) or 0 (not);
an annotator who did not rate the item gives no rating (missing, not 0).

Coefficients, each with the number of items it rests on (items rated by at least two annotators;
Cohen's kappa uses the items both rated):

* Cohen's kappa, for exactly two annotators: irrCAC's Conger kappa, which for two raters is
  Cohen's kappa;
* Fleiss' kappa (irrCAC), for three or more;
* Krippendorff's alpha (the ``krippendorff`` package; nominal for tags, ordinal for severity);
* Gwet's AC1 (irrCAC), which stays meaningful when one label is rare: kappa's chance term then
  approaches the observed agreement and kappa collapses even when annotators almost always agree.

"Overall" pools every (item, tag) pair as one binary rating unit. A coefficient the data cannot
define (every rating the same label: chance agreement is 1) is reported as None with the reason.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import asdict, dataclass, field
from typing import Any, Iterable, Literal, Mapping, Sequence

from workbench.annotate.model import Case
from workbench.evaluate.bias_rows import finite_float

#: Krippendorff's alpha's levels of measurement.
Level = Literal["nominal", "ordinal", "interval", "ratio"]

UNKNOWN_ANNOTATOR = "(unknown)"

#: One sentence per coefficient on what it means, for readers who are not statisticians.
MEANINGS = {
    "cohen_kappa": "Cohen's kappa: agreement of the two annotators beyond what chance gives (0 = chance, "
                   "1 = perfect); it drops sharply when one label is rare.",
    "fleiss_kappa": "Fleiss' kappa: the same idea for three or more annotators (0 = chance, 1 = perfect).",
    "krippendorff_alpha": "Krippendorff's alpha: agreement beyond chance that also copes with annotators "
                          "who skipped items; 0.8 or more is usually taken as reliable.",
    "gwet_ac1": "Gwet's AC1: agreement beyond chance that stays meaningful when one label is rare, where "
                "kappa understates how often annotators agree.",
}


def meaning(name: str) -> str:
    """The one-sentence meaning of coefficient ``name`` (e.g. ``gwet_ac1``); the name when unknown."""
    return MEANINGS.get(name, name)


def item_key(case: Case) -> str:
    """The item a case judges: ``user_0001 #12`` for an event, ``user_0001 t0 .. t1`` for a range."""
    return case.location()


def annotator_of(case: Case) -> str:
    """Who made the case: its author, or ``(unknown)`` when the author is blank."""
    return case.author.strip() or UNKNOWN_ANNOTATOR


@dataclass(frozen=True)
class Coefficient:
    """One agreement coefficient: ``value`` (None when undefined, ``note`` says why), the number of
    items and annotators it rests on, and the observed (``percent``) agreement."""

    name: str
    value: float | None
    items: int
    annotators: int
    percent: float | None = None
    note: str = ""


@dataclass(frozen=True)
class LabelAgreement:
    """Agreement on one label (a tag, the pooled tags, or severity)."""

    label: str
    items: int                       # items rated by at least two annotators
    positives: int                   # ratings that gave the tag (tags only)
    coefficients: tuple[Coefficient, ...] = ()

    def get(self, name: str) -> Coefficient | None:
        """The coefficient called ``name`` (e.g. ``alpha``), or None when it was not computed."""
        return next((c for c in self.coefficients if c.name == name), None)


@dataclass(frozen=True)
class Disagreement:
    """An item and tag on which the annotators who rated it split: ``votes`` annotator -> 0/1."""

    item: str
    tag: str
    votes: Mapping[str, int]
    case_ids: tuple[str, ...]


@dataclass(frozen=True)
class AgreementReport:
    """Agreement between the annotators of a store: per tag, over all tags pooled and on severity."""

    annotators: tuple[str, ...]
    items: int                       # items with at least one case
    shared_items: int                # items rated by at least two annotators
    tags: tuple[LabelAgreement, ...]
    overall: LabelAgreement | None
    severity: LabelAgreement | None
    disagreements: tuple[Disagreement, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """The report as plain JSON-ready data."""
        return asdict(self)


# -- ratings tables ----------------------------------------------------------------------------------

def ratings_by_item(cases: Iterable[Case]) -> dict[str, dict[str, Case]]:
    """item -> annotator -> that annotator's case (the latest-updated one if they made several)."""
    out: dict[str, dict[str, Case]] = {}
    for c in cases:
        per = out.setdefault(item_key(c), {})
        a = annotator_of(c)
        if a not in per or (c.updated or "") > (per[a].updated or ""):
            per[a] = c
    return out


def tag_matrix(by_item: Mapping[str, Mapping[str, Case]], annotators: Sequence[str],
               tag: str) -> tuple[list[str], list[list[float]]]:
    """Items rated by >= 2 annotators, and per item a row of 1.0/0.0/NaN (one column per annotator)."""
    items, rows = [], []
    for item in sorted(by_item):
        per = by_item[item]
        if len(per) < 2:
            continue
        items.append(item)
        rows.append([float(tag in per[a].tags) if a in per else math.nan for a in annotators])
    return items, rows


# -- coefficients ------------------------------------------------------------------------------------

def _irr(rows: list[list[float]], method: str) -> tuple[float | None, float | None, str]:
    import pandas as pd
    from irrCAC.raw import CAC

    frame = pd.DataFrame(rows, columns=[f"r{i}" for i in range(len(rows[0]))])
    try:
        with warnings.catch_warnings(), __import__("numpy").errstate(all="ignore"):
            warnings.simplefilter("ignore")
            est = getattr(CAC(frame), method)()["est"]
    except (ZeroDivisionError, ValueError, KeyError, IndexError) as exc:
        return None, None, f"undefined ({type(exc).__name__})"
    value, pa = finite_float(est.get("coefficient_value")), finite_float(est.get("pa"))
    return value, pa, "" if value is not None else "undefined"


def _alpha(rows: list[list[float]], level: Level) -> float | None:
    import krippendorff
    import numpy as np

    data = np.array(rows, dtype=float).T          # raters x items
    if len({v for v in data.flatten().tolist() if v == v}) < 2:
        return None
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return finite_float(krippendorff.alpha(reliability_data=data, level_of_measurement=level))


def coefficients(rows: list[list[float]], *, level: Level = "nominal") -> tuple[Coefficient, ...]:
    """Cohen's kappa (two annotators), Fleiss' kappa (three or more), Krippendorff's alpha and
    Gwet's AC1 for a table of ratings (rows = items, columns = annotators, NaN = not rated).
    Items with fewer than two ratings are dropped first; ``level`` is alpha's measurement level."""
    rows = [r for r in rows if sum(v == v for v in r) >= 2]
    if not rows:
        return ()
    n_raters = len(rows[0])
    used = [j for j in range(n_raters) if any(r[j] == r[j] for r in rows)]
    rows = [[r[j] for j in used] for r in rows]
    n_raters = len(used)
    single = len({v for r in rows for v in r if v == v}) < 2
    why = "every rating is the same label, so chance agreement is 1 and kappa is undefined"
    out = []
    if n_raters == 2:
        pairs = [r for r in rows if r[0] == r[0] and r[1] == r[1]]
        if pairs:
            value, pa, note = (None, 1.0, why) if single else _irr(pairs, "conger")
            out.append(Coefficient("cohen_kappa", value, len(pairs), 2, pa, note))
    else:
        value, pa, note = (None, 1.0, why) if single else _irr(rows, "fleiss")
        out.append(Coefficient("fleiss_kappa", value, len(rows), n_raters, pa, note))
    alpha = _alpha(rows, level)
    out.append(Coefficient("krippendorff_alpha", alpha, len(rows), n_raters, None,
                           "" if alpha is not None else "undefined: one value only"))
    if level == "nominal":
        value, pa, note = _irr(rows, "gwet")
        out.append(Coefficient("gwet_ac1", value, len(rows), n_raters, pa, note))
    return tuple(out)


# -- the report --------------------------------------------------------------------------------------

def agreement(cases: Iterable[Case], *, tags: Sequence[str] | None = None,
              adjudicated: Iterable[tuple[str, str]] = ()) -> AgreementReport:
    """Agreement per tag, overall (pooled) and on severity, plus the disagreement queue (item and
    tag pairs the annotators split on, minus the ``adjudicated`` ones)."""
    by_item = ratings_by_item(cases)
    annotators = tuple(sorted({a for per in by_item.values() for a in per}))
    all_tags = list(tags) if tags is not None else sorted({t for per in by_item.values()
                                                           for c in per.values() for t in c.tags})
    per_tag, pooled = [], []
    settled = set(adjudicated)
    queue: list[Disagreement] = []
    shared = 0
    for tag in all_tags:
        items, rows = tag_matrix(by_item, annotators, tag)
        shared = max(shared, len(items))
        pooled.extend(rows)
        positives = int(sum(v == 1.0 for r in rows for v in r))
        per_tag.append(LabelAgreement(tag, len(items), positives, coefficients(rows)))
        for item, row in zip(items, rows):
            votes = {a: int(v) for a, v in zip(annotators, row) if v == v}
            if len(set(votes.values())) > 1 and (item, tag) not in settled:
                queue.append(Disagreement(item, tag, votes, tuple(by_item[item][a].id for a in votes)))
    overall = (LabelAgreement("all tags (pooled item × tag)", len(pooled),
                              int(sum(v == 1.0 for r in pooled for v in r)), coefficients(pooled))
               if pooled else None)
    sev_rows = [[float(per[a].severity) if a in per else math.nan for a in annotators]
                for _, per in sorted(by_item.items()) if len(per) >= 2]
    severity = (LabelAgreement("severity (ordinal)", len(sev_rows), 0, coefficients(sev_rows, level="ordinal"))
                if sev_rows else None)
    return AgreementReport(annotators, len(by_item), sum(len(p) >= 2 for p in by_item.values()),
                           tuple(per_tag), overall, severity, tuple(queue))
