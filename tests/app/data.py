"""Small, fixed OmniBehavior-format traces for the app tests (raw JSON dicts, written to tmp_path).

``user_a`` holds a cross-scenario chain leading to a purchase:
search "缓震跑鞋" (09-02 09:00) -> video about cushioned running shoes (09-04 20:00) -> live stream
selling the same shoe (09-08 19:30) -> purchase (09-12 14:00); plus unrelated videos, date-only ads,
a customer-service dialogue (Chinese) after the purchase and an old search outside the 30-day window.
``user_b`` is a short English trace.
"""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta
from pathlib import Path

CHAIN_TIMES = ("2025-09-02 09:00:00", "2025-09-04 20:00:00", "2025-09-08 19:30:00", "2025-09-12 14:00:00")
PRODUCT = "轻量缓震跑鞋 男款"

_FILLER_TITLES = (
    "今天做了红烧肉，家常做法", "Cat tries cucumber for the first time", "周末去爬山的风景",
    "How to fold a fitted sheet", "秋天的第一杯奶茶", "Street food tour in Chengdu", "钢琴练习第十天",
    "Budget travel tips for Japan", "家里的绿萝又长新叶了", "Speed painting a sunset",
)


def _video(ts: str, caption: str, watch: int, like: bool = False, **extra) -> dict:
    actions = [{"type": "watch", "play_duration": watch, "played_loop_cnt": 0, "is_complete_play": watch >= 30,
                "is_fast_forward_play": False, "is_backward_play": False, "is_enlarge_play": False}]
    if like:
        actions.append({"type": "like"})
    ctx = {"caption": caption, "duration": 45, "fans_user_num": 1234567, "fans_user_num_range": "100w-500w",
           "is_verified": True, "photo_type": "VIDEO", "show_cnt": 88000, "play_cnt": 56000, "like_cnt": 2100,
           "comment_cnt": 87, "share_cnt": 12, "upload_timestamp": "2025-08-30 12:00:00",
           "ocr": extra.pop("ocr", ""), "asr": extra.pop("asr", "大家好，今天给大家分享一下。")}
    ctx.update(extra)
    return {"type": "Video Browsing", "timestamp": ts, "context": ctx, "action": actions}


def user_a_events() -> list[dict]:
    rng = random.Random(7)
    events: list[dict] = []
    # an old search, outside the 30-day look-back of the purchase
    events.append({"type": "Search Behavior", "timestamp": "2025-08-01 08:00:00",
                   "action": [{"type": "search", "keyword": "跑鞋", "query_category": "浏览型"},
                              {"type": "show", "show_cnt": 20}]})
    # background videos, deterministic
    start = datetime(2025, 9, 1, 7, 0, 0)
    for i in range(60):
        t = start + timedelta(hours=5 * i + rng.randint(0, 3), minutes=rng.randint(0, 59), seconds=17)
        if t >= datetime(2025, 9, 20):
            break
        events.append(_video(t.strftime("%Y-%m-%d %H:%M:%S"), _FILLER_TITLES[i % len(_FILLER_TITLES)],
                             watch=rng.choice([3, 5, 8, 12, 20, 45, 90]), like=(i % 9 == 0)))
    # the chain
    events.append({"type": "Search Behavior", "timestamp": CHAIN_TIMES[0],
                   "action": [{"type": "search", "keyword": "缓震跑鞋", "query_category": "查询型"},
                              {"type": "show", "show_cnt": 30}, {"type": "click", "click_cnt": 2}]})
    events.append(_video(CHAIN_TIMES[1], "缓震跑鞋实测：十公里真实感受", watch=140, like=True,
                         ocr="十公里 配速 5:30", asr="这双缓震跑鞋脚感很软"))
    events.append({"type": "Live Streaming", "timestamp": CHAIN_TIMES[2],
                   "context": {"live_title": "跑鞋专场 限时优惠", "live_category": "Other", "is_shop_live": True,
                               "live_total_user_cnt": 52000, "live_total_view_cnt": 180000,
                               "live_total_view_duration": 9000, "live_like_cnt": 34000, "live_comment_cnt": 900,
                               "live_cover_content": "主播手持一双白色跑鞋，背景是运动品牌门店",
                               "items": [{"title": PRODUCT, "price": 299.0}]},
                   "action": [{"type": "watch", "play_duration": 600, "play_count": 1},
                              {"type": "like", "like_cnt": 25},
                              {"type": "comment", "comment_cnt": 2, "comment_content": ["有42码吗", "多少钱"]}]})
    events.append({"type": "E-commerce", "timestamp": CHAIN_TIMES[3],
                   "context": {"item_title": PRODUCT, "item_desc": None, "product_source": "Buyer's Homepage",
                               "item_price": 299.0, "category_level1_name": "运动户外",
                               "category_level2_name": "运动鞋", "category_level3_name": "跑步鞋",
                               "item_num_180d_sales": 15800, "product_id": "100234"},
                   "action": [{"type": "cart", "is_add_to_cart": True}, {"type": "purchase", "is_pay": True}]})
    # a cart that was NOT added (boolean false) - not a conversion
    events.append({"type": "E-commerce", "timestamp": "2025-09-10 11:00:00",
                   "context": {"item_title": "保温杯 500ml", "item_desc": None, "product_source": "Order Details Page",
                               "item_price": 0.0, "category_level3_name": "保温杯"},
                   "action": [{"type": "cart", "is_add_to_cart": False}]})
    # date-only ads
    for d in ("2025-09-03", "2025-09-10", "2025-09-10"):
        events.append({"type": "Advertisement", "timestamp": d,
                       "context": {"product": "学习机", "industry_main": "教育", "industry_sub": "教育",
                                   "caption": None, "show_cnt": 2, "ocr_text": None},
                       "action": [{"type": "watch", "is_complete_play": False}]})
    # customer service after the purchase
    events.append({"type": "Customer Service", "timestamp": "2025-09-13 10:00:00",
                   "context": {"ticket_category": "物流咨询", "product_name": PRODUCT, "item_price": 299.0,
                               "item_qty": 1, "pay_order_time": CHAIN_TIMES[3]},
                   "action": [{"type": "dialogue", "content": [
                       {"role": "user", "content": "我的跑鞋什么时候发货？"},
                       {"role": "assistant", "content": "亲，订单将在48小时内发货哦。"},
                       {"role": "user", "content": "太慢了"}]}]})
    events.sort(key=lambda e: e["timestamp"])
    return events


def user_b_events() -> list[dict]:
    return [
        _video("2025-09-05 08:00:00", "Morning yoga routine", watch=30),
        _video("2025-09-06 08:10:00", "Marathon training tips for beginners", watch=200, like=True),
        {"type": "Search Behavior", "timestamp": "2025-09-07 12:00:00",
         "action": [{"type": "search", "keyword": "yoga mat"}]},
    ]


def traces() -> dict:
    return {
        "user_a": {"user_profile": "Female, 25-34, bachelor's degree, married, one child. Likes running.",
                   "action_history": user_a_events()},
        "user_b": {"user_profile": "Male, 50+, high school, lives alone.", "action_history": user_b_events()},
    }


def write_traces(folder: Path, name: str = "traces.json") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(json.dumps(traces(), ensure_ascii=False), encoding="utf-8")
    return path


def chain_indices() -> list[int]:
    """Event indices of the chain in user_a (search, video, live, purchase)."""
    ev = user_a_events()
    out = []
    for ts in CHAIN_TIMES:
        out.append(next(i for i, e in enumerate(ev) if e["timestamp"] == ts))
    return out
