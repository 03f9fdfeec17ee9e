"""Event text for prompts: the context ("详情") and result ("反应") of one event (PROTOCOL 3.4).

Layer: simulate (pure; no Qt). Two languages: ``zh`` follows the benchmark's structure (Chinese
sentences joined by 。, clauses by ，, Chinese units 万/分/秒/小时/元); ``en`` says the same facts in
English. The wording is ours; the facts shown, their order and the rules for when a fact is shown
follow PROTOCOL 3.4. Outcomes (result text) are only ever rendered for history events.
"""

from __future__ import annotations

from typing import Any

from workbench.simulate._events import (AD, LIVE, SEARCH, SERVICE, SHOP, VIDEO, actions_of,
                                        context_of, scenario_of, scene_zh, to_number, truthy_number)

LANGS = ("zh", "en")

#: Context keys coerced to numbers before rendering (PROTOCOL 1.4).
NUMERIC_CONTEXT_FIELDS = frozenset({
    "duration", "fans_user_num", "show_cnt", "play_cnt", "complete_play_cnt", "like_cnt",
    "comment_cnt", "share_cnt", "collect_cnt", "download_cnt", "follow_cnt", "report_cnt",
    "reduce_similar_cnt", "item_price", "item_num_180d_sales", "item_num_good_assess",
    "item_num_180d_buyer", "item_num_180d_rebuyer", "item_num_180d_cart", "live_total_user_cnt",
    "live_total_view_cnt", "live_total_view_duration", "live_like_cnt", "live_comment_cnt"})

SCENE_EN = {VIDEO: "Video Browsing", LIVE: "Live Streaming", SHOP: "E-commerce",
            AD: "Advertisement", SERVICE: "Customer Service", SEARCH: "Search Behavior"}


def scene_name(event: dict[str, Any], lang: str) -> str:
    if lang == "zh":
        return scene_zh(event)
    sc = scenario_of(event)
    return SCENE_EN.get(sc, str(event.get("type", "")).strip() or "Other")


def _ctx(event: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for k, v in context_of(event).items():
        if k in NUMERIC_CONTEXT_FIELDS and isinstance(v, str):
            n = to_number(v)
            out[k] = n if n is not None else v
        else:
            out[k] = v
    return out


def _pos(ctx: dict[str, Any], key: str) -> Any:
    """A positive number at ``key`` or None (nulls, strings, zero, negatives -> None)."""
    v = ctx.get(key)
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    return v if v > 0 else None


def _num(n: Any) -> str:
    if isinstance(n, float) and n.is_integer():
        return str(int(n))
    return str(n)


def _big(n: Any, lang: str) -> str:
    """Counts: >= 10 000 as X.Y万 (zh) or X.Yk-style grouping (en)."""
    if not isinstance(n, (int, float)):
        return str(n)
    if lang == "zh":
        return f"{n / 10000:.1f}万" if n >= 10000 else _num(n)
    return f"{int(n):,}" if float(n).is_integer() else f"{n:,.1f}"


def _mmss(seconds: int, lang: str) -> str:
    m, s = divmod(int(seconds), 60)
    if lang == "zh":
        return f"{m} 分 {s} 秒" if m > 0 else f"{s} 秒"
    return f"{m} min {s} s" if m > 0 else f"{s} s"


def _cut(text: Any, limit: int) -> str:
    s = str(text)
    return s[:limit] + "..." if len(s) > limit else s


def _sentences(parts: list[str], lang: str) -> str:
    if lang == "zh":
        return "。".join(parts) + "。"
    return ". ".join(p[:1].upper() + p[1:] for p in parts) + "."


def _clauses(parts: list[str], lang: str) -> str:
    return ("，" if lang == "zh" else ", ").join(parts)


def _list(parts: list[str], lang: str) -> str:
    return ("、" if lang == "zh" else ", ").join(parts)


# -- context text -----------------------------------------------------------------------------------

def _video_context(c: dict[str, Any], L: str) -> list[str]:
    zh = L == "zh"
    parts = [(f"这是一个标题为《{c['caption']}》的视频" if zh else f"a video titled \"{c['caption']}\"")
             if c.get("caption") else ("这是一个视频" if zh else "a video")]
    fans, verified, vtype = _pos(c, "fans_user_num"), c.get("is_verified"), c.get("verification_type")
    if fans:
        s = f"作者有 {_big(fans, L)} 粉丝" if zh else f"the author has {_big(fans, L)} followers"
        if verified and vtype:
            s += f"，并通过了{vtype}认证" if zh else f" and is verified ({vtype})"
        elif verified:
            s += "，并已通过平台认证" if zh else " and is verified by the platform"
        parts.append(s)
    elif verified:
        parts.append((f"作者已通过{vtype}认证" if vtype else "作者已通过平台认证") if zh
                     else (f"the author is verified ({vtype})" if vtype else "the author is verified"))
    dur = c.get("duration")
    if dur:
        if isinstance(dur, (int, float)) and not isinstance(dur, bool):
            parts.append(("视频时长为 " if zh else "the video lasts ") + _mmss(int(dur), L))
        else:
            parts.append(f"视频时长为 {dur}" if zh else f"the video lasts {dur}")
    pop_keys = [("show_cnt", "次曝光", "impressions"), ("play_cnt", "次播放", "plays"),
                ("complete_play_cnt", "次完整播放", "complete plays"), ("like_cnt", "个赞", "likes"),
                ("comment_cnt", "条评论", "comments"), ("share_cnt", "次分享", "shares"),
                ("collect_cnt", "次收藏", "favourites"), ("download_cnt", "次下载", "downloads"),
                ("follow_cnt", "次关注", "follows")]
    pop = [(f"{_num(_pos(c, k))}{zh_u}" if zh else f"{_big(_pos(c, k), L)} {en_u}")
           for k, zh_u, en_u in pop_keys if _pos(c, k)]
    if pop:
        parts.append(("该视频目前已有 " if zh else "so far it has ") + _list(pop, L))
    if c.get("ocr"):
        parts.append(("视频画面中的文字为：" if zh else "on-screen text: ") + _cut(c["ocr"], 10000))
    if c.get("asr"):
        parts.append(("视频中的语音内容为：" if zh else "speech in the video: ") + _cut(c["asr"], 10000))
    if c.get("upload_timestamp"):
        parts.append((f"发布时间是 {c['upload_timestamp']}" if zh
                       else f"uploaded at {c['upload_timestamp']}"))
    return parts


def _hours(seconds: float, L: str) -> str:
    hours = seconds / 3600
    if L == "zh":
        if hours >= 10000:
            return f"{hours / 10000:.1f}万 小时"
        if hours >= 1:
            return f"{hours:.1f} 小时"
        return f"{seconds / 60:.0f} 分钟"
    if hours >= 1:
        return f"{hours:,.1f} hours"
    return f"{seconds / 60:.0f} minutes"


def _live_context(c: dict[str, Any], L: str) -> list[str]:
    zh = L == "zh"
    intro = (f"这是一个标题为「{c['live_title']}」的直播间" if zh
             else f"a live room titled \"{c['live_title']}\"") if c.get("live_title") \
        else ("这是一个直播间" if zh else "a live room")
    if c.get("live_category"):
        intro += f"，直播类型为{c['live_category']}" if zh else f", category {c['live_category']}"
    if c.get("live_game_name"):
        intro += f"，直播的游戏是{c['live_game_name']}" if zh else f", playing {c['live_game_name']}"
    if "is_shop_live" in c:
        if c.get("is_shop_live"):
            intro += "，这是一个带货直播间" if zh else ", a selling (shopping) stream"
        else:
            intro += "，这是一个娱乐直播间" if zh else ", an entertainment stream"
    parts = [intro]
    aud = []
    if _pos(c, "live_total_user_cnt"):
        n = _big(c["live_total_user_cnt"], L)
        aud.append(f"累计观看人数 {n}" if zh else f"{n} viewers in total")
    if _pos(c, "live_total_view_cnt"):
        n = _big(c["live_total_view_cnt"], L)
        aud.append(f"累计观看次数 {n}" if zh else f"{n} views in total")
    if aud:
        parts.append(_clauses(aud, L))
    if _pos(c, "live_total_view_duration"):
        t = _hours(float(c["live_total_view_duration"]), L)
        parts.append(f"观众累计观看时长约 {t}" if zh else f"viewers watched about {t} in total")
    if c.get("live_cover_content"):
        parts.append(("直播封面内容：" if zh else "cover: ") + str(c["live_cover_content"]))
    inter = []
    if _pos(c, "live_like_cnt"):
        n = _big(c["live_like_cnt"], L)
        inter.append(f"{n} 个点赞" if zh else f"{n} likes")
    if _pos(c, "live_comment_cnt"):
        n = _big(c["live_comment_cnt"], L)
        inter.append(f"{n} 条评论" if zh else f"{n} comments")
    if inter:
        parts.append(("直播间已获得 " if zh else "the room has ") + _list(inter, L))
    items = c.get("items")
    if isinstance(items, list) and items:
        shown = []
        for it in items:
            if not isinstance(it, dict):
                continue
            title = it.get("title") or ("商品" if zh else "item")
            price = it.get("price")
            shown.append(f"{title}（{price} 元）" if zh and price not in (None, "")
                         else f"{title} ({price} yuan)" if price not in (None, "") else str(title))
        if shown:
            parts.append(("在售商品有：" if zh else "products on sale: ") + _list(shown, L))
    return parts


def _shop_context(c: dict[str, Any], L: str) -> list[str]:
    zh = L == "zh"
    parts = [(f"这是一件商品，名称为{c['item_title']}" if zh else f"a product named \"{c['item_title']}\"")
             if c.get("item_title") else ("这是一件商品" if zh else "a product")]
    if c.get("item_desc"):
        parts.append(("商品描述：" if zh else "description: ") + _cut(c["item_desc"], 10000))
    if c.get("product_source"):
        parts.append(f"商品来自{c['product_source']}" if zh else f"seen on {c['product_source']}")
    price = c.get("item_price")
    if price:
        if isinstance(price, (int, float)) and price > 0:
            parts.append(f"售价为 {_num(price)} 元" if zh else f"price {_num(price)} yuan")
        else:
            parts.append("售价未知" if zh else "price unknown")
    cats = [str(c[k]) for k in ("category_level1_name", "category_level2_name",
                                "category_level3_name") if c.get(k)]
    if cats:
        parts.append(("商品类别为：" if zh else "category: ") + ("，" if zh else " > ").join(cats))
    inds = [str(c[k]) for k in ("industry_level1_name", "industry_level2_name",
                                "industry_level3_name") if c.get(k)]
    if inds:
        parts.append(("所属行业为：" if zh else "industry: ") + ("，" if zh else " > ").join(inds))
    sales = []
    for key, zh_f, en_f in (("item_num_180d_sales", "近180天已售出 {}件", "{} sold in 180 days"),
                            ("item_num_good_assess", "{}条好评", "{} good reviews"),
                            ("item_num_180d_buyer", "{}人购买", "{} buyers"),
                            ("item_num_180d_rebuyer", "{}人复购", "{} repeat buyers")):
        if _pos(c, key):
            sales.append((zh_f if zh else en_f).format(_big(c[key], L)))
    if sales:
        parts.append(("该商品" if zh else "the product has ") + _list(sales, L))
    if _pos(c, "item_num_180d_cart"):
        n = _big(c["item_num_180d_cart"], L)
        parts.append(f"近180天有 {n} 人加入购物车" if zh else f"{n} people added it to cart in 180 days")
    return parts


def _ad_context(c: dict[str, Any], L: str) -> list[str]:
    zh = L == "zh"
    if c.get("product"):
        s = f"这是一条推广{c['product']}的广告" if zh else f"an ad for {c['product']}"
        if c.get("industry_main"):
            sub = c.get("industry_sub")
            if sub and sub != c["industry_main"]:
                s += (f"，属于{c['industry_main']}行业的{sub}品类" if zh
                      else f", industry {c['industry_main']} / {sub}")
            else:
                s += f"，属于{c['industry_main']}行业" if zh else f", industry {c['industry_main']}"
        parts = [s]
    else:
        parts = ["这是一条广告" if zh else "an ad"]
    if c.get("is_verified"):
        vt = c.get("verification_type")
        parts.append((f"广告主已认证（{vt}）" if vt else "广告主已认证") if zh
                     else (f"the advertiser is verified ({vt})" if vt else "the advertiser is verified"))
    if c.get("fans_user_num"):
        parts.append(f"广告主粉丝数为 {c['fans_user_num']}" if zh
                     else f"the advertiser has {c['fans_user_num']} followers")
    elif c.get("fans_user_num_op_range"):
        parts.append(f"广告主粉丝数范围为{c['fans_user_num_op_range']}" if zh
                     else f"advertiser followers in range {c['fans_user_num_op_range']}")
    if c.get("caption"):
        parts.append(("广告标题为：" if zh else "caption: ") + _cut(c["caption"], 500))
    if c.get("photo_type"):
        parts.append(f"广告类型为{c['photo_type']}" if zh else f"ad type {c['photo_type']}")
    dur = c.get("duration")
    if dur:
        if isinstance(dur, (int, float)) and not isinstance(dur, bool):
            d = int(dur)
            if zh:
                m, s = divmod(d, 60)
                txt = (f"{m} 分 {s} 秒" if s else f"{m} 分钟") if d >= 60 else f"{d} 秒"
                parts.append("广告时长为 " + txt)
            else:
                parts.append("the ad lasts " + _mmss(d, L))
        else:
            parts.append(f"广告时长为 {dur}" if zh else f"the ad lasts {dur}")
    if c.get("upload_timestamp"):
        parts.append(f"广告上传时间为 {c['upload_timestamp']}" if zh
                     else f"uploaded at {c['upload_timestamp']}")
    if _pos(c, "show_cnt"):
        parts.append(f"该广告已向该用户展示过 {_num(c['show_cnt'])} 次" if zh
                     else f"this ad was shown to this user {_num(c['show_cnt'])} times")
    if _pos(c, "play_cnt"):
        parts.append(f"广告播放次数为 {_num(c['play_cnt'])}" if zh else f"{_num(c['play_cnt'])} plays")
    if _pos(c, "complete_play_cnt"):
        parts.append(f"广告被完整播放 {_num(c['complete_play_cnt'])} 次" if zh
                     else f"{_num(c['complete_play_cnt'])} complete plays")
    inter = []
    for key, zh_f, en_f in (("like_cnt", "点赞 {} 次", "{} likes"), ("comment_cnt", "评论 {} 次", "{} comments"),
                            ("share_cnt", "分享 {} 次", "{} shares"), ("collect_cnt", "收藏 {} 次", "{} favourites"),
                            ("download_cnt", "下载 {} 次", "{} downloads"), ("follow_cnt", "关注 {} 次", "{} follows")):
        if _pos(c, key):
            inter.append((zh_f if zh else en_f).format(_num(c[key])))
    if inter:
        parts.append(("广告互动数据：" if zh else "interactions: ") + _list(inter, L))
    neg = []
    if _pos(c, "report_cnt"):
        neg.append(f"被举报 {_num(c['report_cnt'])} 次" if zh else f"{_num(c['report_cnt'])} reports")
    if _pos(c, "reduce_similar_cnt"):
        neg.append(f"减少类似推荐 {_num(c['reduce_similar_cnt'])} 次" if zh
                   else f"{_num(c['reduce_similar_cnt'])} 'fewer like this'")
    if neg:
        parts.append(("广告负面反馈：" if zh else "negative feedback: ") + _list(neg, L))
    if c.get("ocr_text"):
        parts.append(("广告画面中的文字为：" if zh else "on-screen text: ") + _cut(c["ocr_text"], 10000))
    if c.get("asr_text"):
        parts.append(("广告中的语音内容为：" if zh else "speech in the ad: ") + _cut(c["asr_text"], 10000))
    return parts


_INTENT = {"查询型": ("查询型，即带着明确目标去查找", "a lookup search with a clear target"),
           "浏览型": ("浏览型，即随意逛逛看看", "a browsing search without a fixed target")}


def search_keyword_of(event: dict[str, Any]) -> tuple[Any, Any]:
    """(keyword, query_category) of a search event: first ``search`` action, else the context."""
    kw = cat = None
    for a in actions_of(event):
        if a.get("type") == "search":
            kw, cat = a.get("keyword"), a.get("query_category")
            break
    c = context_of(event)
    if not kw:
        kw = c.get("keyword")
    if not cat:
        cat = c.get("query_category")
    return kw, cat


def _search_context(event: dict[str, Any], L: str) -> list[str]:
    zh = L == "zh"
    kw, cat = search_keyword_of(event)
    if not kw:
        return ["用户进行了一次搜索" if zh else "the user searched"]
    s = f"用户输入关键词“{kw}”进行了搜索" if zh else f"the user typed the keyword \"{kw}\" and searched"
    if cat:
        gloss = _INTENT.get(str(cat))
        if gloss:
            s += f"（搜索类型：{gloss[0]}）" if zh else f" ({gloss[1]})"
        else:
            s += f"（搜索类型：{cat}）" if zh else f" (search type: {cat})"
    return [s]


def _service_context(c: dict[str, Any], L: str) -> list[str]:
    zh = L == "zh"
    parts = []
    if c.get("ticket_category"):
        parts.append(f"这是一次关于「{c['ticket_category']}」的咨询" if zh
                     else f"a consultation about \"{c['ticket_category']}\"")
    if c.get("product_name"):
        parts.append(f"涉及商品：{c['product_name']}" if zh else f"product: {c['product_name']}")
    if c.get("product_category_info"):
        parts.append(f"商品类目：{c['product_category_info']}" if zh
                     else f"product category: {c['product_category_info']}")
    order = []
    if c.get("item_price") not in (None, ""):
        order.append(f"单价 {_num(c['item_price'])} 元" if zh else f"unit price {_num(c['item_price'])} yuan")
    if c.get("item_qty") not in (None, ""):
        order.append(f"数量 {_num(c['item_qty'])}" if zh else f"quantity {_num(c['item_qty'])}")
    fee = to_number(c.get("express_fee"))
    if fee is not None and fee > 0:
        order.append(f"运费 {_num(fee)} 元" if zh else f"shipping {_num(fee)} yuan")
    if order:
        parts.append(_clauses(order, L))
    if c.get("pay_order_time"):
        parts.append(f"下单时间为 {c['pay_order_time']}" if zh else f"ordered at {c['pay_order_time']}")
    return parts


_MISSING = {VIDEO: ("视频信息缺失。", "Video information missing."),
            LIVE: ("直播间信息缺失。", "Live room information missing."),
            SHOP: ("商品信息缺失。", "Product information missing."),
            AD: ("广告信息缺失。", "Ad information missing."),
            SERVICE: ("客服咨询信息缺失。", "Consultation information missing."),
            SEARCH: ("搜索信息缺失。", "Search information missing.")}


def context_text(event: dict[str, Any], lang: str = "zh") -> str:
    """The event's scene description ("详情"); never mentions what the user did."""
    sc = scenario_of(event)
    c = _ctx(event)
    if sc == SEARCH:
        parts = _search_context(event, lang)
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
        return str(context_of(event))
    if not parts:
        zh_txt, en_txt = _MISSING.get(sc, ("信息缺失。", "Information missing."))
        return zh_txt if lang == "zh" else en_txt
    return _sentences(parts, lang)


# -- result text ------------------------------------------------------------------------------------

def _dur_text(value: Any, L: str) -> str:
    if isinstance(value, str):
        return value
    n = to_number(value)
    if n is None:
        return str(value)
    if n >= 60:
        return _mmss(int(n), L)
    return (f"{_num(n)} 秒" if L == "zh" else f"{_num(n)} s")


def _video_result(acts: list[dict[str, Any]], L: str) -> list[str]:
    zh = L == "zh"
    out: list[str] = []
    for a in acts:
        t = a.get("type")
        if t == "watch":
            d = a.get("play_duration", a.get("watch_seconds"))
            if d is not None:
                out.append(("观看了 " if zh else "watched ") + _dur_text(d, L))
            if truthy_number(a.get("played_loop_cnt")):
                out.append(f"循环播放 {_num(a['played_loop_cnt'])} 次" if zh
                           else f"looped {_num(a['played_loop_cnt'])} times")
            for key, zh_t, en_t in (("is_fast_forward_play", "有快进", "fast-forwarded"),
                                    ("is_backward_play", "有回看", "rewound"),
                                    ("is_enlarge_play", "放大观看", "zoomed in")):
                if a.get(key):
                    out.append(zh_t if zh else en_t)
            if a.get("is_complete_play") or a.get("completed"):
                out.append("完整看完了视频" if zh else "watched to the end")
        elif t == "like":
            out.append("点赞了" if zh else "liked it")
        elif t == "comment":
            s = "发表了评论" if zh else "commented"
            if a.get("comment_detail_list"):
                s += f"「{a['comment_detail_list']}」" if zh else f" \"{a['comment_detail_list']}\""
            if truthy_number(a.get("comment_stay_duration")):
                s += (f"（在评论区停留 {_num(to_number(a['comment_stay_duration']))} 秒）" if zh
                      else f" (stayed {_num(to_number(a['comment_stay_duration']))} s in comments)")
            if a.get("is_at_friend_in_comment"):
                s += "，并@了好友" if zh else ", mentioning a friend"
            out.append(s)
        elif t == "share":
            out.append((f"分享了 {_num(a['share_cnt'])} 次" if zh else f"shared {_num(a['share_cnt'])} times")
                       if truthy_number(a.get("share_cnt")) else ("分享了" if zh else "shared it"))
        elif t == "collect":
            out.append("收藏了" if zh else "added it to favourites")
        elif t == "download":
            out.append("下载了" if zh else "downloaded it")
        elif t == "follow":
            out.append("关注了作者" if zh else "followed the author")
        elif t == "unfollow" and a.get("is_unfollow_action"):
            out.append("取消关注了作者" if zh else "unfollowed the author")
        elif t == "dislike" and (truthy_number(a.get("reduce_similar_cnt"))
                                 or truthy_number(a.get("reduce_simliar_cnt"))):
            out.append("选择了减少类似推荐" if zh else "asked for fewer like this")
        elif t == "report" and truthy_number(a.get("report_cnt")):
            out.append("举报了该视频" if zh else "reported it")
    return out


def _live_result(acts: list[dict[str, Any]], L: str) -> list[str]:
    zh = L == "zh"
    out: list[str] = []
    for a in acts:
        t = a.get("type")
        if t == "watch":
            d = to_number(a.get("play_duration"))
            if d is not None:
                s = ("在直播间停留了 " if zh else "stayed ") + _mmss(int(d), L)
                if truthy_number(a.get("play_count")):
                    s += f"（进入 {_num(a['play_count'])} 次）" if zh else f" ({_num(a['play_count'])} entries)"
                out.append(s)
        elif t == "like":
            n = to_number(a.get("like_cnt"))
            out.append((f"点赞 {_big(n, L)} 次" if zh else f"liked {_big(n, L)} times")
                       if n else ("点赞了" if zh else "liked"))
        elif t == "comment":
            n = to_number(a.get("comment_cnt"))
            s = (f"发了 {_num(n)} 条评论" if zh else f"sent {_num(n)} comments") if n \
                else ("发了评论" if zh else "commented")
            msgs = a.get("comment_content")
            if isinstance(msgs, list) and msgs:
                q = [f"「{m}」" if zh else f"\"{m}\"" for m in msgs[:3]]
                s += ("：" if zh else ": ") + ("".join(q) if zh else ", ".join(q))
            out.append(s)
        elif t == "send_gift" and a.get("gift_amount"):
            out.append(f"送出了价值 {_num(to_number(a['gift_amount']) or a['gift_amount'])} 元的礼物" if zh
                       else f"sent gifts worth {_num(to_number(a['gift_amount']) or a['gift_amount'])} yuan")
        elif t == "follow" and a.get("is_follow_action"):
            out.append("关注了主播" if zh else "followed the streamer")
        elif t == "unfollow" and a.get("is_unfollow_action"):
            out.append("取消关注了主播" if zh else "unfollowed the streamer")
        elif t == "share" and truthy_number(a.get("share_cnt")):
            out.append(f"分享了直播间 {_num(a['share_cnt'])} 次" if zh else f"shared the room {_num(a['share_cnt'])} times")
        elif t == "dislike":
            if truthy_number(a.get("report_cnt")):
                out.append("举报了直播间" if zh else "reported the room")
            elif truthy_number(a.get("reduce_simliar_cnt")) or truthy_number(a.get("reduce_similar_cnt")):
                out.append("选择了减少类似推荐" if zh else "asked for fewer like this")
        elif t == "report" and truthy_number(a.get("report_cnt")):
            out.append("举报了直播间" if zh else "reported the room")
        elif t == "click_cart" and a.get("is_click_cart_action"):
            s = "点开购物车查看了商品" if zh else "opened the cart and looked at a product"
            if a.get("item_title"):
                s += f"「{a['item_title']}」" if zh else f" \"{a['item_title']}\""
            if a.get("item_price") not in (None, ""):
                s += f"（{_num(a['item_price'])} 元）" if zh else f" ({_num(a['item_price'])} yuan)"
            out.append(s)
        elif t == "join_group" and truthy_number(a.get("join_fans_group_cnt")):
            out.append("加入了主播的粉丝团" if zh else "joined the fan group")
    return out


def _shop_result(acts: list[dict[str, Any]], L: str) -> list[str]:
    zh = L == "zh"
    out: list[str] = []
    for a in acts:
        t = a.get("type")
        if t == "cart":
            out.append(("加入了购物车" if zh else "added it to the cart") if a.get("is_add_to_cart")
                       else ("浏览了但没有加入购物车" if zh else "looked but did not add it to the cart"))
        elif t == "purchase":
            paid = a.get("is_pay") or a.get("paid") or a.get("order_success")
            out.append(("下单购买了" if zh else "bought it") if paid else ("没有购买" if zh else "did not buy"))
    return out


def _ad_result(acts: list[dict[str, Any]], L: str) -> list[str]:
    zh = L == "zh"
    out: list[str] = []
    for a in acts:
        t = a.get("type")
        if t == "watch":
            secs = to_number(a.get("watch_seconds", a.get("play_duration")))
            if secs is not None and secs > 0:
                out.append(f"观看了 {float(secs):.1f} 秒" if zh else f"watched {float(secs):.1f} s")
            if truthy_number(a.get("played_loop_cnt")):
                out.append(f"循环播放 {_num(a['played_loop_cnt'])} 次" if zh
                           else f"looped {_num(a['played_loop_cnt'])} times")
            if a.get("is_complete_play"):
                out.append("完整看完了广告" if zh else "watched the ad to the end")
        elif t == "like":
            out.append("点赞了广告" if zh else "liked the ad")
        elif t == "comment":
            out.append("评论了广告" if zh else "commented on the ad")
        elif t == "share":
            out.append("分享了广告" if zh else "shared the ad")
        elif t == "conversion" and truthy_number(a.get("conversion_cnt")):
            out.append(f"产生了 {_num(a['conversion_cnt'])} 次转化" if zh
                       else f"converted {_num(a['conversion_cnt'])} times")
        elif t == "activation" and truthy_number(a.get("activation_cnt")):
            out.append("激活/注册了推广的应用或服务" if zh else "activated the advertised app or service")
        elif t == "submit" and truthy_number(a.get("form_submit_total_cnt")):
            out.append("填写并提交了表单" if zh else "filled in and submitted the form")
        elif t == "purchase" and (truthy_number(a.get("pay_cnt")) or truthy_number(a.get("pay_purchase_amt"))):
            out.append("通过广告完成了购买" if zh else "bought through the ad")
        elif t == "follow":
            out.append("关注了广告主" if zh else "followed the advertiser")
        elif t == "unfollow":
            out.append("取消关注了广告主" if zh else "unfollowed the advertiser")
        elif t == "dislike" and truthy_number(a.get("report_cnt")):
            out.append("举报了广告" if zh else "reported the ad")
    return out


def _search_result(acts: list[dict[str, Any]], L: str) -> list[str]:
    zh = L == "zh"
    out: list[str] = []
    for a in acts:
        t = a.get("type")
        if t == "show" and to_number(a.get("show_cnt")) is not None:
            out.append(f"搜索结果展示了 {_num(to_number(a['show_cnt']))} 条" if zh
                       else f"{_num(to_number(a['show_cnt']))} results were shown")
        elif t == "click" and to_number(a.get("click_cnt")) is not None:
            out.append(f"点击了 {_num(to_number(a['click_cnt']))} 次搜索结果" if zh
                       else f"clicked results {_num(to_number(a['click_cnt']))} times")
    return out


def _service_result(acts: list[dict[str, Any]], L: str) -> list[str]:
    zh = L == "zh"
    out: list[str] = []
    for a in acts:
        t = a.get("type")
        if t == "dialogue":
            turns = a.get("content") if isinstance(a.get("content"), list) else []
            u = sum(1 for x in turns if isinstance(x, dict) and x.get("role") == "user")
            s = sum(1 for x in turns if isinstance(x, dict) and x.get("role") == "assistant")
            out.append(f"与客服进行了沟通（用户发送 {u} 条消息，客服回复 {s} 条）" if zh
                       else f"talked to the agent (user sent {u} messages, agent replied {s})")
        elif t == "purchase":
            out.append(("最终付款了" if zh else "paid in the end") if a.get("paid") or a.get("is_pay")
                       else ("最终没有付款" if zh else "did not pay"))
    return out


_RESULTS = {VIDEO: _video_result, LIVE: _live_result, SHOP: _shop_result, AD: _ad_result,
            SEARCH: _search_result, SERVICE: _service_result}


def result_text(event: dict[str, Any], lang: str = "zh") -> str:
    """What the user did ("反应"). The dialogue text of conversations is never shown."""
    fn = _RESULTS.get(scenario_of(event))
    parts = fn(actions_of(event), lang) if fn else []
    if not parts:
        return "仅浏览，无其他操作" if lang == "zh" else "only browsed, nothing else"
    return _clauses(parts, lang)


def event_body(event: dict[str, Any], lang: str = "zh") -> str:
    """The history block without its label: ``event_block(e, label, lang) == label + event_body(e, lang)``
    (the prompt builder renders each event's body once and prefixes the numbered labels)."""
    if lang == "zh":
        return (f"时间：{event.get('timestamp', '')}\n"
                f"  场景：{scene_name(event, lang)}\n"
                f"  详情：{context_text(event, lang)}\n"
                f"  反应：{result_text(event, lang)}")
    return (f" Time: {event.get('timestamp', '')}\n"
            f"  Scene: {scene_name(event, lang)}\n"
            f"  Details: {context_text(event, lang)}\n"
            f"  Reaction: {result_text(event, lang)}")


def event_block(event: dict[str, Any], label: str, lang: str = "zh") -> str:
    """The four-line history block (PROTOCOL 3.4): time, scene, details, reaction."""
    return label + event_body(event, lang)
