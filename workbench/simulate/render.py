"""Event text for prompts: the details ("详情") and reaction ("反应") of one event.

Layer: simulate (pure; no Qt). Which facts are stated, in which order, under which condition, and
how each number is written (raw value as the data holds it, ``X.Y万`` above 10 000, minutes and
seconds, one decimal, hours) follow the benchmark's renderer, quirks included (a video
``watch_seconds`` under 60 s is not stated; a search ``click`` with a zero count reads as a click;
a live dislike only counts the misspelt ``reduce_simliar_cnt``; ...). The sentences are ours
(:mod:`workbench.simulate._phrases`). docs/benchmark.md#one-events-text lists every fact.
Outcomes (reaction text) are only ever rendered for history events.
"""

from __future__ import annotations

from typing import Any, Callable

from workbench.simulate._events import (AD, LIVE, SEARCH, SERVICE, SHOP, VIDEO, actions_of,
                                        context_of, scenario_of, scene_zh)
from workbench.simulate._phrases import PHRASES
from workbench.traces.numbers import benchmark_numeric, duration_seconds, is_number

LANGS = ("zh", "en")

#: Context keys coerced to numbers before rendering (leading-number parse of strings).
NUMERIC_CONTEXT_FIELDS = frozenset({
    "duration", "fans_user_num", "show_cnt", "play_cnt", "complete_play_cnt", "like_cnt",
    "comment_cnt", "share_cnt", "collect_cnt", "download_cnt", "follow_cnt", "report_cnt",
    "reduce_similar_cnt", "item_price", "item_num_180d_sales", "item_num_good_assess",
    "item_num_180d_buyer", "item_num_180d_rebuyer", "item_num_180d_cart", "live_total_user_cnt",
    "live_total_view_cnt", "live_total_view_duration", "live_like_cnt", "live_comment_cnt"})

SCENE_EN = {VIDEO: "Video Browsing", LIVE: "Live Streaming", SHOP: "E-commerce",
            AD: "Advertisement", SERVICE: "Customer Service", SEARCH: "Search Behavior"}

TEXT_CUT = 10000      # OCR/ASR/description characters kept
CAPTION_CUT = 500     # ad caption characters kept


def scene_name(event: dict[str, Any], lang: str) -> str:
    """The scene label: the benchmark's Chinese canonical name (zh) or the English one (en)."""
    if lang == "zh":
        return scene_zh(event)
    return SCENE_EN.get(scenario_of(event), str(event.get("type", "")).strip() or "Other")


# -- number formatting (the benchmark's rules) -------------------------------------------------------

_isnum = is_number      # numbers as the benchmark's isinstance test sees them (booleans included)


def coerced_context(event: dict[str, Any]) -> dict[str, Any]:
    """The event's context with the numeric keys' strings coerced to their leading number
    ("60秒" -> 60; unparseable strings stay as they are)."""
    return {k: (benchmark_numeric(v) if k in NUMERIC_CONTEXT_FIELDS else v) for k, v in context_of(event).items()}


def _pos(v: Any) -> bool:
    """A number > 0 (nulls and strings are not)."""
    return _isnum(v) and v > 0


def raw(v: Any) -> str:
    """A value written exactly as Python writes it (12, 12.0, 12.34)."""
    return str(v)


def _wan(v: Any, L: str) -> str:
    return PHRASES[L]["wan"].format(x=f"{v / 10000:.1f}")


def _big(v: Any, L: str) -> str:
    """``X.Y万`` from 10 000 on, else the raw value."""
    return _wan(v, L) if _isnum(v) and v >= 10000 else raw(v)


def _cut(text: Any, limit: int, ellipsis: bool = True) -> str:
    s = text if isinstance(text, str) else str(text)
    return s[:limit] + ("..." if ellipsis else "") if len(s) > limit else s


def _minutes(seconds: float, L: str, short: bool) -> str:
    """``M 分 S 秒`` (``M 分钟`` when ``short`` and S is 0)."""
    P = PHRASES[L]
    m, s = int(seconds // 60), int(seconds % 60)
    return P["mm"].format(m=m) if short and s == 0 else P["mmss"].format(m=m, s=s)


def _sentences(parts: list[str], L: str) -> str:
    if L == "zh":
        return "。".join(parts) + "。"
    return ". ".join(p[:1].upper() + p[1:] for p in parts) + "."


def _join(parts: list[str], L: str, sep: str = "list_sep") -> str:
    return PHRASES[L][sep].join(parts)


# -- details ("详情") --------------------------------------------------------------------------------

def _video_context(c: dict[str, Any], L: str) -> list[str]:
    P = PHRASES[L]
    parts = [P["v_title"].format(t=c["caption"]) if c.get("caption") else P["v_untitled"]]
    fans, verified, vtype = c.get("fans_user_num"), c.get("is_verified", False), c.get("verification_type", "")
    if _pos(fans):
        s = P["v_fans"].format(n=_big(fans, L))
        if verified and vtype:
            s += P["v_fans_vtype"].format(v=vtype)
        elif verified:
            s += P["v_fans_verified"]
        parts.append(s)
    elif verified:
        parts.append(P["v_vtype"].format(v=vtype) if vtype else P["v_verified"])
    dur = c.get("duration")
    if dur:
        if _isnum(dur):
            d = int(dur)
            text = P["mmss"].format(m=d // 60, s=d % 60) if d // 60 > 0 else P["ss"].format(s=d % 60)
        else:
            text = raw(dur)
        parts.append(P["v_duration"].format(d=text))
    pop = [P[k].format(n=raw(c[f])) for f, k in (
        ("show_cnt", "v_show"), ("play_cnt", "v_play"), ("complete_play_cnt", "v_complete"),
        ("like_cnt", "v_like"), ("comment_cnt", "v_comment"), ("share_cnt", "v_share"),
        ("collect_cnt", "v_collect"), ("download_cnt", "v_download"), ("follow_cnt", "v_follow"))
        if _pos(c.get(f))]
    if pop:
        parts.append(P["v_pop"].format(items=_join(pop, L)))
    if c.get("ocr"):
        parts.append(P["v_ocr"].format(t=_cut(c["ocr"], TEXT_CUT)))
    if c.get("asr"):
        parts.append(P["v_asr"].format(t=_cut(c["asr"], TEXT_CUT)))
    if c.get("upload_timestamp"):
        parts.append(P["v_upload"].format(t=c["upload_timestamp"]))
    return parts


def _live_context(c: dict[str, Any], L: str) -> list[str]:
    P = PHRASES[L]
    intro = P["l_titled"].format(t=c["live_title"]) if c.get("live_title") else P["l_untitled"]
    if c.get("live_category"):
        intro += P["l_category"].format(c=c["live_category"])
    if c.get("live_game_name"):
        intro += P["l_game"].format(g=c["live_game_name"])
    if "is_shop_live" in c:
        intro += P["l_shop"] if c["is_shop_live"] else P["l_fun"]
    parts = [intro]
    pop = []
    if c.get("live_total_user_cnt"):
        pop.append(P["l_users"].format(n=_big(c["live_total_user_cnt"], L)))
    if c.get("live_total_view_cnt"):
        pop.append(P["l_views"].format(n=_big(c["live_total_view_cnt"], L)))
    if pop:
        parts.append(P["l_pop"].format(items=_join(pop, L)))
    secs = c.get("live_total_view_duration")
    if secs and _isnum(secs):
        hours = secs / 3600
        if hours >= 10000:
            parts.append(P["l_hours_wan"].format(x=f"{hours / 10000:.1f}"))
        elif hours >= 1:
            parts.append(P["l_hours"].format(x=f"{hours:.1f}"))
        else:
            parts.append(P["l_minutes"].format(x=f"{secs / 60:.0f}"))
    if c.get("live_cover_content"):
        parts.append(P["l_cover"].format(t=c["live_cover_content"]))
    inter = []
    if _pos(c.get("live_like_cnt")):
        inter.append(P["l_likes"].format(n=_big(c["live_like_cnt"], L)))
    if _pos(c.get("live_comment_cnt")):
        inter.append(P["l_comments"].format(n=_big(c["live_comment_cnt"], L)))
    if inter:
        parts.append(P["l_inter"].format(items=_join(inter, L)))
    items = c.get("items")
    if isinstance(items, list) and items:
        shown = []
        for it in items:
            if not isinstance(it, dict):
                continue
            title, price = it.get("title", ""), it.get("price", "")
            if title and price:
                shown.append(P["l_item_price"].format(t=title, p=raw(price)))
            elif title:
                shown.append(str(title))
        if shown:
            parts.append(P["l_items"].format(k=len(shown), items=_join(shown, L)))
    return parts


def _shop_context(c: dict[str, Any], L: str) -> list[str]:
    P = PHRASES[L]
    parts = [P["s_title"].format(t=c["item_title"]) if c.get("item_title") else P["s_untitled"]]
    if c.get("item_desc"):
        parts.append(P["s_desc"].format(t=_cut(c["item_desc"], TEXT_CUT)))
    if c.get("product_source"):
        parts.append(P["s_source"].format(t=c["product_source"]))
    price = c.get("item_price")
    if price and _isnum(price):
        parts.append(P["s_price"].format(p=raw(price)) if price > 0 else P["s_price_unknown"])
    for keys, key in ((("category_level1_name", "category_level2_name", "category_level3_name"), "s_category"),
                      (("industry_level1_name", "industry_level2_name", "industry_level3_name"), "s_industry")):
        names = [str(c[k]) for k in keys if c.get(k)]
        if names:
            parts.append(P[key].format(t=P["s_path_sep"].join(names)))
    sales = [P[key].format(n=_big(c[f], L)) for f, key in (
        ("item_num_180d_sales", "s_sales"), ("item_num_good_assess", "s_good"),
        ("item_num_180d_buyer", "s_buyers"), ("item_num_180d_rebuyer", "s_rebuyers")) if _pos(c.get(f))]
    if sales:
        parts.append(P["s_sales_head"].format(items=_join(sales, L)))
    if _pos(c.get("item_num_180d_cart")):
        parts.append(P["s_cart"].format(n=_big(c["item_num_180d_cart"], L)))
    return parts


def _ad_context(c: dict[str, Any], L: str) -> list[str]:
    P = PHRASES[L]
    if c.get("product"):
        s = P["a_product"].format(p=c["product"])
        main, sub = c.get("industry_main"), c.get("industry_sub")
        if main:
            s += P["a_industry_sub"].format(m=main, s=sub) if sub and sub != main else P["a_industry"].format(m=main)
        parts = [s]
    else:
        parts = [P["a_plain"]]
    if c.get("is_verified"):
        vt = c.get("verification_type")
        parts.append(P["a_verified_type"].format(v=vt) if vt else P["a_verified"])
    if c.get("fans_user_num"):
        parts.append(P["a_fans"].format(n=raw(c["fans_user_num"])))
    elif c.get("fans_user_num_op_range"):
        parts.append(P["a_fans_range"].format(r=c["fans_user_num_op_range"]))
    if c.get("caption"):
        parts.append(P["a_caption"].format(t=_cut(c["caption"], CAPTION_CUT)))
    if c.get("photo_type"):
        parts.append(P["a_photo"].format(t=c["photo_type"]))
    dur = c.get("duration")
    if dur:
        if _isnum(dur):
            d = int(dur)
            text = _minutes(d, L, short=True) if d >= 60 else P["ss"].format(s=d)
        else:
            text = raw(dur)
        parts.append(P["a_duration"].format(d=text))
    if c.get("upload_timestamp"):
        parts.append(P["a_upload"].format(t=c["upload_timestamp"]))
    for f, key in (("show_cnt", "a_show"), ("play_cnt", "a_play"), ("complete_play_cnt", "a_complete")):
        if _pos(c.get(f)):
            parts.append(P[key].format(n=raw(c[f])))
    inter = [P[key].format(n=raw(c[f])) for f, key in (
        ("like_cnt", "a_like"), ("comment_cnt", "a_comment"), ("share_cnt", "a_share"),
        ("collect_cnt", "a_collect"), ("download_cnt", "a_download"), ("follow_cnt", "a_follow"))
        if _pos(c.get(f))]
    if inter:
        parts.append(P["a_inter"].format(items=P["a_item_sep"].join(inter)))
    neg = [P[key].format(n=raw(c[f])) for f, key in (("report_cnt", "a_report"), ("reduce_similar_cnt", "a_reduce"))
           if _pos(c.get(f))]
    if neg:
        parts.append(P["a_neg"].format(items=P["a_item_sep"].join(neg)))
    if c.get("ocr_text"):
        parts.append(P["a_ocr"].format(t=_cut(c["ocr_text"], TEXT_CUT, ellipsis=False)))
    if c.get("asr_text"):
        parts.append(P["a_asr"].format(t=_cut(c["asr_text"], TEXT_CUT, ellipsis=False)))
    return parts


def search_keyword_of(event: dict[str, Any]) -> tuple[Any, Any]:
    """(keyword, query_category) of a search event: first ``search`` action, else the context."""
    kw = cat = None
    for a in actions_of(event):
        if a.get("type") == "search":
            kw, cat = a.get("keyword"), a.get("query_category")
            break
    c = context_of(event)
    if not kw and "keyword" in c:
        kw = c["keyword"]
    if not cat and "query_category" in c:
        cat = c["query_category"]
    return kw, cat


def _search_context(event: dict[str, Any], L: str, is_target: bool) -> list[str]:
    P = PHRASES[L]
    kw, cat = search_keyword_of(event)
    if not kw:
        return [P["q_plain"]]
    s = P["q_opened"] if is_target else P["q_keyword"].format(k=kw)
    if cat:
        s += P["q_lookup"] if cat == "查询型" else P["q_browse"] if cat == "浏览型" else P["q_intent"].format(c=cat)
    return [s]


def _service_context(c: dict[str, Any], L: str) -> list[str]:
    P = PHRASES[L]
    parts = [P["c_ticket"].format(t=c["ticket_category"]) if c.get("ticket_category") else P["c_plain"]]
    details = []
    if c.get("product_name"):
        details.append(P["c_product"].format(t=c["product_name"]))
    if c.get("product_category_info"):
        details.append(P["c_category"].format(t=c["product_category_info"]))
    money = []
    if c.get("item_price"):
        money.append(P["c_price"].format(p=raw(c["item_price"])))
    qty = c.get("item_qty")
    if qty:
        money.append(P["c_qty"].format(q=raw(int(qty) if _isnum(qty) and qty == int(qty) else qty)))
    if c.get("express_fee"):
        try:
            fee = float(c["express_fee"])
        except (TypeError, ValueError):
            fee = 0.0
        if fee > 0:
            money.append(P["c_fee"].format(f=raw(fee)))
    if money:
        details.append(_join(money, L, "clause_sep"))
    if details:
        parts.append(P["c_detail_sep"].join(details))
    if c.get("pay_order_time"):
        parts.append(P["c_paytime"].format(t=c["pay_order_time"]))
    return parts


_MISSING = {VIDEO: "missing_video", LIVE: "missing_live", SHOP: "missing_shop", AD: "missing_ad",
            SERVICE: "missing_service", SEARCH: "missing_search"}


def context_text(event: dict[str, Any], lang: str = "zh", is_target: bool = False) -> str:
    """The event's scene description ("详情"); never mentions what the user did. ``is_target``: the
    event is the one being predicted (a search target then only says the box was opened)."""
    sc = scenario_of(event)
    c = coerced_context(event)
    if sc == SEARCH:
        parts = _search_context(event, lang, is_target)
    elif sc == VIDEO:
        parts = _video_context(c, lang)
    elif sc == LIVE:
        parts = _live_context(c, lang)
    elif sc == SHOP:
        parts = _shop_context(c, lang)
    elif sc == AD:
        parts = _ad_context(c, lang)
    elif sc == SERVICE:
        parts = _service_context(c, lang)
    else:
        return str(event.get("context", {}))
    if not parts:
        return PHRASES[lang][_MISSING[sc]]
    return _sentences(parts, lang)


# -- reaction ("反应") -------------------------------------------------------------------------------

def _video_watch(a: dict[str, Any], L: str, out: list[str]) -> None:
    P = PHRASES[L]
    details: list[str] = []
    if "play_duration" in a:
        d = a["play_duration"]
        if isinstance(d, str):
            details.append(P["vr_watched"].format(d=d))
        elif _isnum(d):
            if d >= 60:
                details.append(P["vr_watched"].format(d=_minutes(d, L, short=True)))
            else:
                s = str(int(d)) if d == int(d) else f"{d:.1f}"
                details.append(P["vr_watched"].format(d=P["ss"].format(s=s)))
    elif "watch_seconds" in a:
        w = a["watch_seconds"]
        if _isnum(w) and w >= 60:                      # under a minute it is not stated
            out.append(P["vr_watched"].format(d=_minutes(w, L, short=True)))
    feats = []
    if a.get("played_loop_cnt"):
        feats.append(P["vr_loops"].format(n=raw(a["played_loop_cnt"])))
    for key, phrase in (("is_fast_forward_play", "vr_ff"), ("is_backward_play", "vr_back"),
                        ("is_enlarge_play", "vr_zoom")):
        if a.get(key):
            feats.append(P[phrase])
    if a.get("completed") or a.get("is_complete_play"):
        feats.append(P["vr_complete"])
    if feats:
        details.append(_join(feats, L, "clause_sep"))
    if details:
        out.append(_join(details, L))


def _video_result(acts: list[dict[str, Any]], L: str) -> list[str]:
    P = PHRASES[L]
    out: list[str] = []
    for a in acts:
        t = a.get("type", "")
        if t == "watch":
            _video_watch(a, L, out)
        elif t == "like":
            out.append(P["vr_like"])
        elif t == "comment":
            detail = a.get("comment_detail_list", "")
            out.append(P["vr_comment_text"].format(t=detail) if detail else P["vr_comment"])
            if a.get("comment_stay_duration"):
                out.append(P["vr_comment_stay"].format(n=raw(a["comment_stay_duration"])))
            if a.get("is_at_friend_in_comment"):
                out.append(P["vr_at"])
        elif t in ("share", "collect", "download"):
            n = a.get(f"{t}_cnt")
            out.append(P[f"vr_{t}_n"].format(n=raw(n)) if n else P[f"vr_{t}"])
        elif t == "follow":
            out.append(P["vr_follow"])
        elif t == "unfollow" and a.get("is_unfollow_action"):
            out.append(P["vr_unfollow"])
        elif t == "dislike" and (a.get("reduce_similar_cnt") or a.get("reduce_simliar_cnt")):
            out.append(P["vr_dislike"])
        elif t == "report" and a.get("report_cnt"):
            out.append(P["vr_report"])
    return out


def _shop_result(acts: list[dict[str, Any]], L: str) -> list[str]:
    P = PHRASES[L]
    out: list[str] = []
    for a in acts:
        t = a.get("type", "")
        if t == "cart":
            out.append(P["sr_cart"] if a.get("is_add_to_cart") else P["sr_no_cart"])
        elif t == "purchase":
            paid = a.get("order_success") or a.get("paid") or a.get("is_pay")
            out.append(P["sr_paid"] if paid else P["sr_not_paid"])
    return out


def _ad_watch(a: dict[str, Any], L: str, out: list[str]) -> None:
    P = PHRASES[L]
    secs: Any = 0
    if "watch_seconds" in a:
        secs = a.get("watch_seconds", 0)
    elif "play_duration" in a:
        secs = duration_seconds(a.get("play_duration"))
    feats = []
    if _isnum(secs) and secs > 0:
        feats.append(P["ar_watched"].format(x=f"{secs:.1f}"))
    if a.get("played_loop_cnt"):
        feats.append(P["ar_loops"].format(n=raw(a["played_loop_cnt"])))
    if a.get("is_complete_play"):
        feats.append(P["ar_complete"])
    if feats:
        out.append(_join(feats, L))


def _ad_result(acts: list[dict[str, Any]], L: str) -> list[str]:
    P = PHRASES[L]
    out: list[str] = []
    for a in acts:
        t = a.get("type", "")
        if t == "watch":
            _ad_watch(a, L, out)
        elif t == "like":
            out.append(P["ar_like_n"].format(n=raw(a["like_cnt"])) if a.get("like_cnt") else P["ar_like"])
        elif t == "comment":
            out.append(P["ar_comment"])
        elif t == "share":
            out.append(P["ar_share_n"].format(n=raw(a["share_cnt"])) if a.get("share_cnt") else P["ar_share"])
        elif t == "conversion" and a.get("conversion_cnt"):
            out.append(P["ar_conversion"].format(n=raw(a["conversion_cnt"])))
        elif t == "activation" and a.get("activation_cnt"):
            out.append(P["ar_activation"].format(n=raw(a["activation_cnt"])))
        elif t == "purchase":
            pay = [P[k].format(n=raw(a[f])) for f, k in (("pay_cnt", "ar_pay_cnt"), ("pay_purchase_amt", "ar_pay_amt"))
                   if a.get(f)]
            if pay:
                out.append(P["ar_pay_head"].format(items=_join(pay, L)))
        elif t == "submit" and a.get("form_submit_total_cnt"):
            out.append(P["ar_submit"].format(n=raw(a["form_submit_total_cnt"])))
        elif t == "follow":
            out.append(P["ar_follow"])
        elif t == "unfollow":
            out.append(P["ar_unfollow"])
        elif t == "dislike" and a.get("report_cnt"):
            out.append(P["ar_report"])
    return out


def _live_watch(a: dict[str, Any], L: str, out: list[str]) -> None:
    P = PHRASES[L]
    secs = duration_seconds(a.get("play_duration", 0))
    info = []
    if secs > 0:
        info.append(P["lr_stayed"].format(d=_minutes(secs, L, short=True) if secs >= 60
                                          else P["ss"].format(s=int(secs))))
    if a.get("play_count"):
        info.append(P["lr_entries"].format(n=raw(a["play_count"])))
    if info:
        out.append(_join(info, L, "clause_sep"))


def _live_comment(a: dict[str, Any], L: str) -> str:
    P = PHRASES[L]
    info = []
    if a.get("comment_cnt"):
        info.append(P["lr_comment_n"].format(n=raw(a["comment_cnt"])))
    msgs = a.get("comment_content")
    if msgs and isinstance(msgs, list):
        quoted = _join([P["lr_quote"].format(t=m) for m in msgs[:3]], L)
        info.append(P["lr_comment_some" if len(msgs) > 3 else "lr_comment_all"].format(t=quoted))
    return P["lr_comment_head"].format(items=_join(info, L, "clause_sep")) if info else P["lr_comment"]


def _live_result(acts: list[dict[str, Any]], L: str) -> list[str]:
    P = PHRASES[L]
    out: list[str] = []
    for a in acts:
        t = a.get("type", "")
        if t == "watch":
            _live_watch(a, L, out)
        elif t == "like":
            n = a.get("like_cnt")
            out.append(P["lr_like_n"].format(n=_big(n, L)) if n else P["lr_like"])
        elif t == "comment":
            out.append(_live_comment(a, L))
        elif t == "send_gift" and a.get("gift_amount"):
            out.append(P["lr_gift"].format(n=raw(a["gift_amount"])))
        elif t == "follow" and a.get("is_follow_action"):
            out.append(P["lr_follow"])
        elif t == "unfollow" and a.get("is_unfollow_action"):
            out.append(P["lr_unfollow"])
        elif t == "share" and a.get("share_cnt"):
            out.append(P["lr_share"].format(n=raw(a["share_cnt"])))
        elif t == "dislike":
            info = ([P["lr_report"]] if a.get("report_cnt") else []) + \
                   ([P["lr_dislike"]] if a.get("reduce_simliar_cnt") else [])
            if info:
                out.append(_join(info, L))
        elif t == "click_cart" and a.get("is_click_cart_action"):
            title, price = a.get("item_title", ""), a.get("item_price", "")
            out.append(P["lr_cart_tp"].format(t=title, p=raw(price)) if title and price
                       else P["lr_cart_t"].format(t=title) if title else P["lr_cart"])
        elif t == "join_group" and a.get("join_fans_group_cnt"):
            out.append(P["lr_group"].format(n=raw(a["join_fans_group_cnt"])))
    return out


def _search_result(acts: list[dict[str, Any]], L: str) -> list[str]:
    P = PHRASES[L]
    out: list[str] = []
    for a in acts:
        t = a.get("type", "")
        if t == "show" and a.get("show_cnt"):
            out.append(P["qr_show"].format(n=raw(a["show_cnt"])))
        elif t == "click":     # a zero or missing count still reads as a click
            out.append(P["qr_click_n"].format(n=raw(a["click_cnt"])) if a.get("click_cnt") else P["qr_click"])
    return out


def _service_result(acts: list[dict[str, Any]], L: str) -> list[str]:
    P = PHRASES[L]
    out: list[str] = []
    for a in acts:
        t = a.get("type", "")
        if t == "dialogue":
            turns = a.get("content")
            if turns and isinstance(turns, list):
                turns = [x for x in turns if isinstance(x, dict)]
                u = sum(1 for x in turns if x.get("role") == "user")
                s = sum(1 for x in turns if x.get("role") == "assistant")
                out.append(P["cr_dialogue"].format(u=u, a=s))
        elif t == "purchase":
            out.append(P["cr_paid"] if a.get("paid") else P["cr_not_paid"])
    return out


def _other_result(acts: list[dict[str, Any]], L: str) -> list[str]:
    P = PHRASES[L]
    out: list[str] = []
    for a in acts:
        t = a.get("type", "")
        if t == "watch":
            if "play_duration" in a or "watch_seconds" in a:
                out.append(P["or_watch"])
        elif t in ("like", "comment", "share", "collect", "download", "purchase", "click"):
            out.append(P[f"or_{t}"])
    return out


_RESULTS: dict[str, Callable[[list[dict[str, Any]], str], list[str]]] = {
    VIDEO: _video_result, LIVE: _live_result, SHOP: _shop_result, AD: _ad_result,
    SEARCH: _search_result, SERVICE: _service_result}


def result_text(event: dict[str, Any], lang: str = "zh") -> str:
    """What the user did ("反应"). The dialogue text of conversations is never shown."""
    fn = _RESULTS.get(scenario_of(event), _other_result)
    parts = fn(actions_of(event), lang)
    if not parts:
        return PHRASES[lang]["only_browsed"]
    return _join(parts, lang, "clause_sep")


def event_body(event: dict[str, Any], lang: str = "zh") -> str:
    """The history block without its label, with its trailing newline:
    ``event_block(e, label, lang) == label + event_body(e, lang)``."""
    ts = event["timestamp"] if "timestamp" in event else PHRASES[lang]["unknown_time"]
    return PHRASES[lang]["block"].format(label="", ts=ts, scene=scene_name(event, lang),
                                         context=context_text(event, lang), result=result_text(event, lang))


def event_block(event: dict[str, Any], label: str, lang: str = "zh") -> str:
    """The four-line history block (time, scene, details, reaction), newline-terminated."""
    return label + event_body(event, lang)
