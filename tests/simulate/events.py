"""Raw OmniBehavior event builders for the simulate tests (plain dicts, as in the benchmark files)."""

from __future__ import annotations

from typing import Any


def video(ts: str = "2025-09-03 21:14:05", caption: str = "猫咪跳舞", play: Any = 12, duration: Any = 30,
          actions: tuple[str, ...] = (), complete: bool | None = None, **ctx: Any) -> dict[str, Any]:
    watch: dict[str, Any] = {"type": "watch", "play_duration": play}
    if complete is not None:
        watch["is_complete_play"] = complete
    context = {"caption": caption, "duration": duration, **ctx}
    return {"type": "Video Browsing", "timestamp": ts, "context": context,
            "action": [watch] + [{"type": a} for a in actions]}


def live(ts: str = "2025-09-04 20:00:00", title: str = "晚间带货", play: int = 300, shop: bool | None = True,
         actions: tuple[dict[str, Any], ...] = (), **ctx: Any) -> dict[str, Any]:
    context: dict[str, Any] = {"live_title": title, "live_category": "Other", **ctx}
    if shop is not None:
        context["is_shop_live"] = shop
    return {"type": "Live Streaming", "timestamp": ts, "context": context,
            "action": [{"type": "watch", "play_duration": play, "play_count": 1}, *actions]}


def shop(ts: str = "2025-09-05 12:00:00", title: str = "蓝牙耳机", cart: bool | None = True,
         pay: bool | None = False, **ctx: Any) -> dict[str, Any]:
    acts = []
    if cart is not None:
        acts.append({"type": "cart", "is_add_to_cart": cart})
    if pay is not None:
        acts.append({"type": "purchase", "is_pay": pay})
    return {"type": "E-commerce", "timestamp": ts,
            "context": {"item_title": title, "item_price": 99.0, "item_desc": None, **ctx}, "action": acts}


def ad(ts: str = "2025-09-06", product: str = "手游", show: int = 1,
       actions: tuple[dict[str, Any], ...] = ({"type": "watch", "is_complete_play": True},), **ctx: Any) -> dict[str, Any]:
    return {"type": "Advertisement", "timestamp": ts,
            "context": {"product": product, "industry_main": "游戏", "show_cnt": show, **ctx},
            "action": list(actions)}


def search(ts: str = "2025-09-07 09:00:00", keyword: str | None = "小米", category: str = "查询型") -> dict[str, Any]:
    acts: list[dict[str, Any]] = []
    if keyword is not None:
        acts.append({"type": "search", "keyword": keyword, "query_category": category})
    acts += [{"type": "show", "show_cnt": 10}, {"type": "click", "click_cnt": 1}]
    return {"type": "Search Behavior", "timestamp": ts, "action": acts}


def service(ts: str = "2025-09-08 10:00:00", turns: list[tuple[str, str]] | None = None,
            paid: bool = False) -> dict[str, Any]:
    turns = turns if turns is not None else [("user", "你好在吗"), ("assistant", "在的亲，请问有什么可以帮您"),
                                             ("user", "我的快递怎么还没到"), ("user", "请对本次服务进行评价")]
    return {"type": "Customer Service", "timestamp": ts,
            "context": {"ticket_category": "物流", "product_name": "蓝牙耳机", "item_price": 99, "item_qty": 1},
            "action": [{"type": "dialogue", "content": [{"role": r, "content": c} for r, c in turns]},
                       {"type": "purchase", "paid": paid}]}


def trace(n_days: int = 6) -> list[dict[str, Any]]:
    """A small mixed trace in time order."""
    out: list[dict[str, Any]] = []
    for d in range(1, n_days + 1):
        day = f"2025-09-{d:02d}"
        out.append(video(ts=f"{day} 08:00:00", caption=f"第{d}个视频", play=10 + d,
                         actions=("like",) if d % 2 else ()))
        out.append(live(ts=f"{day} 20:00:00", title=f"直播{d}", play=60 * d,
                        actions=({"type": "send_gift", "gift_amount": 5},) if d % 3 == 0 else ()))
        out.append(shop(ts=f"{day} 21:00:00", cart=d % 2 == 0, pay=d % 4 == 0))
    return out
