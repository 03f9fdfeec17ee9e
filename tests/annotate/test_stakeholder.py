"""The report's one-minute first section: blind detection rates with intervals, the annotators'
most telling pairs, the hyper-activity gap and agreement with one sentence per figure."""

from __future__ import annotations

import re

from workbench.annotate.blind import build_items
from workbench.annotate.model import CasePrediction, new_case
from workbench.annotate.store import CaseStore
from workbench.cli import main


def _rows():
    return [{"user_id": f"user_{i:04d}", "event_index": i, "scenario": "Customer Service",
             "field": "next_user_message", "true_value": f"where is my parcel user_{i:04d}", "model": "gpt-4o",
             "predicted_value": f"Thank you so much for your kind help {i}!", "parse_ok": True} for i in range(12)]


def test_first_section_of_the_exported_report(tmp_path, capsys):
    db = tmp_path / "team.db"
    with CaseStore(db) as store:
        items = build_items(_rows(), "gpt-4o", 12, seed=1)
        store.add_blind_items(items)
        for k, item in enumerate(items):      # 11 of 12 right: above chance
            wrong = "B" if item.real_side == "A" else "A"
            store.record_pick(item, "ana", item.real_side if k else wrong, 3 if k in (1, 2, 3, 4) else 2,
                              reasons=["utopian-tone"] if k == 4 else [])
        for i in range(6):                    # two annotators on six events, with binary predictions
            for who, tags in (("ana", ["utopian-tone"] if i < 3 else []), ("bo", ["utopian-tone"] if i < 4 else [])):
                store.add_case(new_case(source="t.json", user_id="user_0001", event_index=100 + i, author=who,
                                        tags=tags, fields=["video_liked"], real_values={"video_liked": i % 2},
                                        predictions=[CasePrediction("gpt-4o", "video_liked", 0.9, 1, "Yes", True)]))
    out = tmp_path / "r.html"
    assert main(["cases", "export", str(db), "--format", "html", "--out", str(out), "--pseudonymise"]) == 0
    page = out.read_text(encoding="utf-8")
    first = re.search(r'<section class="stakeholder">(.*?)</section>', page, re.S).group(1)
    assert page.index('class="stakeholder"') < page.index('class="summary"')
    assert "found in 11 of 12 blind comparisons (92%; 95% interval 65%–99%)" in first
    assert "better than guessing" in first
    assert first.count('<div class="pair">') == 3 and "why: utopian-tone" in first
    assert "user_00" not in first                       # the pairs' texts are pseudonymised too
    assert "predicted “yes” 100% of the time where real users did 50% (gap +50 points)" in first
    assert "2 annotators (ana, bo) rated 6 items in common" in first
    assert "Cohen&#x27;s kappa: agreement" in first and "Gwet&#x27;s AC1" in first and "(6 items, 2 annotators)" in first
