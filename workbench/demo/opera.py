"""A synthetic dataset in OPeRA's Parquet layout (for the benchmark, tests and screenshots). Layer: pure.

:func:`write_opera` writes ``<out>/OPeRA_<version>/{action,session,user,images}`` as the Hugging
Face dataset ``NEU-HAI/OPeRA`` lays them out (sharded action and image tables, one session and one
user file per split), with the same columns and value shapes as its dataset card: JSON stored as
strings (``element_meta`` with JSON text inside), masked URLs, sparse rationales (mostly ""),
screenshot names that are sometimes empty, and heavy ``simplified_html``/``page_meta`` text of about
``html_chars`` characters. Deterministic for a seed. Nothing here is real shopper data.
"""

from __future__ import annotations

import random
import struct
import zlib
from datetime import datetime, timedelta
from pathlib import Path

import orjson
import polars as pl

_PRODUCTS = [
    ("Tiger JBV-S18U 10-Cup Microcomputer Controlled 4-in-1 Rice Cooker (White)", "B01L9SD3K0", "$139.99"),
    ("Zojirushi NS-LAC05 Micom 3-Cup Rice Cooker and Warmer", "B00WO6EK54", "$167.00"),
    ("COSORI Pro LE Air Fryer 5 QT, Compact Oilless Cooker", "B0936FGLQS", "$89.99"),
    ("Ninja AF101 Air Fryer that Crisps, Roasts, Reheats, 4 Quarts", "B07FDJMC9Q", "$99.99"),
    ("Bonide Captain Jack's Insecticidal Super Soap, 32 oz Ready-to-Use Spray", "B000HCNSWI", "$9.97"),
    ("Hanes Men's EcoSmart Fleece Sweatshirt, Crewneck", "B00JUM2VAO", "$14.00"),
    ("Anker Portable Charger, 313 Power Bank 10000mAh", "B07QXV6N1B", "$21.99"),
    ("Stanley Quencher H2.0 FlowState Stainless Steel Tumbler 40 oz", "B0CJZMP7L1", "$45.00"),
    ("Crocs Unisex-Adult Classic Clogs", "B0014C0LSY", "$49.99"),
    ("LEGO Classic Medium Creative Brick Box 10696", "B00NHQFA1I", "$34.99"),
    ("Logitech MX Master 3S Wireless Performance Mouse", "B09HM94VDS", "$99.99"),
    ("Bissell Little Green Multi-Purpose Portable Carpet Cleaner", "B0053NTDJE", "$123.59"),
]
_SEARCHES = ["rice cooker", "air fryer", "insecticidal soap", "crewneck sweatshirt", "power bank",
             "tumbler 40 oz", "crocs clogs", "lego classic", "wireless mouse", "carpet cleaner"]
#: Rationales by click type (shoppers were asked now and then; most actions have none).
_RATIONALES = {"review": "I want to compare the reviews before deciding.",
               "product_link": "This one looks cheaper than the others.",
               "product_option": "Checking if the colour I like is available.",
               "purchase": "Buy it, the price is good and the reviews are fine.",
               "filter": "Too many results, only the well-rated ones.",
               None: "I know what I want, let me search for it."}
_CLICKS = ["product_link", "product_link", "product_link", "product_option", "review", "filter",
           "page_related", "nav_bar", "cart_side_bar", "quantity", "other", "suggested_term"]


def _png(width: int, height: int, seed: int) -> bytes:
    """A small PNG of a mock shopping page (header bar and product tiles), stdlib only."""
    rnd = random.Random(seed)
    rows = []
    tiles = [(rnd.randrange(40, 200), rnd.randrange(40, 200), rnd.randrange(40, 200)) for _ in range(4)]
    for y in range(height):
        row = bytearray(b"\x00")
        for x in range(width):
            if y < height // 8:
                px = (35, 47, 62)
            elif height // 5 < y < height - 8 and 8 < x < width - 8:
                tile = min(3, (x - 8) * 4 // max(1, width - 16))
                inner = ((x - 8) % max(1, (width - 16) // 4)) > 6
                px = tiles[tile] if inner and y < height * 3 // 5 else (245, 245, 245)
            else:
                px = (255, 255, 255)
            row += bytes(px)
        rows.append(bytes(row))
    raw = zlib.compress(b"".join(rows), 6)

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", raw) + chunk(b"IEND", b""))


_WORDS = ("Deal", "Best Seller", "Prime", "Climate Pledge Friendly", "Limited time", "Small Business", "Overall Pick",
          "ships in 2 days", "Save 5% with coupon", "Options available", "Amazon's Choice", "bought in past month")


def _html(search: str, products: list[tuple[str, str, str]], chars: int, rnd: random.Random | None = None) -> str:
    cards = "".join(
        f'<div name="search_results.{t[:40].lower().replace(" ", "_")}"><span name="product_title">{t}</span>'
        f'<span name="price">{p}</span><button name="add_to_cart">Add to cart</button></div>'
        for t, _a, p in products)
    head = ('<html><head></head><body><div name="nav_bar" role="navigation" aria-label="Primary">'
            '<div name="nav_bar.homepage">Homepage</div><form role="search">'
            f'<input name="nav_bar.search_input" value="{search}"/></form></div>')
    body = head + cards
    rnd = rnd or random.Random(len(search))
    parts = [body]
    size = len(body)
    while size < chars:  # more result cards, varied like a real results page (compresses like one)
        t, a, _p = rnd.choice(_PRODUCTS)
        card = (f'<div name="search_results.r{rnd.randrange(10**6)}"><span name="product_title">{t} '
                f'{rnd.choice(_WORDS)}</span><span name="rating">{rnd.randint(30, 50) / 10} out of 5 stars '
                f'({rnd.randrange(20, 90000):,})</span><span name="price">${rnd.randrange(5, 400)}.{rnd.randrange(100):02d}'
                f'</span><a name="link" href="/dp/{a}?ref=sr_1_{rnd.randrange(60)}&URL_MASKED">{rnd.choice(_WORDS)}</a></div>')
        parts.append(card)
        size += len(card)
    body = "".join(parts)
    return body[:max(chars, len(head) + len(cards))] + "</body></html>"


def _session_actions(rnd: random.Random, start: datetime, html_chars: int, version: str) -> list[dict]:
    """The actions of one session: a search, some browsing, sometimes a purchase, then terminate."""
    out: list[dict] = []
    t = start
    search = rnd.choice(_SEARCHES)
    shown = rnd.sample(_PRODUCTS, 4)
    cart: list[dict] = []
    n = rnd.randint(4, 40)

    def add(action_type: str, click_type: str | None, semantic: str | None, product=None, text=None) -> None:
        nonlocal t
        t += timedelta(seconds=rnd.uniform(2, 40))
        meta = None
        if product is not None:
            meta = orjson.dumps({"name": "search_results", "data": orjson.dumps(
                {"title": product[0], "asin": product[1], "price": product[2], "quantity": ""}).decode()}).decode()
        elif click_type is not None:
            meta = orjson.dumps({"name": semantic or "other", "data": ""}).decode()
        page_meta = orjson.dumps({"search_term": [{"term": search}], "cart_items": cart}).decode()
        if len(page_meta) < html_chars // 8:
            page_meta = page_meta[:-1] + ', "masked_links": ' + orjson.dumps(
                ["/gp/product/" + p[1] + "?URL_MASKED" for p in shown] * (html_chars // 400 + 1)).decode() + "}"
        row = {
            "action_id": f"{rnd.getrandbits(128):032x}"[:8] + "-" + f"{rnd.getrandbits(64):016x}"[:4] + "-4"
                         + f"{rnd.getrandbits(64):016x}"[:3] + "-a" + f"{rnd.getrandbits(64):016x}"[:3] + "-"
                         + f"{rnd.getrandbits(64):016x}"[:12],
            "timestamp": t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z",
            "action_type": action_type, "click_type": click_type, "semantic_id": semantic,
            "mouse_position": (orjson.dumps({"clientX": rnd.randint(0, 1900), "clientY": rnd.randint(0, 900)}).decode()
                               if action_type != "terminate" else None),
            "element_meta": meta,
            "url": (f"https://www.amazon.com/s?k={search.replace(' ', '+')}&URL_MASKED" if product is None
                    else f"https://www.amazon.com/dp/{product[1]}?URL_MASKED"),
            "window_size": '{"width": 1920, "height": 934}',
            "page_meta": page_meta,
            "simplified_html": _html(search, shown, html_chars, rnd),
            "rationale": (_RATIONALES.get(click_type, "") if click_type in _RATIONALES and rnd.random()
                          < (0.4 if click_type == "purchase" else 0.04) else ""),
            "products": orjson.dumps([{"asin": p[1], "title": p[0], "price": p[2], "quantity": 1, "options": []}
                                      for p in ([product] if product else [])]).decode(),
            "input_text": text,
            "image": f"{rnd.randrange(10**6):06d}.jpg" if rnd.random() < 0.8 else "",
        }
        if version == "full":
            row.update(navigation_type=None, simplified_html_new_page=None, scroll_detail=None, target=None,
                       image_new_page="")
        out.append(row)

    add("input", None, "nav_bar.search_input", text=search)
    add("click", "search", "nav_bar.search_button")
    for _ in range(n):
        r = rnd.random()
        product = rnd.choice(shown)
        if version == "full" and r < 0.25:
            add("scroll", None, None)
            out[-1]["scroll_detail"] = '{"scroll_current_top": "812", "scroll_current_left": "0", ' \
                                       '"scroll_distance_x": "0", "scroll_distance_y": "400"}'
            continue
        click = rnd.choice(_CLICKS)
        sem = (f"search_results.{product[0][:40].lower().replace(' ', '_')}.product_title"
               if click == "product_link" else f"{click}.button")
        add("click", click, sem, product if click in ("product_link", "product_option", "review") else None)
    if rnd.random() < 0.35:
        product = rnd.choice(shown)
        cart.append({"title": product[0], "asin": product[1], "price": product[2], "url": "/gp/product/"
                     + product[1] + "?URL_MASKED", "quantity": "1"})
        add("click", "purchase", "product_detail.buy_now", product)
    if version == "filtered":
        add("terminate", None, None)
    return out


def write_opera(out: str | Path, n_actions: int = 28_904, n_users: int = 51, seed: int = 7,
                html_chars: int = 4000, version: str = "full", images: bool = True,
                rows_per_shard: int = 4000, test_share: float = 0.15) -> Path:
    """Write an OPeRA-shaped dataset of exactly ``n_actions`` actions; returns the version folder."""
    rnd = random.Random(seed)
    root = Path(out) / f"OPeRA_{version}"
    users = [f"{rnd.getrandbits(128):032x}" for _ in range(n_users)]
    users = [f"{u[:8]}-{u[8:12]}-{u[12:16]}-{u[16:20]}-{u[20:]}" for u in users]
    actions: dict[str, list[dict]] = {"train": [], "test": []}
    sessions: dict[str, list[dict]] = {"train": [], "test": []}
    day0 = datetime(2025, 3, 24, 14, 0)
    total = 0
    while total < n_actions:
        user = users[rnd.randrange(n_users)]
        start = day0 + timedelta(days=rnd.uniform(0, 44), minutes=rnd.uniform(0, 600))
        acts = _session_actions(rnd, start, html_chars, version)[: n_actions - total]
        end = datetime.strptime(acts[-1]["timestamp"], "%Y-%m-%dT%H:%M:%S.%fZ") + timedelta(seconds=1)
        sid = f"{user}_{start.isoformat(timespec='microseconds')}Z_{end.isoformat(timespec='microseconds')}Z"
        split = "test" if rnd.random() < test_share else "train"
        for a in acts:
            a["session_id"] = sid
        actions[split].extend(acts)
        sessions[split].append({"session_id": sid, "user_id": user, "action_count": len(acts)})
        total += len(acts)
    columns = ["session_id", "action_id", "timestamp", "action_type", "click_type", "semantic_id",
               "mouse_position", "element_meta", "url", "window_size", "page_meta", "simplified_html",
               "rationale", "products", "input_text", "image"]
    if version == "full":
        columns += ["navigation_type", "simplified_html_new_page", "scroll_detail", "target", "image_new_page"]
    for split, rows in actions.items():
        if not rows:
            continue
        (root / "action").mkdir(parents=True, exist_ok=True)
        shards = max(1, -(-len(rows) // rows_per_shard))
        for k in range(shards):
            part = rows[k * rows_per_shard:(k + 1) * rows_per_shard]
            pl.DataFrame({c: [r.get(c) for r in part] for c in columns},
                         schema={c: pl.String for c in columns}).write_parquet(
                root / "action" / f"{split}-{k:05d}-of-{shards:05d}.parquet", row_group_size=512)
        (root / "session" / split).mkdir(parents=True, exist_ok=True)
        pl.DataFrame(sessions[split], schema={"session_id": pl.String, "user_id": pl.String,
                                              "action_count": pl.Int64}).write_parquet(
            root / "session" / split / f"{split}.parquet")
    _write_users(root, users, sessions, rnd)
    if images:
        _write_images(root, actions, rnd)
    return root


def _write_users(root: Path, users: list[str], sessions: dict, rnd: random.Random) -> None:
    for split, rows in sessions.items():
        ids = sorted({s["user_id"] for s in rows})
        if not ids:
            continue
        surveys = [orjson.dumps({
            "Demographic Information": {"Age": f"{rnd.randint(19, 64)} years", "Gender": rnd.choice(["Female", "Male"]),
                                        "Employment status": rnd.choice(["Student", "Employed full-time", "Retired"])},
            "Shopping Preference": {"Monthly online shopping spend $": rnd.choice(["50-100", "100-200", "200+"]),
                                    "Reads reviews before buying": rnd.choice(["Always", "Sometimes"])},
            "Big Five Scores": {k: round(rnd.uniform(1, 5), 1) for k in
                                ("Openness", "Conscientiousness", "Extraversion", "Agreeableness", "Neuroticism")},
            "MBTI": rnd.choice(["INTJ", "ENFP", "ISTJ", "ESFJ"]),
            "Self Description": {"Two sentence description": "I compare prices a lot. I rarely buy on impulse."},
        }).decode() for _ in ids]
        (root / "user" / split).mkdir(parents=True, exist_ok=True)
        pl.DataFrame({"user_id": ids, "survey": surveys, "raw_survey": surveys,
                      "interview_transcript": ["" for _ in ids],
                      "interview_transcript_processed": ["Prefers well-reviewed kitchen items." for _ in ids]},
                     schema={c: pl.String for c in ("user_id", "survey", "raw_survey", "interview_transcript",
                                                    "interview_transcript_processed")}).write_parquet(
            root / "user" / split / f"{split}.parquet")


def _write_images(root: Path, actions: dict, rnd: random.Random) -> None:
    """Screenshots for most named images (some names stay without pixels, as in the real release)."""
    (root / "images").mkdir(parents=True, exist_ok=True)
    for split, rows in actions.items():
        names = [r["image"] for r in rows if r.get("image")][:400]
        names = [n for n in names if rnd.random() < 0.9]
        if not names:
            continue
        png = [_png(160, 100, zlib.crc32(n.encode())) for n in names]
        pl.DataFrame({"image": [{"bytes": b, "path": n} for b, n in zip(png, names)], "image_name": names},
                     schema={"image": pl.Struct({"bytes": pl.Binary, "path": pl.String}),
                             "image_name": pl.String}).write_parquet(
            root / "images" / f"{split}-00000-of-00001.parquet")
