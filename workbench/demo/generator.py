"""Deterministic synthetic OmniBehavior traces: the workbench's embedded demo dataset.

Layer: demo (pure; no Qt). Output is the released OmniBehavior JSON format (docs/benchmark.md#data-format), one file per
user, ``{user_id: {"user_profile": str, "action_history": [event, ...]}}``, with the same field names,
types and quirks as the real data: Search events without ``context``; date-only Advertisement
timestamps (several ads on one day share a timestamp); old ads with the full key set mostly null and
later ads omitting those keys; Video metadata missing (absent caption, ``duration: 0``) for about a
third of the videos; a few string durations like "60秒"; three Live key-set variants; ``item_desc``
null; ``item_price`` sometimes ``0.0``; ``product_id`` strings; ``is_add_to_cart``/``is_pay`` that
can be false; ``reduce_similar_cnt`` next to the misspelt ``reduce_simliar_cnt``; Chinese search
keywords and 万 buckets (``10w-100w``) in English data; empty strings for missing OCR/ASR.

Layout of ``out_dir`` (the folder itself is what the GUI and ``workbench info`` open):

* ``<user_id>.json``          one per user (EN users use English scenario names, ZH users Chinese)
* ``meta/manifest.json``      generator version, seed, users with label, language and event count
* ``meta/chains.json``        the planted cross-scenario chains with their event indices
* ``combined/all_users.json`` optional: every user in one file (``combined=True``)

The sidecars live in sub-folders because a folder loader reads every ``*.json`` directly inside.

Determinism: each user draws from ``numpy.random.default_rng([seed, user_number])``; same seed gives
byte-identical files, and one user's parameters never change another user's events.

Statistics: engagement (like, comment, share, follow, gift, purchase) is under 10% of events for
most actions, with persona-dependent rates (some users never comment, one buys a lot); watch time is
lognormal with many quick skips and completion falls with video duration; activity follows a daily
rhythm (few events at night, peaks at lunch and in the evening) and a weekly one; feed events come in
sessions (bursts of consecutive videos seconds apart).
"""

from __future__ import annotations

import gc
import os
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import numpy as np
import orjson

from workbench.demo import dialogues, textbank
from workbench.demo.context import (
    _DAY0, _DAY_STR, _END_SEC, _SCEN, N_DAYS, SCENARIO_EN, START, _Ctx, _fans_range, _fmt, _hour_p, _pools,
)
from workbench.demo.feed import _feed, _live_event, _title
from workbench.demo.personas import PERSONAS, Persona
from workbench.fileio import atomic_write_bytes

if TYPE_CHECKING:
    from workbench.tasks import TaskState

#: Bump when the output changes; ``ensure_demo_dataset`` regenerates folders with another version.
GENERATOR_VERSION = "1"

HEAVY_EVENTS = 100_000

#: Long-horizon chains planted per user (product keys of ``textbank.PRODUCTS``). Each chain is:
#:
#: 1. ``search``: a Search Behavior event whose ``search`` action has the product's Chinese short
#:    name as ``keyword`` (e.g. "露营帐篷"; Chinese even in EN data, as in the real sample);
#: 2. ``video`` x3-6: Video Browsing events on the same and the following 6 days whose caption, OCR
#:    and ASR mention the short name in the user's language ("camping tent"), most captions also
#:    the product model ("Outdoor Camping Tent 3-4 Person"); the first one comes 2-40 minutes after
#:    the search (same session);
#: 3. ``live`` x1-2: selling Live Streaming events (``is_shop_live`` true, full key set) 2-8 days after
#:    the search, the title names the short name and ``items`` lists the product; sometimes a
#:    ``click_cart`` action on it;
#: 4. ``cart`` (70%): an E-commerce event with ``is_add_to_cart`` true, 4-8 days after the search;
#: 5. ``purchase``: an E-commerce event for the exact ``item_title`` with ``is_pay`` true, at least
#:    7 days after the search (the long horizon) and after every earlier step; its category names
#:    are the product's;
#: 6. ``service`` (65%): a Customer Service event 1-4 days after the purchase whose ``product_name``
#:    is the item title and ``pay_order_time`` the purchase timestamp (delivery, quality or refund).
#:
#: ``meta/chains.json`` records, per chain, every step's ``event_index`` after sorting, so the
#: causal-chain finder can be tested against known answers.
CHAINS: dict[str, tuple[str, ...]] = {p.user_id: p.chains for p in PERSONAS}

_AD_FULL_KEYS_UNTIL = _DAY0 + 44  # ads before 2025-10-15 carry the full (mostly null) key set


# -- ads, search, shopping, service ---------------------------------------------------------------


def _ads(ctx: _Ctx) -> None:
    p, rng, zh = ctx.p, ctx.rng, ctx.lang == "zh"
    ads = textbank.ADS_ZH if zh else textbank.ADS_EN
    caps = textbank.AD_CAPTIONS_ZH if zh else textbank.AD_CAPTIONS_EN
    per_day = rng.poisson(p.ads_per_day, N_DAYS)
    for d, k in enumerate(per_day.tolist()):
        day = _DAY0 + d
        ts = _DAY_STR[day]
        for _ in range(k):
            a = int(rng.integers(len(ads)))
            product, main, sub = ads[a]
            show = 1 + int(rng.geometric(0.6)) - 1
            has_cap = rng.random() < 0.6
            if day < _AD_FULL_KEYS_UNTIL:
                c: dict[str, Any] = {
                    "product": product, "industry_main": main, "industry_sub": sub, "is_verified": None,
                    "verification_type": None, "fans_user_num": None,
                    "fans_user_num_op_range": "10w-100w" if rng.random() < 0.3 else None,
                    "caption": caps[a] if has_cap else None, "photo_type": None, "duration": None,
                    "upload_timestamp": None, "show_cnt": show, "play_cnt": show if rng.random() < 0.4 else None,
                    "complete_play_cnt": None, "like_cnt": None, "comment_cnt": None, "share_cnt": None,
                    "collect_cnt": None, "download_cnt": None, "follow_cnt": None, "report_cnt": None,
                    "reduce_similar_cnt": None, "ocr_text": None, "asr_text": None}
            else:
                c = {"product": product, "industry_main": main, "industry_sub": sub, "show_cnt": show}
                if has_cap:
                    c["caption"] = caps[a]
                if rng.random() < 0.3:
                    c["fans_user_num_op_range"] = "1w-10w"
            acts: list[dict[str, Any]] = []
            if rng.random() < 0.95:
                acts.append({"type": "watch", "is_complete_play": bool(rng.random() < 0.18)})
            if rng.random() < p.ad_convert or not acts:
                acts.append({"type": "conversion", "conversion_cnt": 1 + int(rng.random() < 0.2)})
                if rng.random() < 0.5:
                    acts.append({"type": "activation", "activation_cnt": int(rng.random() < 0.6)})
                if rng.random() < 0.25:
                    acts.append({"type": "submit", "form_submit_total_cnt": int(rng.random() < 0.7)})
            if rng.random() < 0.01:
                acts.append({"type": "like", "like_cnt": 1})
            ctx.add(ts, {"type": ctx.scen["ad"], "timestamp": ts, "context": c, "action": acts})


def _search_event(ctx: _Ctx, sec: int, keyword: str, lookup: bool, clicks: int | None) -> tuple[str, dict]:
    ts = _fmt(sec)
    acts: list[dict[str, Any]] = [
        {"type": "search", "keyword": keyword, "query_category": "查询型" if lookup else "浏览型"},
        {"type": "show", "show_cnt": int(ctx.rng.integers(4, 60))}]
    if clicks is not None:
        acts.append({"type": "click", "click_cnt": clicks})
    return ts, {"type": ctx.scen["search"], "timestamp": ts, "action": acts}


def _searches(ctx: _Ctx) -> None:
    p, rng = ctx.p, ctx.rng
    kws = [k for key in p.topics if key in textbank.EN_TOPICS for k in textbank.EN_TOPICS[key].keywords_zh]
    kws += list(textbank.GENERIC_KEYWORDS_ZH)
    for d, k in enumerate(rng.poisson(p.searches_per_week / 7.0, N_DAYS).tolist()):
        for _ in range(k):
            sec = ctx.day_time(_DAY0 + d)
            x = rng.random()
            clicks = None if x < 0.35 else 0 if x < 0.38 else 1 + int(rng.geometric(0.6)) - 1
            ctx.add(*_search_event(ctx, sec, kws[int(rng.integers(len(kws)))], rng.random() < 0.6, clicks))


def _shop_context(ctx: _Ctx, key: str, source: int | None = None) -> dict[str, Any]:
    rng, zh = ctx.rng, ctx.lang == "zh"
    prod = textbank.PRODUCTS[key]
    sales = int(np.exp(rng.normal(np.log(3000), 1.5)))
    buyers = int(sales * rng.uniform(0.6, 0.95))
    srcs = textbank.PRODUCT_SOURCES_ZH if zh else textbank.PRODUCT_SOURCES_EN
    cats, inds = (prod.cats_zh, prod.inds_zh) if zh else (prod.cats_en, prod.inds_en)
    pid = ctx.product_ids[key]
    return {
        "item_title": _title(prod, zh), "item_desc": None if rng.random() < 0.92 else _title(prod, zh) + (
            "，品质保证，七天无理由退换。" if zh else ". Quality guaranteed, 7-day no-reason returns."),
        "product_source": srcs[int(rng.integers(2)) if source is None else source],
        "item_price": 0.0 if rng.random() < 0.05 else round(prod.price * float(rng.choice([1.0, 0.9, 0.85, 1.1])), 1),
        "category_level1_name": cats[0], "category_level2_name": cats[1], "category_level3_name": cats[2],
        "industry_level1_name": inds[0], "industry_level2_name": inds[1], "industry_level3_name": inds[2],
        "item_num_180d_sales": sales, "item_num_good_assess": int(sales * rng.uniform(0.2, 0.6)),
        "item_num_180d_buyer": buyers, "item_num_180d_rebuyer": int(buyers * rng.uniform(0.02, 0.2)),
        "item_num_180d_cart": int(sales * rng.uniform(1.2, 3.0)), "product_id": pid,
        "item_main_image_url": f"https://img.demo-shop.example/item/{pid}.jpg",
        "external_item_title": "" if rng.random() < 0.7 else _title(prod, zh), "pay_item_qty": 0}


def _shopping(ctx: _Ctx) -> None:
    p, rng = ctx.p, ctx.rng
    for d, k in enumerate(rng.poisson(p.shop_per_week / 7.0, N_DAYS).tolist()):
        for _ in range(k):
            key = p.products[int(rng.integers(len(p.products)))]
            sec = ctx.day_time(_DAY0 + d)
            ts = _fmt(sec)
            c = _shop_context(ctx, key)
            x = rng.random()
            if x < 0.5:
                acts = [{"type": "cart", "is_add_to_cart": bool(rng.random() < 0.8)}]
            else:
                paid = bool(rng.random() < p.pay_rate)
                acts = [{"type": "purchase", "is_pay": paid}]
                if x > 0.92:
                    acts.insert(0, {"type": "cart", "is_add_to_cart": True})
                if paid and rng.random() < p.cs_rate and d < N_DAYS - 2:
                    cat = str(rng.choice(["logistics", "quality", "refund", "price"], p=[0.5, 0.2, 0.2, 0.1]))
                    _service(ctx, sec + int(rng.integers(1, 5)) * 86400 + int(rng.integers(-3 * 3600, 4 * 3600)),
                             key, cat, ts, c["item_price"])
            ctx.add(ts, {"type": ctx.scen["shop"], "timestamp": ts, "context": c, "action": acts})
    # pre-sales questions, some followed by buying
    for d, k in enumerate(rng.poisson(p.cs_rate * p.shop_per_week / 30.0, N_DAYS).tolist()):
        for _ in range(k):
            key = p.products[int(rng.integers(len(p.products)))]
            _service(ctx, ctx.day_time(_DAY0 + d), key, "presale", None, textbank.PRODUCTS[key].price)


def _service(ctx: _Ctx, sec: int, key: str, category: str, pay_ts: str | None, price: float,
             tag: Any = None) -> None:
    p, rng, zh = ctx.p, ctx.rng, ctx.lang == "zh"
    sec = min(sec, _END_SEC - int(rng.integers(60, 3600)))
    ts = _fmt(sec)
    prod = textbank.PRODUCTS[key]
    styles = list(p.cs_styles)
    sw = np.array([p.cs_styles[s] for s in styles], dtype=float)
    style = styles[int(rng.choice(len(styles), p=sw / sw.sum()))]
    cats = prod.cats_zh if zh else prod.cats_en
    days = 1 + int(rng.integers(2, 9))
    turns = dialogues.build_dialogue(rng, ctx.lang, category, style, textbank.SHORT_NAMES[key][1 if zh else 0], days)
    fee = [0, 0, 0, 6.0, "8.00", "0"][int(rng.integers(6))]
    c: dict[str, Any] = {
        "ticket_category": (dialogues.TICKET_ZH if zh else dialogues.TICKET_EN)[category],
        "product_name": _title(prod, zh), "product_category_info": (" / " if zh else " > ").join(cats),
        "item_price": price, "item_qty": 1 if rng.random() < 0.8 else 1.0 if rng.random() < 0.5 else 2,
        "express_fee": fee, "pay_order_time": pay_ts if pay_ts is not None else ""}
    acts: list[dict[str, Any]] = [{"type": "dialogue", "content": turns}]
    if category == "presale" and rng.random() < 0.5:
        acts.append({"type": "purchase", "paid": bool(rng.random() < 0.6)})
    ctx.add(ts, {"type": ctx.scen["service"], "timestamp": ts, "context": c, "action": acts}, tag)


# -- chains ---------------------------------------------------------------------------------------


def _chains(ctx: _Ctx) -> list[dict[str, Any]]:
    p, rng, zh = ctx.p, ctx.rng, ctx.lang == "zh"
    out: list[dict[str, Any]] = []
    if not p.chains:
        return out
    span = N_DAYS - 22
    seg = span / len(p.chains)
    for ci, key in enumerate(p.chains):
        prod = textbank.PRODUCTS[key]
        name = textbank.SHORT_NAMES[key][1 if zh else 0]
        keyword = textbank.SHORT_NAMES[key][1]
        d0 = _DAY0 + int(seg * ci + rng.integers(0, max(1, int(seg) - 4)))
        search_sec = ctx.day_time(d0, 8, 21)
        steps: list[dict[str, Any]] = []

        def tag(role: str, ci: int = ci) -> tuple[int, str]:
            return (ci, role)

        ctx.add(*_search_event(ctx, search_sec, keyword, True, 1 + int(rng.integers(3))), tag("search"))
        offs, last = _chain_videos(ctx, d0, search_sec, prod, name, tag)
        live_days, last_live = _chain_lives(ctx, d0, search_sec, key, tag)
        last_day = max(offs[-1], live_days[-1])
        last_sec = max(last, last_live)
        if rng.random() < 0.7:
            sec = max(ctx.day_time(d0 + int(rng.integers(4, 9))), last_sec + 600)
            last_sec = sec
            last_day = (sec // 86400) - d0
            ts = _fmt(sec)
            ctx.add(ts, {"type": ctx.scen["shop"], "timestamp": ts, "context": _shop_context(ctx, key, 0),
                         "action": [{"type": "cart", "is_add_to_cart": True}]}, tag("cart"))
        pday = d0 + max(7, last_day + 1) + int(rng.integers(0, 6))
        psec = max(ctx.day_time(pday), search_sec + 7 * 86400 + 3600, last_sec + 3600)
        pts = _fmt(psec)
        pc = _shop_context(ctx, key, 1)
        if pc["item_price"] == 0.0:
            pc["item_price"] = prod.price
        ctx.add(pts, {"type": ctx.scen["shop"], "timestamp": pts, "context": pc,
                      "action": [{"type": "purchase", "is_pay": True}]}, tag("purchase"))
        if rng.random() < 0.65:
            cat = str(rng.choice(["logistics", "quality", "refund"], p=[0.6, 0.25, 0.15]))
            _service(ctx, psec + int(rng.integers(1, 5)) * 86400 + int(rng.integers(-3600, 3600)), key, cat, pts,
                     pc["item_price"], tag("service"))
        out.append({"product_key": key, "topic": name, "topic_en": textbank.SHORT_NAMES[key][0], "keyword": keyword,
                    "product_title": _title(prod, zh), "category": (prod.cats_zh if zh else prod.cats_en)[2],
                    "terms": list(dict.fromkeys([name, keyword, (prod.cats_zh if zh else prod.cats_en)[2]])),
                    "steps": steps})
    return out


def _chain_videos(ctx: _Ctx, d0: int, search_sec: int, prod: textbank.Product, name: str,
                  tag: Callable[[str], tuple[int, str]]) -> tuple[list[int], int]:
    """A chain's 3-6 related videos from its search day on (the first in the search's session):
    their day offsets and the last one's time (seconds)."""
    rng, zh = ctx.rng, ctx.lang == "zh"
    pools = ctx.pools
    sep = "" if zh else " "
    n_vid = int(rng.integers(3, 7))
    offs = [0] + np.sort(rng.integers(0, 7, n_vid - 1)).tolist()  # the first one in the search session
    last = search_sec
    caps = textbank.ZH_CHAIN_CAPTIONS if zh else textbank.EN_CHAIN_CAPTIONS
    lines = textbank.ZH_CHAIN_LINES if zh else textbank.EN_CHAIN_LINES
    steps_added = False
    for off in offs:
        day = d0 + off
        sec = ctx.day_time(day) if off else search_sec + int(rng.integers(120, 2400 if last == search_sec else 3 * 3600))
        sec = max(sec, last + 30)
        last = sec
        ts = _fmt(sec)
        cap = caps[int(rng.integers(len(caps)))].replace("{topic}", name).replace("{Topic}", name[:1].upper() + name[1:])
        if rng.random() < 0.85 or not steps_added:  # review videos name the model they show
            cap += f"｜{prod.title_zh}" if zh else f" | {prod.title_en.split(',')[0]}"
        asr = sep.join([lines[int(rng.integers(len(lines)))].replace("{topic}", name) for _ in range(2)] +
                       [pools.filler[int(rng.integers(len(pools.filler)))]])
        dur = int(rng.integers(40, 240))
        play = int(dur * rng.uniform(0.5, 1.0)) if rng.random() < 0.5 else dur
        gp = int(np.exp(rng.normal(np.log(80_000), 1.2)))
        fans = int(np.exp(rng.normal(np.log(200_000), 1.3)))
        c = {"caption": cap, "duration": dur, "fans_user_num": fans, "fans_user_num_range": _fans_range(fans),
             "is_verified": bool(rng.random() < 0.5), "photo_type": "VIDEO", "show_cnt": gp * 3 // 2,
             "play_cnt": gp, "complete_play_cnt": gp // 4, "like_cnt": gp // 30, "comment_cnt": gp // 300,
             "share_cnt": gp // 500, "collect_cnt": gp // 120, "download_cnt": gp // 4000, "follow_cnt": gp // 900,
             "report_cnt": 0, "reduce_similar_cnt": gp // 20_000,
             "upload_timestamp": _fmt(sec - int(rng.integers(3600, 20 * 86400))),
             "ocr": f"{name}{sep}{'测评' if zh else 'review'}{sep}{prod.cats_zh[2] if zh else prod.cats_en[2]}",
             "asr": asr}
        acts: list[dict[str, Any]] = [{"type": "watch", "play_duration": play, "played_loop_cnt": int(play == dur),
                                       "is_complete_play": play == dur, "is_fast_forward_play": False,
                                       "is_backward_play": bool(rng.random() < 0.2), "is_enlarge_play": False}]
        if rng.random() < 0.3:
            acts.append({"type": "collect", "collect_cnt": 1})
        ctx.add(ts, {"type": ctx.scen["video"], "timestamp": ts, "context": c, "action": acts}, tag("video"))
        steps_added = True
    return offs, last


def _chain_lives(ctx: _Ctx, d0: int, search_sec: int, key: str,
                 tag: Callable[[str], tuple[int, str]]) -> tuple[list[int], int]:
    """A chain's 1-2 selling live streams 2-8 days after its search: their day offsets and the last
    one's time (seconds)."""
    rng = ctx.rng
    n_live = int(rng.integers(1, 3))
    live_days = np.sort(rng.integers(2, 9, n_live)).tolist()
    last_live = search_sec
    for off in live_days:
        sec = max(ctx.day_time(d0 + off), last_live + 600)
        last_live = sec
        ts = _fmt(sec)
        r = rng.integers(0, 1 << 30, 8).tolist()
        lplay = int(np.exp(rng.normal(np.log(600), 0.8)))
        L1 = {"l_users": [int(np.exp(rng.normal(np.log(8000), 1.0)))], "shop": [True], "variant": [0],
              "lplay": [lplay], "l_like": [bool(rng.random() < 0.3)], "l_comment": [bool(rng.random() < 0.15)],
              "l_gift": [False], "l_share": [False], "l_group": [False], "l_follow": [bool(rng.random() < 0.2)],
              "l_cart": [False], "like_cnt": [int(rng.integers(1, 200))], "comment_cnt": [1 + int(rng.integers(3))],
              "gift": [0]}
        ctx.add(ts, _live_event(ctx, ctx.scen["live"], ts, L1, 0, r, chain_product=key), tag("live"))
    return live_days, last_live


# -- driver -----------------------------------------------------------------------------------------


@dataclass
class DemoResult:
    """What :func:`generate` wrote: the folder, the files and each user's event count."""

    out_dir: Path
    files: list[Path]
    users: dict[str, int]  # user_id -> event count
    chains: list[dict[str, Any]]
    seconds: float
    combined: Path | None = None

    @property
    def total_events(self) -> int:
        """The number of events over all users."""
        return sum(self.users.values())


def _product_ids(seed: int) -> dict[str, str]:
    rng = np.random.default_rng([seed, 9999])
    return {k: str(int(rng.integers(10**11, 10**12))) for k in textbank.PRODUCTS}


def generate_user(persona: Persona, user_no: int, seed: int = 0, feed_events: int | None = None,
                  product_ids: dict[str, str] | None = None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """One user's ``{"user_profile", "action_history"}`` record and its chains (with event indices)."""
    rng = np.random.default_rng([seed, user_no])
    ctx = _Ctx(persona, rng, persona.lang, _SCEN[persona.lang], _pools(persona.lang),
               product_ids or _product_ids(seed), _hour_p(persona))
    chains = _chains(ctx)
    _feed(ctx, persona.feed_events if feed_events is None else feed_events)
    _ads(ctx)
    _searches(ctx)
    _shopping(ctx)
    items = ctx.items
    items.sort(key=lambda it: it[0])  # stable: the benchmark compares timestamp strings; date-only ads first
    history = [it[1] for it in items]
    for idx, (_, ev, tagv) in enumerate(items):
        if tagv is not None:
            ci, role = tagv
            chains[ci]["steps"].append({"role": role, "event_index": idx, "timestamp": ev["timestamp"],
                                        "scenario": SCENARIO_EN[_scen_key(ev["type"])]})
    for ci, ch in enumerate(chains):
        ch["chain_id"] = f"{persona.user_id}#{ci + 1}"
        ch["user_id"] = persona.user_id
        idx_of = {s["role"]: s["event_index"] for s in ch["steps"]}
        ch["search_index"] = idx_of["search"]
        ch["purchase_index"] = idx_of["purchase"]
        ch["service_index"] = idx_of.get("service")
        ch["days_search_to_purchase"] = round(
            (_parse(history[ch["purchase_index"]]["timestamp"]) - _parse(history[ch["search_index"]]["timestamp"]))
            / 86400.0, 2)
    return {"user_profile": persona.profile, "action_history": history}, chains


def _parse(ts: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(ts).timestamp()


def _scen_key(name: str) -> str:
    for lang in _SCEN.values():
        for k, v in lang.items():
            if v == name:
                return k
    raise KeyError(name)


def _user_job(job: tuple[Persona, int, int, int, dict[str, str], str]) -> tuple[str, int, list[dict[str, Any]]]:
    """Generate one user and write its file; returns (user_id, event count, chains)."""
    persona, no, seed, n, pids, out = job
    # The events hold no reference cycles; the cyclic GC would only rescan the growing heap of
    # dicts over and over (a quarter of the run time), so it is paused while one user is built.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        record, chains = generate_user(persona, no, seed, n, pids)
        count = len(record["action_history"])
        body = orjson.dumps({persona.user_id: record})
        del record
    finally:
        if was_enabled:
            gc.enable()
    _write_atomic(Path(out) / f"{persona.user_id}.json", body)
    return persona.user_id, count, chains


def generate(out_dir: str | os.PathLike[str], seed: int = 0, *, heavy_events: int | None = None,
             scale: float = 1.0, combined: bool = False, personas: tuple[Persona, ...] | None = None,
             workers: int = 1, task: TaskState | None = None) -> DemoResult:
    """Write the demo dataset into ``out_dir`` (created if needed) and return what was written.

    ``heavy_events`` overrides the heavy user's feed volume (default ``HEAVY_EVENTS``); ``scale``
    multiplies every other user's feed volume (tests use small values for speed). ``workers > 1``
    generates users in spawned worker processes (the heavy user beside the others); it pays off
    only on an idle multi-core machine. The output is the same whatever ``workers`` is.
    ``task`` (a ``workbench.tasks.TaskState``) gets progress per user and may cancel between users.
    """
    t0 = time.perf_counter()
    personas = PERSONAS if personas is None else personas
    heavy_n = HEAVY_EVENTS if heavy_events is None else heavy_events
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "meta").mkdir(exist_ok=True)
    pids = _product_ids(seed)
    jobs = [(p, no, seed, heavy_n if p.heavy else max(20, int(round(p.feed_events * scale))), pids, str(out))
            for no, p in enumerate(personas, start=1)]
    results: dict[str, tuple[str, int, list[dict[str, Any]]]] = {}
    import multiprocessing

    if workers > 1 and len(jobs) > 1:
        by_size = sorted(jobs, key=lambda j: -j[3])  # the heavy user starts first
        # "spawn": fresh interpreters, safe even when the caller runs threads (fork is not)
        with multiprocessing.get_context("spawn").Pool(min(workers, len(jobs))) as pool:
            for res in pool.imap_unordered(_user_job, by_size, chunksize=1):
                results[res[0]] = res
                if task is not None:
                    task.check()
                    task.progress(len(results), len(jobs), f"Generated demo user {res[0]}")
    else:
        for k, job in enumerate(jobs):
            if task is not None:
                task.check()
                task.progress(k, len(jobs), f"Generating demo user {job[0].user_id}")
            res = _user_job(job)
            results[res[0]] = res
    files: list[Path] = []
    users: dict[str, int] = {}
    all_chains: list[dict[str, Any]] = []
    manifest_users = []
    for persona in personas:
        uid, count, chains = results[persona.user_id]
        path = out / f"{uid}.json"
        files.append(path)
        users[uid] = count
        all_chains.extend(chains)
        manifest_users.append({"user_id": uid, "file": path.name, "lang": persona.lang, "label": persona.label,
                               "events": count, "heavy": persona.heavy})
    comb_path = None
    if combined:  # every user object in one file, in persona order
        (out / "combined").mkdir(exist_ok=True)
        comb_path = out / "combined" / "all_users.json"
        part = comb_path.with_name(comb_path.name + ".part")
        with open(part, "wb") as fh:
            fh.write(b"{")
            for k, path in enumerate(files):
                if k:
                    fh.write(b",")
                fh.write(path.read_bytes()[1:-1])
            fh.write(b"}")
        os.replace(part, comb_path)
    params = {"seed": seed, "heavy_events": heavy_events, "scale": scale}
    _write_atomic(out / "meta" / "chains.json",
                  orjson.dumps({"version": GENERATOR_VERSION, **params, "chains": all_chains}, option=orjson.OPT_INDENT_2))
    _write_atomic(out / "meta" / "manifest.json", orjson.dumps(
        {"generator": "workbench.demo", "version": GENERATOR_VERSION, **params,
         "window": [START.isoformat(), (START + timedelta(days=N_DAYS - 1)).isoformat()],
         "users": manifest_users, "total_events": sum(users.values())}, option=orjson.OPT_INDENT_2))
    return DemoResult(out, files, users, all_chains, time.perf_counter() - t0, comb_path)


def _write_atomic(path: Path, data: bytes) -> None:
    atomic_write_bytes(path, data, fsync=False)  # the whole folder is renamed into place afterwards

