"""A small OPeRA folder with every known quirk, written with polars (nothing committed but code).

Layout and columns follow the dataset card of ``NEU-HAI/OPeRA`` (filtered version, both splits):
``OPeRA_filtered/action/{split}-00000-of-00001.parquet``, ``session/{split}/{split}.parquet``,
``user/{split}/{split}.parquet``, ``images/{split}-00000-of-00001.parquet`` (``image`` as Hugging
Face stores images: a struct of ``bytes`` and ``path``; ``image_name``).
"""

from __future__ import annotations

from pathlib import Path

import orjson
import polars as pl

from workbench.demo.opera import _png

ALICE = "324934a2-5d58-49d9-bae8-545fba660731"
BOB = "7f1c0a55-0b4e-4d0e-9a51-2a1b9c3e8d10"
CAROL = "c0ffee00-1111-4222-8333-944455556666"   # sessions but no user row
DAVE = "d0d0d0d0-2222-4333-8444-955566667777"    # user row only (no sessions)

S1 = f"{ALICE}_2025-04-14T21:52:46.756000Z_2025-04-14T21:55:50.785000Z"
S2 = f"{ALICE}_2025-04-20T18:01:02.100000Z_2025-04-20T18:03:40.000000Z"
S3 = f"{BOB}_2025-04-15T10:00:00.000000Z_2025-04-15T10:05:00.000000Z"     # test split
S4 = f"{CAROL}_2025-05-01T09:00:00.000000Z_2025-05-01T09:01:00.000000Z"   # not in the session table
S_EMPTY = f"{BOB}_2025-05-02T09:00:00.000000Z_2025-05-02T09:01:00.000000Z"  # session table only
BAD_SID = "garbage-session"

RICE = {"title": "Tiger JBV-S18U 10-Cup Microcomputer Controlled 4-in-1 Rice Cooker (White)",
        "asin": "B01L9SD3K0", "price": "$139.99", "quantity": ""}
PAGE = ('<html><head><script>var x = 1;</script></head><body><div name="nav_bar" role="navigation">'
        '<div name="nav_bar.homepage">Homepage</div><form role="search"><input name="search" value="rice cooker"/>'
        '</form></div><div name="search_results"><span name="product_title">Tiger JBV-S18U Rice Cooker</span>'
        '<span>$139.99</span></div></body></html>')
ACTION_COLUMNS = ["session_id", "action_id", "timestamp", "action_type", "click_type", "semantic_id",
                  "mouse_position", "element_meta", "url", "window_size", "page_meta", "simplified_html",
                  "rationale", "products", "input_text", "image"]


def _meta(data: dict | str, name: str = "promotion_items") -> str:
    """element_meta as in the release: JSON whose ``data`` is itself JSON text."""
    return orjson.dumps({"name": name, "data": data if isinstance(data, str) else orjson.dumps(data).decode()}).decode()


def _page(term: str, cart: list | None = None) -> str:
    return orjson.dumps({"search_term": [{"term": term}], "cart_items": cart or []}).decode()


def action(session: str, aid: str, ts: str | None, atype: str, click: str | None = None, **kw) -> dict:
    row = {c: None for c in ACTION_COLUMNS}
    row.update(session_id=session, action_id=aid, timestamp=ts, action_type=atype, click_type=click,
               url="https://www.amazon.com/s?k=rice+cooker?URL_MASKED", window_size='{"width": 1920, "height": 934}',
               page_meta=_page(""), simplified_html=PAGE, rationale="", products="[]", image="")
    row.update(kw)
    return row


def train_actions() -> list[dict]:
    prod = orjson.dumps([RICE]).decode()
    return [
        # session 2 first in the file: the importer orders by session start
        action(S2, "a-2-0", "2025-04-20T18:01:05.000Z", "input", semantic_id="nav_bar.search_input",
               input_text="air fryer", page_meta=_page("air fryer")),
        action(S2, "a-2-1", "2025-04-20T18:01:09.500Z", "terminate", url=None, window_size=None,
               page_meta="{}", products=None, rationale=None),
        action(S1, "a-1-0", "2025-04-14T21:52:50.100Z", "input", semantic_id="nav_bar.search_input",
               input_text="rice cooker", mouse_position='{"clientX": 10, "clientY": 20}'),
        action(S1, "a-1-1", "2025-04-14T21:52:52.000Z", "click", "search", semantic_id="nav_bar.search_button",
               element_meta=_meta("", "search_button"), page_meta=_page("rice cooker"), image="000123.jpg"),
        action(S1, "a-1-2", "2025-04-14T21:52:57.792Z", "click", "product_link",
               semantic_id="4_stars_and_above.tiger_jbv_s18u_10_cup_rice_cooker_white.product_title",
               mouse_position='{"clientX": 1493, "clientY": 716, "pageX": 1493, "pageY": 1421}',
               element_meta=_meta(RICE), page_meta=_page("rice cooker"), products=prod,
               rationale="   ", image="000999.jpg"),
        # identical timestamp: file order decides
        action(S1, "a-1-3", "2025-04-14T21:53:10.000Z", "click", "review", semantic_id="reviews.see_all",
               element_meta=_meta({"title": "See all reviews"}, "reviews"), products="[{bad json"),
        action(S1, "a-1-4", "2025-04-14T21:53:10.000Z", "click", "product_option", semantic_id="twister.color_white",
               element_meta=_meta(RICE), products=prod, rationale="I want the white one, it matches my kitchen."),
        action(S1, "a-1-5", "yesterday", "click", "other", semantic_id="misc.link"),
        action(S1, "a-1-6", "2025-04-14T21:55:40.000Z", "click", "purchase", semantic_id="buy_box.buy_now",
               element_meta=_meta(RICE), products=prod, rationale="Buy it, the price is good.",
               page_meta=_page("rice cooker", [dict(RICE, url="/gp/product/B01L9SD3K0?URL_MASKED", quantity="1")])),
        action(S1, "a-1-7", "2025-04-14T21:55:50.000Z", "terminate", url=None, products=None),
        action(S4, "a-4-0", "2025-05-01T09:00:10.000Z", "click", "nav_bar", semantic_id="nav_bar.cart"),
        action(BAD_SID, "a-x-0", "2025-05-01T09:30:00.000Z", "click", "cart_side_bar", semantic_id="cart.side"),
    ]


def test_actions() -> list[dict]:
    return [
        action(S3, "b-3-0", "2025-04-15T10:00:05.000Z", "input", semantic_id="nav_bar.search_input",
               input_text="rice cooker"),
        action(S3, "b-3-1", "2025-04-15T10:00:30.000Z", "click", "suggested_term", semantic_id="suggestions.rice_cooker"),
        action(S3, "b-3-2", "2025-04-15T10:01:00.000Z", "click", "product_link", element_meta=_meta(RICE),
               products=orjson.dumps([RICE]).decode()),
        action(S3, "b-3-3", "2025-04-15T10:04:50.000Z", "terminate"),
    ]


SURVEY = {"Demographic Information": {"Age": "34 years", "Employment status": "Employed full-time"},
          "Shopping Preference": {"Monthly online shopping spend $": "100-200"},
          "Big Five Scores": {"Openness": 4.2, "Neuroticism": 2.1}, "MBTI": "INTJ",
          "Self Description": {"Two sentence description": "I read every review. I hate returns."}}


def _write(df_rows: list[dict], path: Path, schema: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pl.DataFrame({c: [r.get(c) for r in df_rows] for c in schema}, schema=schema).write_parquet(path)


def write_quirks(tmp: Path, images: bool = True) -> Path:
    """Write the quirk folder under ``tmp``; returns the dataset root (holding ``OPeRA_filtered``)."""
    root = tmp / "OPeRA"
    v = root / "OPeRA_filtered"
    strings = {c: pl.String for c in ACTION_COLUMNS}
    _write(train_actions(), v / "action" / "train-00000-of-00001.parquet", strings)
    _write(test_actions(), v / "action" / "test-00000-of-00001.parquet", strings)
    sess = {"session_id": pl.String, "user_id": pl.String, "action_count": pl.Int64}
    _write([{"session_id": S1, "user_id": ALICE, "action_count": 7},        # 8 actions really
            {"session_id": S2, "user_id": ALICE, "action_count": 2}],
           v / "session" / "train" / "train.parquet", sess)
    _write([{"session_id": S3, "user_id": BOB, "action_count": 4},
            {"session_id": S_EMPTY, "user_id": BOB, "action_count": 3}],
           v / "session" / "test" / "test.parquet", sess)
    users = {"user_id": pl.String, "survey": pl.String, "raw_survey": pl.String,
             "interview_transcript": pl.String, "interview_transcript_processed": pl.String}
    alice = {"user_id": ALICE, "survey": orjson.dumps(SURVEY).decode(), "raw_survey": "{}",
             "interview_transcript": "", "interview_transcript_processed": "Careful buyer of kitchen items."}
    _write([alice, {"user_id": DAVE, "survey": "{}", "raw_survey": None, "interview_transcript": None,
                    "interview_transcript_processed": None}],
           v / "user" / "train" / "train.parquet", users)
    _write([alice, {"user_id": BOB, "survey": "{not json", "raw_survey": "", "interview_transcript": "",
                    "interview_transcript_processed": ""}],
           v / "user" / "test" / "test.parquet", users)
    if images:
        (v / "images").mkdir(parents=True, exist_ok=True)
        pl.DataFrame({"image": [{"bytes": _png(40, 30, 1), "path": "000123.jpg"}], "image_name": ["000123.jpg"]},
                     schema={"image": pl.Struct({"bytes": pl.Binary, "path": pl.String}),
                             "image_name": pl.String}).write_parquet(v / "images" / "train-00000-of-00001.parquet")
    return root
