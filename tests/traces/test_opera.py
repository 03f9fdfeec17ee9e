"""OPeRA importer: the canonical table from the Parquet tables, every known quirk, located errors."""

from __future__ import annotations

from pathlib import Path

import orjson
import polars as pl
import pytest

from tests.traces import opera_fixture as F
from workbench.traces import TraceError, schema
from workbench.traces.chains import find_chain
from workbench.traces.opera import OperaTraceSet, load_opera, persona_text
from workbench.traces.opera_observe import html_text, observe, page_text


@pytest.fixture
def root(tmp_path) -> Path:
    return F.write_quirks(tmp_path)


@pytest.fixture
def ts(root) -> OperaTraceSet:
    return load_opera(root, use_cache=False)


def ctx(frame: pl.DataFrame, i: int) -> dict:
    return orjson.loads(frame.filter(pl.col("event_index") == i)["context"][0])


def test_users_sessions_and_order(ts):
    assert set(ts.user_ids()) == {F.ALICE, F.BOB, F.CAROL, F.DAVE, F.BAD_SID}
    alice = ts.user_events(F.ALICE)
    # session 1 (earlier start) comes first although its rows follow session 2's in the file
    assert alice["session_id"].to_list() == [F.S1] * 8 + [F.S2] * 2
    assert alice["event_index"].to_list() == list(range(10))
    ids = [orjson.loads(c)["action_id"] for c in alice["context"].to_list()]
    assert ids[:8] == ["a-1-0", "a-1-1", "a-1-2", "a-1-3", "a-1-4", "a-1-6", "a-1-7", "a-1-5"]  # bad time last
    # identical timestamps keep file order (review before product option)
    assert ids.index("a-1-3") < ids.index("a-1-4")
    users = ts.users.filter(pl.col("user_id") == F.DAVE)
    assert users["event_count"].to_list() == [0]  # a user row without sessions is kept


def test_lanes_conversions_and_session_end(ts):
    alice = ts.user_events(F.ALICE)
    row = {r["event_index"]: r for r in alice.iter_rows(named=True)}
    assert row[0]["scenario"] == schema.SEARCH and row[0]["title"] == "rice cooker"   # input = search
    assert row[1]["scenario"] == schema.SEARCH and row[1]["action_types"] == ["search"]
    assert row[2]["scenario"] == schema.SHOP and row[2]["title"].startswith("Tiger JBV-S18U")
    assert row[2]["act_click"] and row[2]["outcome"] == schema.OUTCOME_ENGAGE
    assert row[5]["action_types"] == ["purchase"] and row[5]["act_purchase"]
    assert row[5]["outcome"] == schema.OUTCOME_CONVERT
    assert row[6]["title"] == "session end" and row[6]["action_types"] == ["terminate"]
    assert row[6]["outcome"] == schema.OUTCOME_VIEW
    bob = ts.user_events(F.BOB)
    assert bob["scenario"].to_list()[:2] == [schema.SEARCH, schema.SEARCH]  # suggested term is a search
    assert bob["ts_raw"][0] == "2025-04-15T10:00:05.000Z"
    assert str(bob["ts"][0]) == "2025-04-15 10:00:05"


def test_json_strings_parsed_and_quirks_kept(ts):
    alice = ts.user_events(F.ALICE)
    c = ctx(alice, 2)
    assert c["element_meta"]["data"]["asin"] == "B01L9SD3K0"      # JSON text inside JSON, parsed
    assert c["mouse_position"]["pageY"] == 1421
    assert c["window_size"] == {"width": 1920, "height": 934}
    assert c["url_masked"] is True and c["url"].endswith("URL_MASKED")
    assert c["rationale"] is None                                 # "   " is no rationale
    assert c["items"][0]["asin"] == "B01L9SD3K0" and c["split"] == "train"
    assert c["source"] == {"file": "action/train-00000-of-00001.parquet", "row": 4}
    assert ctx(alice, 3)["products"] == "[{bad json"                # kept as given
    assert alice["rationale"].to_list()[:6] == [None, None, None, None,
                                                "I want the white one, it matches my kitchen.",
                                                "Buy it, the price is good."]
    acts = orjson.loads(alice["actions"][5])
    assert acts == [{"type": "purchase", "action_type": "click", "click_type": "purchase",
                     "semantic_id": "buy_box.buy_now", "input_text": None, "keyword": None,
                     "item_title": F.RICE["title"]}]
    assert orjson.loads(alice["actions"][0])[0]["keyword"] == "rice cooker"


def test_warnings_name_file_user_event_and_field(ts, root):
    w = {(x.field, x.user_id, x.event_index): x for x in ts.warnings}
    action_file = str(root / "OPeRA_filtered" / "action" / "train-00000-of-00001.parquet")
    bad_products = w[("products", F.ALICE, 3)]
    assert bad_products.file == action_file and "does not parse" in bad_products.message
    bad_time = w[("timestamp", F.ALICE, 7)]
    assert bad_time.file == action_file and "'yesterday'" in bad_time.message
    assert f"user {F.ALICE}, event 7, field timestamp" in str(bad_time)
    assert "session_id" in {x.field for x in ts.warnings if x.user_id == F.BAD_SID}
    counts = [x for x in ts.warnings if x.field == "action_count"]
    assert len(counts) == 1 and "says 7" in counts[0].message and counts[0].expected == "8 (actions found)"
    assert any(x.field == "session_id" and x.user_id == F.CAROL and "not in it" in x.message for x in ts.warnings)
    assert any(x.field == "session_id" and F.S_EMPTY[:40] in x.message and "has none" in x.message
               for x in ts.warnings)
    assert any(x.field == "survey" and x.user_id == F.BOB for x in ts.warnings)
    assert any(x.field == "user_id" and x.user_id == F.CAROL and "no survey" in x.message for x in ts.warnings)
    assert ts.user_events(F.CAROL).height == 1  # nothing is lost


def test_persona_from_the_survey(ts):
    text = ts.profile(F.ALICE)
    assert "Demographic Information:\n  Age: 34 years" in text
    assert "MBTI: INTJ" in text and "Openness: 4.2" in text
    assert text.endswith("Interview summary:\nCareful buyer of kitchen items.")
    assert ts.profile(F.BOB) == "{not json"  # the survey as given, with a warning
    assert ts.profile(F.CAROL) == ""
    assert persona_text({"a": [1, {"b": None}]}) == "a:\n  - 1\n  b: "


def test_heavy_columns_stay_on_disk_and_are_read_per_event(ts, root):
    assert "simplified_html" not in ts.events.columns and "page_meta" not in ts.with_payload().columns
    obs = observe(ts, F.ALICE, 5)
    assert obs.search_term == "rice cooker" and obs.cart_items[0]["asin"] == "B01L9SD3K0"
    assert obs.products[0]["title"] == F.RICE["title"] and obs.rationale == "Buy it, the price is good."
    text = obs.html_as_text()
    assert "Homepage" in text and "[rice cooker]" in text and "var x" not in text
    assert obs.image is None and "no screenshot was taken" in obs.image_note
    shot = observe(ts, F.ALICE, 1)
    assert shot.image is not None and shot.image.startswith(b"\x89PNG")
    missing = observe(ts, F.ALICE, 2)
    assert missing.image is None and "000999.jpg is not in the image table" in missing.image_note
    assert observe(ts, F.ALICE, 6).page_meta is None or observe(ts, F.ALICE, 6).search_term is None


def test_no_image_table(tmp_path):
    ts = load_opera(F.write_quirks(tmp_path, images=False), use_cache=False)
    obs = observe(ts, F.ALICE, 1)
    assert obs.image is None and "no image table" in obs.image_note


def test_page_text_budget():
    text = html_text(F.PAGE)
    assert text.splitlines()[0] == "Homepage"
    cut = page_text("<div>" + "</div><div>".join(f"line {i}" for i in range(200)) + "</div>", 100)
    assert len(cut) < 160 and "more characters of the page left out" in cut


def test_causal_chain_from_a_purchase(ts):
    alice = ts.user_events(F.ALICE)
    chain = find_chain(alice, 5, user_id=F.ALICE)
    linked = set(chain.event_indices)
    assert {0, 2, 4} <= linked          # the search for it and the product clicks
    assert 9 not in linked              # the air-fryer search of the other session shares nothing


def test_cache_round_trip(root):
    first = load_opera(root, background_cache_write=False)
    assert first.parquet is not None and first.parquet.exists()
    second = load_opera(root)
    assert second.parquet == first.parquet and not second.has_payload
    assert second.events.drop("ts").equals(first.events.drop("ts"))
    assert second.user_events(F.ALICE).equals(first.user_events(F.ALICE))
    assert [str(w) for w in second.warnings] == [str(w) for w in first.warnings]
    assert second.profile(F.ALICE) == first.profile(F.ALICE)
    assert observe(second, F.ALICE, 1).image is not None


def test_one_split_only(tmp_path):
    root = F.write_quirks(tmp_path)
    for p in (root / "OPeRA_filtered").rglob("*test*"):
        if p.is_file():
            p.unlink()
    ts = load_opera(root / "OPeRA_filtered", use_cache=False)
    assert F.BOB not in set(ts.events["user_id"].to_list())


# -- bad files ----------------------------------------------------------------------------------------


def test_not_parquet(tmp_path):
    root = F.write_quirks(tmp_path)
    bad = root / "OPeRA_filtered" / "action" / "train-00000-of-00001.parquet"
    bad.write_bytes(b"this is not parquet")
    with pytest.raises(TraceError) as err:
        load_opera(root, use_cache=False)
    assert err.value.issue.file == str(bad) and err.value.issue.expected == "a Parquet file"


def test_missing_column(tmp_path):
    root = F.write_quirks(tmp_path)
    f = root / "OPeRA_filtered" / "action" / "test-00000-of-00001.parquet"
    pl.read_parquet(f).drop("timestamp").write_parquet(f)
    with pytest.raises(TraceError) as err:
        load_opera(root, use_cache=False)
    assert (err.value.issue.file, err.value.issue.field) == (str(f), "timestamp")
    assert "field timestamp" in str(err.value) and "column missing" in str(err.value)


def test_wrong_column_type(tmp_path):
    root = F.write_quirks(tmp_path)
    f = root / "OPeRA_filtered" / "action" / "test-00000-of-00001.parquet"
    pl.read_parquet(f).with_columns(rationale=pl.lit(3)).write_parquet(f)
    with pytest.raises(TraceError) as err:
        load_opera(root, use_cache=False)
    assert err.value.issue.field == "rationale" and "type" in err.value.issue.message


def test_no_action_table(tmp_path):
    (tmp_path / "x" / "user").mkdir(parents=True)
    pl.DataFrame({"user_id": ["u"], "survey": ["{}"]}).write_parquet(tmp_path / "x" / "user" / "u.parquet")
    with pytest.raises(TraceError) as err:
        load_opera(tmp_path / "x", use_cache=False)
    assert "no action table" in str(err.value)


def test_broken_user_table_is_a_warning(tmp_path):
    root = F.write_quirks(tmp_path)
    f = root / "OPeRA_filtered" / "user" / "test" / "test.parquet"
    f.write_bytes(b"PAR1 broken")
    ts = load_opera(root, use_cache=False)
    assert any(w.file == str(f) and "skipped" in w.message for w in ts.warnings)
    assert ts.profile(F.ALICE)  # from the train user table


def test_load_traces_opens_an_opera_folder(root):
    from workbench.traces import load_traces

    ts = load_traces(root, use_cache=False)
    assert isinstance(ts, OperaTraceSet) and ts.user_events(F.ALICE).height == 10
    with pytest.raises(TraceError):  # a folder with neither JSON nor OPeRA tables
        load_traces(root / "OPeRA_filtered" / "session", use_cache=False)


def test_info_command_on_an_opera_folder(root, capsys):
    from workbench.cli import main

    assert main(["info", str(root), "--json", "--no-cache"]) == 0
    import json

    info = json.loads(capsys.readouterr().out)
    alice = next(u for u in info["users"] if u["user_id"] == F.ALICE)
    assert alice["events"] == 10 and alice["actions"]["E-commerce/purchase"] == 1


def test_demo_opera_folder_loads_clean(tmp_path):
    from workbench.cli import main

    assert main(["demo", str(tmp_path / "d"), "--opera", "300", "--seed", "3"]) == 0
    ts = load_opera(tmp_path / "d", use_cache=False)
    assert ts.events.height == 300 and ts.warnings == []
    assert ts.tables.version == "filtered" and ts.tables.images   # screenshots are there
    assert main(["demo", str(tmp_path / "e"), "--opera", "0"]) == 2
