"""Build the canonical OPeRA rows, vectorised. Layer: traces (pure; no Qt).

:func:`build_events` turns the ordered action rows (see :mod:`workbench.traces.opera`) into the
canonical frame. Every distinct JSON text of a column (window sizes, product lists and element
metadata repeat a lot) is parsed once in Python; the rest is polars expressions: the context is the
JSON of the light string fields (``struct.json_encode``) with the parsed JSON fields spliced in
(re-dumped compactly; text that does not parse is kept as a JSON string and warned about), so the
import costs about as much as reading the light columns.
"""

from __future__ import annotations

from typing import Any

import orjson
import polars as pl

from workbench.traces import schema
from workbench.traces.errors import IssueLog, TraceIssue

#: JSON text columns of the action table (parsed into the context).
JSON_FIELDS = ("element_meta", "products", "mouse_position", "window_size", "scroll_detail")
#: Click types that are searches (search lane).
SEARCH_CLICKS = ("search", "suggested_term")
#: Action types the dataset card names (filtered: click, input, terminate; full: click, scroll,
#: input, navigation, tab_activate, spelled ``tabActivate`` in one place of the card).
KNOWN_ACTION_TYPES = ("click", "input", "terminate", "scroll", "navigation", "tab_activate", "tabActivate")
_MASK = "URL_MASKED"
_ISO = "%Y-%m-%dT%H:%M:%S%.fZ"
TITLE_CHARS = 200


def loads(text: Any) -> tuple[Any, bool]:
    """(parsed JSON, ok). Empty or null text is (None, True)."""
    if text is None or not isinstance(text, str) or not text.strip():
        return None, True
    try:
        return orjson.loads(text), True
    except orjson.JSONDecodeError:
        return text, False


def _title_of(value: Any, name: str) -> str | None:
    """The product a JSON value names: element metadata's own ``data.title``, or the only product."""
    if name == "element_meta" and isinstance(value, dict):
        data = value.get("data")
        if isinstance(data, dict) and isinstance(data.get("title"), str) and data["title"].strip():
            return data["title"].strip()
    if name == "products" and isinstance(value, list) and len(value) == 1 and isinstance(value[0], dict):
        title = value[0].get("title")
        if isinstance(title, str) and title.strip():
            return title.strip()
    return None


def _json_maps(texts: list[str], name: str) -> tuple[dict[str, str], dict[str, str], dict[str, str], set[str]]:
    """For each distinct text: its compact JSON, its product title, its ``items`` JSON; the bad ones."""
    as_json: dict[str, str] = {}
    titles: dict[str, str] = {}
    items: dict[str, str] = {}
    bad: set[str] = set()
    dumps = orjson.dumps
    for text in texts:
        value, ok = loads(text)
        if not ok:
            bad.add(text)
            as_json[text] = dumps(text).decode()
            continue
        if name == "element_meta" and isinstance(value, dict) and isinstance(value.get("data"), str):
            inner, inner_ok = loads(value["data"])  # JSON text inside the JSON: parse it too
            if inner_ok and inner is not None:
                value = {**value, "data": inner}
        as_json[text] = "null" if value is None else dumps(value).decode()
        title = _title_of(value, name)
        if title:
            titles[text] = title
        if name == "products" and isinstance(value, list):
            items[text] = dumps([{"title": p.get("title"), "asin": p.get("asin"), "price": p.get("price")}
                                 for p in value if isinstance(p, dict)]).decode()
    return as_json, titles, items, bad


def _mapped(col: str, mapping: dict[str, str]) -> pl.Expr:
    if not mapping:
        return pl.lit(None, pl.String)
    return pl.col(col).replace_strict(mapping, default=None, return_dtype=pl.String)


def _blank_to_null(expr: pl.Expr) -> pl.Expr:
    s = expr.str.strip_chars()
    return pl.when(s.str.len_chars() > 0).then(s).otherwise(None)


def build_events(actions: pl.DataFrame, files: list[str], paths: list[str], issues: IssueLog) -> pl.DataFrame:
    """The canonical frame (``EVENT_SCHEMA`` + ``session_id``/``rationale``) of ordered action rows
    (columns of ``opera_tables.ACTION_LIGHT`` plus ``user_id``, ``event_index``, ``_file``, ``_row``,
    ``_split``). ``files``: each action file's path relative to the tables' root (the ``source`` of
    the heavy columns), ``paths``: its full path (for warnings)."""
    json_cols, titles, items_expr = _json_columns(actions, paths, issues)
    _warn_odd_types(actions, paths, issues)
    a, c = pl.col("action_type"), pl.col("click_type")
    mapped = (pl.when((a == "click") & (c == "purchase")).then(pl.lit("purchase"))
              .when((a == "click") & c.is_in(SEARCH_CLICKS)).then(pl.lit("search"))
              .when(a == "click").then(pl.lit("click"))
              .when(a == "input").then(pl.lit("search"))
              .otherwise(pl.coalesce(a, pl.lit("unknown"))))
    label = (pl.col("semantic_id").str.split(".").list.eval(pl.element().filter(pl.element().str.len_chars() > 0))
             .list.slice(-2).list.join(" › ").str.replace_all("_", " "))
    df = actions.with_columns(
        _type=mapped,
        _item=pl.coalesce(titles["element_meta"], titles["products"]),
        _items=items_expr,
        _keyword=pl.when(a == "input").then(_blank_to_null(pl.col("input_text"))).otherwise(None),
        _why=_blank_to_null(pl.col("rationale")),
        _image=_blank_to_null(pl.col("image")),
        _image_new=_blank_to_null(pl.col("image_new_page")),
        _label=pl.when(label.str.len_chars() > 0).then(label).otherwise(None),
        _source_file=pl.col("_file").replace_strict(dict(enumerate(files)), return_dtype=pl.String),
        **{f"_{n}": e for n, e in json_cols.items()},
    )
    head = pl.struct(
        pl.col("session_id"), pl.col("action_id"),
        pl.when(pl.col("_split") == "").then(None).otherwise(pl.col("_split")).alias("split"),
        a, c, pl.col("semantic_id"), pl.col("input_text"), pl.col("url"),
        pl.col("url").str.contains(_MASK, literal=True).fill_null(False).alias("url_masked"),
        pl.col("_why").alias("rationale"), pl.col("_image").alias("image"),
        pl.col("navigation_type"), pl.col("target"), pl.col("_image_new").alias("image_new_page"),
        pl.col("_item").alias("item_title"), pl.col("_keyword").alias("keyword"),
        pl.struct(pl.col("_source_file").alias("file"), pl.col("_row").alias("row")).alias("source"),
    ).struct.json_encode()
    context = pl.concat_str([head.str.head(-1),
                             *[pl.concat_str([pl.lit(f',"{n}":'), pl.col(f"_{n}")]) for n in JSON_FIELDS],
                             pl.lit(',"items":'), pl.col("_items").fill_null("null"), pl.lit("}")])
    acts = pl.concat_str([pl.lit("["), pl.struct(
        pl.col("_type").alias("type"), a, c, pl.col("semantic_id"), pl.col("input_text"),
        pl.col("_keyword").alias("keyword"), pl.col("_item").alias("item_title")).struct.json_encode(), pl.lit("]")])
    t = pl.col("_type")
    title = (pl.when(t == "search").then(pl.coalesce(pl.col("_keyword"), pl.col("_item"), pl.col("_label"),
                                                     pl.lit("search")))
             .when(a == "terminate").then(pl.lit("session end"))
             .otherwise(pl.coalesce(pl.col("_item"), pl.col("_label"), c, a)))
    out = df.select(
        pl.col("user_id"), pl.col("event_index"),
        pl.col("timestamp").str.strptime(pl.Datetime("us"), _ISO, strict=False).alias("ts"),
        pl.col("timestamp").alias("ts_raw"), pl.lit(False).alias("ts_date_only"),
        pl.when(t == "search").then(pl.lit(schema.SEARCH)).otherwise(pl.lit(schema.SHOP)).alias("scenario"),
        a.alias("scenario_raw"), pl.lit(True).alias("has_context"),
        context.alias("context"), acts.alias("actions"), pl.concat_list(t).alias("action_types"),
        *[(t == x).alias(schema.act_column(x)) for x in schema.ACTION_TYPES],
        pl.lit(None, pl.Float64).alias("watch_seconds"), pl.lit(0, pl.Int64).alias("like_count"),
        pl.lit(0, pl.Int64).alias("comment_count"), pl.lit(None, pl.Float64).alias("gift_amount"),
        pl.when(t == "purchase").then(pl.lit(schema.OUTCOME_CONVERT))
        .when(a.is_in(["click", "input"])).then(pl.lit(schema.OUTCOME_ENGAGE))
        .otherwise(pl.lit(schema.OUTCOME_VIEW)).alias("outcome"),
        title.str.slice(0, TITLE_CHARS).alias("title"), pl.lit(None, pl.String).alias("category"),
        pl.col("session_id").alias(schema.SESSION_COLUMN), pl.col("_why").alias("rationale"),
    )
    return out


def _json_columns(actions: pl.DataFrame, paths: list[str], issues: IssueLog
                  ) -> tuple[dict[str, pl.Expr], dict[str, pl.Expr], pl.Expr]:
    """Per JSON field, the expression of its text as JSON (``null`` when absent) and of the title
    it names, and the expression of the products' item list; text that does not parse is kept as
    text with a warning per event."""
    json_cols: dict[str, pl.Expr] = {}
    titles: dict[str, pl.Expr] = {}
    items_expr: pl.Expr = pl.lit(None, pl.String)
    for name in JSON_FIELDS:
        texts = actions[name].drop_nulls().unique().to_list()
        as_json, title_map, item_map, bad = _json_maps(texts, name)
        json_cols[name] = _mapped(name, as_json).fill_null("null")
        titles[name] = _mapped(name, title_map)
        if name == "products":
            items_expr = _mapped(name, item_map)
        if bad:
            hit = actions.filter(pl.col(name).is_in(list(bad)))
            for user, index, file_i, text in hit.select("user_id", "event_index", "_file", name).iter_rows():
                issues.add(TraceIssue(paths[file_i], user, index, name, "JSON text",
                                      f"does not parse ({text[:60]!r}); kept as text"))
    return json_cols, titles, items_expr


def _warn_odd_types(actions: pl.DataFrame, paths: list[str], issues: IssueLog) -> None:
    """A warning for every action whose type is not one OPeRA documents (the action is kept)."""
    odd = actions.filter(~pl.col("action_type").is_in(KNOWN_ACTION_TYPES) | pl.col("action_type").is_null())
    for user, index, file_i, t in odd.select("user_id", "event_index", "_file", "action_type").iter_rows():
        issues.add(TraceIssue(paths[file_i], user, index, "action_type",
                              "click, input, terminate (or scroll, navigation, tab_activate)",
                              f"found {t!r}; kept"))
