"""What the shopper saw: the heavy OPeRA columns of one event, read on demand. Layer: traces (pure).

The importer (:mod:`workbench.traces.opera`) leaves ``simplified_html``, ``page_meta`` and the
screenshots on disk; each event's ``context.source`` names its action file and row. :func:`observe`
reads that one row (Parquet row groups keep this to one small read) and, when an image table is
present, the screenshot whose ``image_name`` is the event's ``image``. :func:`html_text` turns the
simplified HTML into readable text (block elements on their own lines, scripts dropped), and
:func:`page_text` cuts it to a character budget for prompts.
"""

from __future__ import annotations

import html as html_lib
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
import polars as pl

from workbench.traces.errors import TraceError, TraceIssue

if TYPE_CHECKING:
    from workbench.traces.opera import OperaTraceSet

_BLOCK = frozenset({"div", "p", "li", "ul", "ol", "tr", "table", "form", "section", "header", "footer",
                    "nav", "h1", "h2", "h3", "h4", "h5", "h6", "br", "button", "select", "option", "body"})
_SKIP = frozenset({"script", "style", "noscript", "svg", "head"})


@dataclass
class Observation:
    """The page at one OPeRA event. ``image`` holds the screenshot bytes (PNG/JPEG) or None, and
    ``image_note`` says why there is none."""

    user_id: str
    event_index: int
    url: str | None = None
    url_masked: bool = False
    search_term: str | None = None
    cart_items: list[dict] = field(default_factory=list)
    products: list[dict] = field(default_factory=list)
    simplified_html: str | None = None
    page_meta: Any = None
    image_name: str | None = None
    image: bytes | None = None
    image_note: str = ""
    rationale: str | None = None

    def html_as_text(self, max_chars: int | None = None) -> str:
        """The page's simplified HTML as readable text, cut to ``max_chars`` characters when given."""
        return page_text(self.simplified_html or "", max_chars)


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in _SKIP:
            self.skip += 1
        elif tag in _BLOCK:
            self.parts.append("\n")
        if tag == "input" and not self.skip:
            value = dict(attrs).get("value")
            if value:
                self.parts.append(f"[{value}]")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip = max(0, self.skip - 1)
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip and data.strip():
            self.parts.append(data.strip() + " ")


def html_text(html: str) -> str:
    """Readable text of (simplified) HTML: one line per block element, blank lines collapsed."""
    if not html:
        return ""
    parser = _TextParser()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # noqa: BLE001 - html.parser is lenient; anything else falls back to the raw text
        return html_lib.unescape(html)
    lines = [" ".join(line.split()) for line in "".join(parser.parts).split("\n")]
    return "\n".join(line for line in lines if line)


def page_text(html: str, max_chars: int | None = None) -> str:
    """``html_text`` cut to ``max_chars`` characters (on a line break when one is near), with a note
    saying how much was left out."""
    text = html_text(html)
    if max_chars is None or len(text) <= max_chars:
        return text
    cut = text.rfind("\n", int(max_chars * 0.8), max_chars)
    cut = cut if cut > 0 else max_chars
    return text[:cut] + f"\n[… {len(text) - cut:,} more characters of the page left out]"


def _row(path: Path, row: int, columns: list[str]) -> dict[str, Any]:
    try:
        names = pl.read_parquet_schema(path)
        cols = [c for c in columns if c in names]
        if not cols:
            return {}
        frame = pl.scan_parquet(path).select(cols).slice(row, 1).collect()
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise TraceError(TraceIssue(str(path), expected="a readable OPeRA action table",
                                    message=str(exc).splitlines()[0][:200] if str(exc) else "")) from None
    return frame.row(0, named=True) if frame.height else {}


def _image_index(traces: OperaTraceSet) -> dict[str, tuple[int, int]]:
    """image_name -> (image file number, row), built once per trace set from the names only."""
    index = getattr(traces, "image_index", None)
    if index is not None:
        return index
    index = {}
    for i, t in enumerate(traces.tables.images):
        try:
            names = pl.read_parquet(t.path, columns=["image_name"])["image_name"].to_list()
        except (OSError, pl.exceptions.PolarsError):
            continue
        for r, name in enumerate(names):
            if isinstance(name, str):
                index.setdefault(name, (i, r))
    traces.image_index = index
    return index


def _image_bytes(value: Any) -> bytes | None:
    """Pixels from Hugging Face's image column (``{bytes, path}``) or a plain binary column."""
    if isinstance(value, dict):
        value = value.get("bytes")
    return bytes(value) if isinstance(value, (bytes, bytearray, memoryview)) and len(value) else None


def screenshot(traces: OperaTraceSet, name: str | None) -> tuple[bytes | None, str]:
    """(image bytes or None, a note saying why there is none)."""
    if not name:
        return None, "no screenshot was taken for this action"
    if not traces.tables.images:
        return None, f"screenshot {name}: no image table in this folder (images/*.parquet)"
    where = _image_index(traces).get(name)
    if where is None:
        return None, f"screenshot {name} is not in the image table"
    t = traces.tables.images[where[0]]
    value = _row(t.path, where[1], ["image"]).get("image")
    data = _image_bytes(value)
    return (data, "") if data else (None, f"screenshot {name} has no pixels in {t.path.name}")


def observe(traces: OperaTraceSet, user_id: str, event_index: int, *, with_image: bool = True) -> Observation:
    """The observation at one event of an OPeRA trace set. Raises :class:`TraceError` naming the
    file when the action table cannot be read, ``KeyError`` for an unknown event."""
    row = traces.user_events(user_id).filter(pl.col("event_index") == event_index)
    if not row.height:
        raise KeyError(f"user {user_id}: no event {event_index}")
    ctx = orjson.loads(row["context"][0] or "{}")
    src = ctx.get("source") or {}
    obs = Observation(user_id=user_id, event_index=event_index, url=ctx.get("url"),
                      url_masked=bool(ctx.get("url_masked")), image_name=ctx.get("image"),
                      rationale=ctx.get("rationale"))
    products = ctx.get("products")
    obs.products = [p for p in products if isinstance(p, dict)] if isinstance(products, list) else []
    if src.get("file") is not None:
        path = Path(traces.tables.root) / src["file"]
        heavy = _row(path, int(src.get("row", 0)), ["simplified_html", "page_meta"])
        obs.simplified_html = heavy.get("simplified_html")
        meta_text = heavy.get("page_meta")
        try:
            obs.page_meta = orjson.loads(meta_text) if meta_text else None
        except orjson.JSONDecodeError:
            obs.page_meta = meta_text
    meta = obs.page_meta if isinstance(obs.page_meta, dict) else {}
    terms = meta.get("search_term")
    if isinstance(terms, list):
        words: list[str] = [t["term"] for t in terms if isinstance(t, dict) and isinstance(t.get("term"), str)]
        obs.search_term = next((w.strip() for w in words if w.strip()), None)
    elif isinstance(terms, str) and terms.strip():
        obs.search_term = terms.strip()
    cart = meta.get("cart_items")
    obs.cart_items = [c for c in cart if isinstance(c, dict)] if isinstance(cart, list) else []
    if with_image:
        obs.image, obs.image_note = screenshot(traces, obs.image_name)
    return obs
