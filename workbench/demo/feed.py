"""The demo's feed: video and live-stream events in sessions. Layer: demo (pure, numpy).

Most of a user's events: drawn vectorised per user (sessions over the days by the persona's
rhythm, then per event its topic, watch behaviour, actions and metadata), then one event dict each.
The draws happen in a fixed order, so the same seed gives byte-identical data.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from workbench.demo import textbank
from workbench.demo.context import (
    _DAY0, _END_SEC, _GIFTS, _Ctx, _day_weights, _fans_range, _fmt_many, _TopicPool,
)

def _feed(ctx: _Ctx, n: int) -> None:
    """Video and live events in sessions: vectorised draws, then one dict per event. The draws
    happen in a fixed order (sessions, video, live, texts, gaps): the same seed gives the same data."""
    if n <= 0:
        return
    sess_start, sizes = _sessions(ctx, n)
    topic_keys = [k for k in ctx.p.topics if k in ctx.pools.topics]
    video, upload_ago = _video_draws(ctx, n, topic_keys)
    live = _live_draws(ctx, n)
    rng = ctx.rng
    # texts
    txt = rng.integers(0, 1 << 30, (n, 8))
    n_asr = rng.integers(3, 9, n)
    ocr_empty = rng.random(n) < 0.25
    asr_empty = rng.random(n) < 0.12
    # timing: each event lasts its play time plus a swipe gap
    gaps = np.where(video["is_live"], live["lplay"], video["play"]) + rng.integers(1, 6, n)
    t = _event_times(n, gaps, sess_start, sizes)
    ts_all = _fmt_many(t)
    upload_all = _fmt_many(t - upload_ago)
    L = {k: a.tolist() for k, a in dict(**video, **live, n_asr=n_asr, ocr_empty=ocr_empty,
                                         asr_empty=asr_empty).items()}
    _feed_events(ctx, n, L, txt.tolist(), ts_all, upload_all, topic_keys)


def _sessions(ctx: _Ctx, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The feed's sessions in time order: each one's start (seconds of the internal clock) and size
    (events), ``n`` events over the days by the persona's rhythm."""
    p, rng = ctx.p, ctx.rng
    w = _day_weights(ctx)
    counts = rng.multinomial(n, w / w.sum())
    sess_day: list[int] = []
    sess_size: list[int] = []
    for d, c in enumerate(counts.tolist()):
        while c > 0:
            sizes = 1 + rng.geometric(1.0 / p.session_mean, size=max(4, int(2 * c / p.session_mean) + 2))
            for s in sizes.tolist():
                s = min(s, c)
                sess_day.append(d)
                sess_size.append(s)
                c -= s
                if c == 0:
                    break
    n_sess = len(sess_size)
    hours = rng.choice(24, size=n_sess, p=ctx.hour_p)
    sess_start = (_DAY0 + np.asarray(sess_day)) * 86400 + hours * 3600 + rng.integers(0, 3600, n_sess)
    order = np.argsort(sess_start, kind="stable")
    return sess_start[order], np.asarray(sess_size)[order]


def _video_draws(ctx: _Ctx, n: int, topic_keys: list[str]) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Per feed event: topic, live or video, and the video's length, watch behaviour, actions and
    metadata; and how long before the event the video was uploaded (seconds)."""
    p, rng = ctx.p, ctx.rng
    tw = np.array([p.topics[k] for k in topic_keys], dtype=float)
    topic = rng.choice(len(topic_keys), size=n, p=tw / tw.sum())
    is_live = rng.random(n) < p.live_share
    # video watch behaviour
    dur = np.clip(np.exp(rng.normal(np.log(32.0), 0.95, n)), 5, 1200).astype(np.int64)
    p_complete = np.clip((0.62 * np.exp(-dur / 55.0) + 0.04) * p.completion, 0.0, 0.95)
    complete = rng.random(n) < p_complete
    loops = 1 + ((dur < 30) & (rng.random(n) < 0.2)) * rng.geometric(0.5, n)
    skip = np.clip(np.exp(rng.normal(np.log(p.skip_median_s), 1.1, n)), 1, None).astype(np.int64)
    skip = np.minimum(skip, np.maximum(dur - 1, 1))
    play = np.where(complete, dur * loops, skip)
    boost = np.where(complete, 1.8, 0.55)
    u = rng.random((n, 9))
    v_like, v_comment = u[:, 0] < p.like * boost, u[:, 1] < p.comment * boost
    v_share, v_collect = u[:, 2] < p.share * boost, u[:, 3] < p.collect * boost
    v_follow, v_download = u[:, 4] < p.follow * boost, u[:, 5] < p.download * boost
    v_dislike = (~complete) & (u[:, 6] < p.dislike * 1.5)
    v_ff = (dur > 45) & (u[:, 7] < 0.06)
    v_back, v_enlarge = u[:, 8] < 0.02, u[:, 8] > 0.985
    meta_missing = rng.random(n) < 0.3
    str_duration = rng.random(n) < 0.004
    fans = np.clip(np.exp(rng.normal(np.log(60_000), 2.0, n)), 30, 8e7).astype(np.int64)
    gplay = (fans * np.exp(rng.normal(0.0, 1.0, n)) * 0.9 + rng.integers(50, 5000, n)).astype(np.int64)
    verified = rng.random(n) < 0.25
    upload_ago = rng.integers(1800, 60 * 86400, n)
    return dict(
        topic=topic, is_live=is_live, dur=dur, complete=complete, loops=loops, play=play,
        v_like=v_like, v_comment=v_comment, v_share=v_share, v_collect=v_collect, v_follow=v_follow,
        v_download=v_download, v_dislike=v_dislike, v_ff=v_ff, v_back=v_back, v_enlarge=v_enlarge,
        meta_missing=meta_missing, str_duration=str_duration, fans=fans, gplay=gplay, verified=verified,
    ), upload_ago


def _live_draws(ctx: _Ctx, n: int) -> dict[str, np.ndarray]:
    """Per feed event, what the user does if it is a live stream: watch time, actions, counts."""
    p, rng = ctx.p, ctx.rng
    lplay = np.clip(np.exp(rng.normal(np.log(70.0), 1.5, n)), 3, 5 * 3600).astype(np.int64)
    lmins = np.log1p(lplay / 60.0)
    lu = rng.random((n, 9))
    shop = lu[:, 0] < p.live_shop_share
    variant = np.searchsorted([0.6, 0.85], lu[:, 1])  # 0 full, 1 no title, 2 minimal
    l_like = lu[:, 2] < p.live_like * lmins
    l_comment = lu[:, 3] < p.live_comment * lmins
    l_gift = lu[:, 4] < p.gift * lmins
    l_share = lu[:, 5] < p.live_share_act
    l_group = lu[:, 6] < p.join_group * lmins
    l_follow = lu[:, 7] < p.live_follow * lmins
    l_cart = shop & (lu[:, 8] < p.click_cart * lmins)
    like_cnt = np.clip(np.exp(rng.normal(np.log(12.0), 1.7, n)), 1, 20_000).astype(np.int64)
    comment_cnt = rng.geometric(0.55, n)
    gift = _GIFTS[rng.integers(0, len(_GIFTS), n)]
    l_users = np.clip(np.exp(rng.normal(np.log(3000.0), 1.8, n)), 5, 5e6).astype(np.int64)
    return dict(lplay=lplay, shop=shop, variant=variant, l_like=l_like, l_comment=l_comment,
                l_gift=l_gift, l_share=l_share, l_group=l_group, l_follow=l_follow, l_cart=l_cart,
                like_cnt=like_cnt, comment_cnt=comment_cnt, gift=gift, l_users=l_users)


def _event_times(n: int, gaps: np.ndarray, sess_start: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Each feed event's time (seconds): sessions never overlap, events follow each other by their
    ``gaps``, and a tail past the last day is squeezed into the window keeping the order."""
    csum = np.concatenate([[0], np.cumsum(gaps)])
    first = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    sess_len = csum[first + sizes] - csum[first]
    starts = sess_start.tolist()
    lens = sess_len.tolist()
    prev_end = 0
    for i in range(len(sizes)):  # sessions never overlap
        s = max(starts[i], prev_end + 60)
        starts[i] = s
        prev_end = s + lens[i]
    sess_of = np.repeat(np.arange(len(sizes)), sizes)
    t = np.asarray(starts)[sess_of] + (csum[:-1] - csum[first][sess_of])
    over = t[-1] - _END_SEC if n else 0
    if over > 0:  # squeeze the tail into the window, keeping order
        t = np.minimum(t, _END_SEC - (t[-1] - t) // 50)
        t = np.maximum.accumulate(t)
    return t


def _feed_events(ctx: _Ctx, n: int, L: dict[str, list], txt_l: list[list[int]], ts_all: list[str],
                 upload_all: list[str], topic_keys: list[str]) -> None:
    """One event dict per feed event (live streams by :func:`_live_event`), added to ``ctx``."""
    zh = ctx.lang == "zh"
    pools = ctx.pools
    filler = pools.filler
    sep = "" if zh else " "
    scen_v, scen_l = ctx.scen["video"], ctx.scen["live"]
    append = ctx.items.append
    is_live_l = L["is_live"]
    for i in range(n):
        ts = ts_all[i]
        r = txt_l[i]
        if is_live_l[i]:
            append((ts, _live_event(ctx, scen_l, ts, L, i, r), None))
            continue
        tp = pools.topics[topic_keys[L["topic"][i]]]
        asr = "" if L["asr_empty"][i] else sep.join(
            [tp.asr[(r[2] + k * 7919) % len(tp.asr)] for k in range(L["n_asr"][i])] + [filler[r[3] % len(filler)]])
        ocr = "" if L["ocr_empty"][i] else f"{tp.ocr[r[4] % len(tp.ocr)]}{sep}{tp.ocr[r[5] % len(tp.ocr)]}" + (
            f"{sep}{tp.captions[r[7] % len(tp.captions)]}" if r[6] % 3 == 0 else "")
        ctx_d = _video_context(L, i, r, tp, ocr, asr, upload_all[i])
        append((ts, {"type": scen_v, "timestamp": ts, "context": ctx_d, "action": _video_actions(L, i, r, zh)}, None))


def _video_context(L: dict[str, list], i: int, r: list[int], tp: _TopicPool, ocr: str, asr: str,
                   upload: str) -> dict[str, Any]:
    """A video event's context: its metadata (zeros when the platform lost it), OCR and ASR."""
    if L["meta_missing"][i]:
        return {
            "duration": 0, "is_verified": False, "photo_type": "VIDEO", "show_cnt": 0, "play_cnt": 0,
            "complete_play_cnt": 0, "like_cnt": 0, "comment_cnt": 0, "share_cnt": 0, "collect_cnt": 0,
            "download_cnt": 0, "follow_cnt": 0, "report_cnt": 0, "reduce_similar_cnt": 0, "ocr": ocr,
            "asr": asr}
    d = L["dur"][i]
    fans_i, gp = L["fans"][i], L["gplay"][i]
    return {
        "caption": tp.captions[r[1] % len(tp.captions)],
        "duration": f"{d}秒" if L["str_duration"][i] else d,
        "fans_user_num": fans_i, "fans_user_num_range": _fans_range(fans_i),
        "is_verified": L["verified"][i], "photo_type": "VIDEO",
        "show_cnt": gp * 3 // 2 + 17, "play_cnt": gp, "complete_play_cnt": gp * (r[6] % 40 + 5) // 100,
        "like_cnt": gp * (r[6] % 7 + 1) // 100, "comment_cnt": gp // (150 + r[7] % 400),
        "share_cnt": gp // (300 + r[7] % 900), "collect_cnt": gp // (200 + r[6] % 500),
        "download_cnt": gp // (2000 + r[6] % 3000), "follow_cnt": gp // (500 + r[7] % 1500),
        "report_cnt": gp // 40_000, "reduce_similar_cnt": gp // 9000,
        "upload_timestamp": upload, "ocr": ocr, "asr": asr}


def _video_actions(L: dict[str, list], i: int, r: list[int], zh: bool) -> list[dict[str, Any]]:
    play = L["play"][i]
    watch: dict[str, Any] = {
        "type": "watch", "play_duration": play if r[0] % 997 else f"{play}秒",
        "played_loop_cnt": L["loops"][i] if L["complete"][i] else 0,
        "is_complete_play": L["complete"][i], "is_fast_forward_play": L["v_ff"][i],
        "is_backward_play": L["v_back"][i], "is_enlarge_play": L["v_enlarge"][i]}
    acts = [watch]
    if L["v_like"][i]:
        acts.append({"type": "like"})
    if L["v_comment"][i]:
        bank = _COMMENTS_ZH if zh else _COMMENTS_EN
        acts.append({"type": "comment", "comment_detail_list": [bank[r[3] % len(bank)]],
                     "comment_stay_duration": 3 + r[4] % 40, "is_at_friend_in_comment": r[5] % 9 == 0})
    if L["v_share"][i]:
        acts.append({"type": "share", "share_cnt": 1 + (r[6] % 10 == 0)})
    if L["v_collect"][i]:
        acts.append({"type": "collect", "collect_cnt": 1})
    if L["v_download"][i]:
        acts.append({"type": "download", "download_cnt": 1})
    if L["v_follow"][i]:
        acts.append({"type": "follow"})
    if L["v_dislike"][i]:
        acts.append({"type": "dislike", "reduce_simliar_cnt": 1} if r[7] % 5 < 3 else
                    {"type": "dislike", "reduce_similar_cnt": 1})
    return acts


_COMMENTS_EN = ("lol", "so true", "where can I buy this?", "first", "haha my dad does the same", "wow",
                "Need part 2!!", "this is literally me", "Can you share the recipe?", "not bad", "😂😂😂",
                "who's watching in 2025", "ok but why is this so relatable", "link?", "beautiful")
_COMMENTS_ZH = ("哈哈哈", "太真实了", "在哪买的？", "沙发", "我爸也这样", "厉害", "求第二集", "说的就是我",
                "求教程", "还行", "😂😂😂", "学到了", "链接呢", "好看")


def _live_event(ctx: _Ctx, scen: str, ts: str, L: dict[str, list], i: int, r: list[int],
                chain_product: str | None = None) -> dict[str, Any]:
    p, zh = ctx.p, ctx.lang == "zh"
    users = L["l_users"][i]
    shop = L["shop"][i] or chain_product is not None
    variant = 0 if chain_product is not None else L["variant"][i]
    cover = "" if r[6] % 20 == 0 and chain_product is None else ctx.pools.covers[r[1] % len(ctx.pools.covers)]
    like_total = users * (3 + r[2] % 30)
    comment_total = users // (2 + r[3] % 8)
    if variant == 2:
        c: dict[str, Any] = {"live_comment_cnt": comment_total, "live_like_cnt": like_total, "live_cover_content": cover}
    else:
        c = {}
        if shop:
            key = chain_product or p.products[r[4] % len(p.products)]
            name = textbank.SHORT_NAMES[key][1 if zh else 0]
            bank = textbank.ZH_LIVE_SHOP if zh else textbank.EN_LIVE_SHOP
            title = bank[r[5] % len(bank)].replace("{topic}", name).replace(
                "{price}", f"{textbank.PRODUCTS[key].price * 0.6:.0f}")
            title = title[:1].upper() + title[1:]
        else:
            key = None
            title = ctx.pools.live_entertain[r[5] % len(ctx.pools.live_entertain)]
        if variant == 0:
            c["live_title"] = title
        c["live_category"] = ("其他" if zh else "Other") if r[7] % 4 else ("购物" if zh else "Shopping") if shop else (
            "娱乐" if zh else "Entertainment")
        c["is_shop_live"] = bool(shop)
        c["live_total_user_cnt"] = users
        c["live_total_view_cnt"] = users * (1 + r[2] % 4) + r[3] % 97
        c["live_total_view_duration"] = users * (40 + r[4] % 300)
        c["live_like_cnt"] = like_total
        c["live_comment_cnt"] = comment_total
        c["live_cover_content"] = cover
        if shop and (chain_product is not None or r[0] % 2 == 0):
            keys = [key] + [p.products[(r[4] + k) % len(p.products)] for k in (1, 2)][: r[2] % 3]
            c["items"] = [{"title": _title(textbank.PRODUCTS[k], zh), "price": round(textbank.PRODUCTS[k].price * 0.8, 1)}
                          for k in dict.fromkeys(keys) if k is not None]
    acts: list[dict[str, Any]] = [{"type": "watch", "play_duration": L["lplay"][i],
                                   "play_count": 1 + (r[5] % 6 == 0) * (1 + r[6] % 3)}]
    if L["l_like"][i]:
        acts.append({"type": "like", "like_cnt": L["like_cnt"][i]})
    if L["l_comment"][i]:
        bank = _COMMENTS_ZH if zh else _COMMENTS_EN
        acts.append({"type": "comment", "comment_cnt": L["comment_cnt"][i],
                     "comment_content": [bank[(r[3] + k) % len(bank)] for k in range(min(L["comment_cnt"][i], 3))]})
    if L["l_gift"][i]:
        acts.append({"type": "send_gift", "gift_amount": L["gift"][i]})
    if L["l_share"][i]:
        acts.append({"type": "share", "share_cnt": 1})
    if L["l_group"][i]:
        acts.append({"type": "join_group", "join_fans_group_cnt": 1})
    if L["l_follow"][i]:
        acts.append({"type": "follow", "is_follow_action": True})
    if shop and (L["l_cart"][i] or (chain_product is not None and r[0] % 10 < 6)) and "items" in c:
        it = c["items"][0]
        acts.append({"type": "click_cart", "is_click_cart_action": True, "item_title": it["title"], "item_price": it["price"]})
    if r[0] % 1500 == 1:
        acts.append({"type": "dislike", "report_cnt": 0, "reduce_simliar_cnt": 1})
    return {"type": scen, "timestamp": ts, "context": c, "action": acts}


def _title(prod: textbank.Product, zh: bool) -> str:
    return prod.title_zh if zh else prod.title_en
