"""Several annotators: agreement coefficients against tables worked out by hand, the disagreement
queue and adjudication, merging stores without losing or duplicating anything, and the CLI."""

from __future__ import annotations

import json
import math
import shutil
from dataclasses import replace

import pytest

from workbench.annotate.agreement import agreement, coefficients, item_key
from workbench.annotate.merge import MergeError, merge_stores
from workbench.annotate.model import new_case
from workbench.annotate.store import CaseStore
from workbench.cli import main

NAN = math.nan


def _by_name(coefs):
    return {c.name: c for c in coefs}


def test_rare_label_kappa_collapses_while_ac1_does_not():
    """20 items; both annotators say "no" on 18, and each says "yes" once where the other says no.
    Observed agreement 0.9. Kappa: pe = .05*.05 + .95*.95 = .905, so (.9 - .905) / .095 = -0.0526.
    AC1: pe = 2 * pi * (1 - pi) with pi = .05, = .095, so (.9 - .095) / .905 = 0.8895.
    Alpha (nominal): 40 values, 2 yes; 1 - 39 * 4 / (2 * 2 * 38) = -0.0263."""
    c = _by_name(coefficients([[0.0, 0.0]] * 18 + [[1.0, 0.0], [0.0, 1.0]]))
    assert c["cohen_kappa"].value == pytest.approx(-0.05263, abs=1e-4)
    assert c["gwet_ac1"].value == pytest.approx(0.8895, abs=1e-4)
    assert c["krippendorff_alpha"].value == pytest.approx(1 - 39 * 4 / (2 * 2 * 38), abs=1e-6)
    assert c["cohen_kappa"].percent == pytest.approx(0.9)
    assert {x.items for x in c.values()} == {20} and "fleiss_kappa" not in c


def test_balanced_two_annotators():
    """10 items, 4 yes/yes, 1 yes/no, 1 no/yes, 4 no/no: po = .8, pe = .5, kappa = AC1 = .6;
    alpha = 1 - 19 * 4 / (2 * 10 * 10) = .62."""
    c = _by_name(coefficients([[1.0, 1.0]] * 4 + [[1.0, 0.0], [0.0, 1.0]] + [[0.0, 0.0]] * 4))
    assert c["cohen_kappa"].value == pytest.approx(0.6, abs=1e-4)
    assert c["gwet_ac1"].value == pytest.approx(0.6, abs=1e-4)
    assert c["krippendorff_alpha"].value == pytest.approx(0.62, abs=1e-6)


def test_three_annotators_fleiss_alpha_ac1():
    """4 items, 3 annotators: (yes,yes,yes) (no,no,no) (yes,yes,no) (yes,no,no).
    P_i = 1, 1, 1/3, 1/3 so P = 2/3; p_yes = .5 so pe = .5; Fleiss = (2/3 - .5) / .5 = 1/3; AC1 the same
    (pe = .5 * .5 * 2). Alpha: o_yn = 2, n_yes = n_no = 6; 1 - 11 * 4 / (2 * 6 * 6) = 0.3889.
    An item rated by one annotator only is left out."""
    rows = [[1.0, 1.0, 1.0], [0.0, 0.0, 0.0], [1.0, 1.0, 0.0], [1.0, 0.0, 0.0], [NAN, NAN, 1.0]]
    c = _by_name(coefficients(rows))
    assert c["fleiss_kappa"].value == pytest.approx(1 / 3, abs=1e-4)
    assert c["gwet_ac1"].value == pytest.approx(1 / 3, abs=1e-4)
    assert c["krippendorff_alpha"].value == pytest.approx(1 - 44 / 72, abs=1e-6)
    assert all(x.items == 4 and x.annotators == 3 for x in c.values())
    assert "cohen_kappa" not in c


def test_one_label_only_is_reported_as_undefined_not_as_a_number():
    c = _by_name(coefficients([[0.0, 0.0]] * 5))
    assert c["cohen_kappa"].value is None and "undefined" in c["cohen_kappa"].note
    assert c["gwet_ac1"].value == pytest.approx(1.0)


def _case(user, event, author, tags, severity=0, note=""):
    return new_case(source="trace.json", user_id=user, event_index=event, tags=tags, author=author,
                    severity=severity, note=note)


def _two_annotators():
    """ana and bo on the balanced table for 'utopian-tone' (10 items) and both on 'hyper-activity'."""
    pattern = [(1, 1)] * 4 + [(1, 0), (0, 1)] + [(0, 0)] * 4
    cases = []
    for i, (a, b) in enumerate(pattern):
        cases.append(_case("user_0001", i, "ana", ["utopian-tone"] * a + ["hyper-activity"], severity=a + 1))
        cases.append(_case("user_0001", i, "bo", ["utopian-tone"] * b + ["hyper-activity"], severity=b + 1))
    cases.append(_case("user_0002", 0, "ana", ["utopian-tone"]))  # rated once: not an agreement item
    return cases


def test_agreement_per_tag_overall_and_queue():
    report = agreement(_two_annotators())
    assert report.annotators == ("ana", "bo") and report.items == 11 and report.shared_items == 10
    tone = next(t for t in report.tags if t.label == "utopian-tone")
    assert tone.items == 10 and tone.get("cohen_kappa").value == pytest.approx(0.6, abs=1e-4)
    hyper = next(t for t in report.tags if t.label == "hyper-activity")
    assert hyper.get("cohen_kappa").value is None          # always tagged: kappa undefined
    assert report.overall.items == 20
    assert report.severity.get("krippendorff_alpha").value == pytest.approx(0.62, abs=1e-6)
    queue = {(d.item, d.tag): dict(d.votes) for d in report.disagreements}
    assert queue == {("user_0001 #4", "utopian-tone"): {"ana": 1, "bo": 0},
                     ("user_0001 #5", "utopian-tone"): {"ana": 0, "bo": 1}}
    settled = agreement(_two_annotators(), adjudicated={("user_0001 #4", "utopian-tone")})
    assert [(d.item, d.tag) for d in settled.disagreements] == [("user_0001 #5", "utopian-tone")]


def _store(path, cases):
    with CaseStore(path) as s:
        for c in cases:
            s.add_case(c)
    return path


def test_merge_loses_nothing_and_duplicates_nothing(tmp_path):
    cases = _two_annotators()
    ana = [c for c in cases if c.author == "ana"]
    bo = [c for c in cases if c.author == "bo"]
    a = _store(tmp_path / "ana.db", ana)
    b = tmp_path / "bo.db"
    shutil.copy(a, b)                     # bo started from a copy of ana's store ...
    with CaseStore(b) as s:
        for c in bo:
            s.add_case(c)
        s.add_tag("Too agreeable", shortcut=9, color="#123456")
        edited = s.get_case(ana[0].id)
        s.save_case(replace(edited, note="bo's correction"))   # ... and edited one of ana's cases
        s.create_queue("review", [])
        s.adjudicate("user_0001 #4", "utopian-tone", True, "carla", note="tone is clearly too polite")
    with CaseStore(a) as s:
        s.adjudicate("user_0001 #5", "utopian-tone", False, "carla")

    out = tmp_path / "merged.db"
    report = merge_stores([a, b], out)
    with CaseStore(out, readonly=True) as m:
        ids = m.case_ids()
        assert len(ids) == len(set(ids)) == len(cases)
        assert set(ids) == {c.id for c in cases}
        assert m.get_case(ana[0].id).note == "bo's correction"
        kept = m.case_versions(ana[0].id)
        assert [(origin, v.note) for origin, v in kept] == [("ana.db", "")]
        assert "too-agreeable" in {t.name for t in m.tags()}
        assert len(m.adjudications()) == 2 and len(m.queues()) == 1
        originals = {}
        for path in (a, b):
            with CaseStore(path, readonly=True) as s:
                originals.update({c.id: c for c in s.list_cases()})
        for c in cases:
            if c.id != ana[0].id:
                assert m.get_case(c.id) == originals[c.id]
    assert report.cases == len(cases) and report.versions_kept == 1 and report.cases_identical == len(ana) - 1

    again = tmp_path / "again.db"
    report2 = merge_stores([out, a, b], again)
    with CaseStore(again, readonly=True) as m2, CaseStore(out, readonly=True) as m:
        assert sorted(m2.case_ids()) == sorted(m.case_ids())
        assert [c.to_dict() for c in m2.list_cases()] == [c.to_dict() for c in m.list_cases()]
        assert len(m2.case_versions()) == 1 and len(m2.adjudications(history=True)) == 2
        assert len(m2.queues()) == 1
    assert report2.cases_added == len(cases) and report2.versions_kept == 1


def test_merge_refuses_existing_target_and_damaged_input(tmp_path):
    a = _store(tmp_path / "a.db", _two_annotators()[:2])
    b = _store(tmp_path / "b.db", _two_annotators()[2:4])
    existing = tmp_path / "exists.db"
    existing.write_bytes(b"keep me")
    with pytest.raises(MergeError, match="already exists"):
        merge_stores([a, b], existing)
    assert existing.read_bytes() == b"keep me"
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not sqlite" * 100)
    with pytest.raises(MergeError, match="junk.db"):
        merge_stores([a, junk], tmp_path / "out.db")
    # nothing was created but SQLite's own index files of the stores read (never of a foreign file)
    names = {p.name for p in tmp_path.iterdir() if not p.name.endswith(("-wal", "-shm"))}
    assert names == {"a.db", "b.db", "exists.db", "junk.db"}


def test_cli_merge_agreement_queue_adjudicate(tmp_path, capsys):
    cases = _two_annotators()
    a = _store(tmp_path / "ana.db", [c for c in cases if c.author == "ana"])
    b = _store(tmp_path / "bo.db", [c for c in cases if c.author == "bo"])
    out = tmp_path / "team.db"
    assert main(["cases", "merge", str(a), str(b), "--out", str(out)]) == 0
    assert f"{len(cases)} case(s)" in capsys.readouterr().out
    assert main(["cases", "agreement", str(out), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    tone = next(t for t in data["tags"] if t["label"] == "utopian-tone")
    coef = {c["name"]: c for c in tone["coefficients"]}
    assert coef["cohen_kappa"]["value"] == pytest.approx(0.6, abs=1e-4) and coef["cohen_kappa"]["items"] == 10
    assert coef["gwet_ac1"]["value"] == pytest.approx(0.6, abs=1e-4)
    assert data["annotators"] == ["ana", "bo"] and len(data["disagreements"]) == 2

    assert main(["cases", "disagreements", str(out), "--json"]) == 0
    rows = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [r["item"] for r in rows] == ["user_0001 #4", "user_0001 #5"]
    assert main(["cases", "adjudicate", str(out), "--item", "user_0001 #4", "--tag", "utopian tone",
                 "--final", "yes", "--by", "carla", "--note", "too polite"]) == 0
    assert "decided by carla" in capsys.readouterr().out
    assert main(["cases", "disagreements", str(out), "--json"]) == 0
    assert [json.loads(x)["item"] for x in capsys.readouterr().out.splitlines()] == ["user_0001 #5"]
    assert main(["cases", "adjudicate", str(out), "--item", "user_0009 #1", "--tag", "utopian-tone",
                 "--final", "no", "--by", "x"]) == 2
    assert "no case judges item" in capsys.readouterr().err
    with CaseStore(out, readonly=True) as s:
        [adj] = s.adjudications()
        assert (adj.item, adj.tag, adj.final, adj.decided_by) == ("user_0001 #4", "utopian-tone", 1, "carla")
    assert item_key(cases[0]) == "user_0001 #0"
