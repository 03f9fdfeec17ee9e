"""Raw OmniBehavior event builders for the evaluate tests."""

from __future__ import annotations

from typing import Any


def video(ts: str, *, caption: str = "a cat video #cats", play: int = 10, like: bool = False,
          duration: int = 30, share: bool = False) -> dict[str, Any]:
    actions: list[dict[str, Any]] = [{"type": "watch", "play_duration": play}]
    if like:
        actions.append({"type": "like"})
    if share:
        actions.append({"type": "share", "share_cnt": 1})
    return {"type": "Video Browsing", "timestamp": ts,
            "context": {"caption": caption, "duration": duration}, "action": actions}


def live(ts: str, *, title: str = "evening show", gift: bool = False, play: int = 60) -> dict[str, Any]:
    actions: list[dict[str, Any]] = [{"type": "watch", "play_duration": play}]
    if gift:
        actions.append({"type": "send_gift", "gift_amount": 1})
    return {"type": "Live Streaming", "timestamp": ts,
            "context": {"live_title": title, "live_category": "Other", "is_shop_live": False},
            "action": actions}


def ad(ts: str, *, show: int = 1, conversion: bool = True) -> dict[str, Any]:
    actions: list[dict[str, Any]] = [{"type": "watch", "is_complete_play": True}]
    if conversion:
        actions.append({"type": "conversion", "conversion_cnt": 1})
    return {"type": "Advertisement", "timestamp": ts,
            "context": {"product": "game", "industry_main": "Games", "show_cnt": show},
            "action": actions}


def search(ts: str, keyword: str = "小米") -> dict[str, Any]:
    return {"type": "Search Behavior", "timestamp": ts,
            "action": [{"type": "search", "keyword": keyword}, {"type": "show", "show_cnt": 5}]}


def service(ts: str, turns: list[tuple[str, str]]) -> dict[str, Any]:
    return {"type": "Customer Service", "timestamp": ts,
            "context": {"ticket_category": "logistics", "product_name": "kettle"},
            "action": [{"type": "dialogue", "content": [{"role": r, "content": c} for r, c in turns]}]}


def day(month: int, d: int, h: int = 12, m: int = 0) -> str:
    return f"2025-{month:02d}-{d:02d} {h:02d}:{m:02d}:00"
