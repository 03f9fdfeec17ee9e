"""The demo generator's clock, text pools and per-user state. Layer: demo (pure).

The internal clock counts seconds from :data:`_BASE_DAY` (room for upload times before the demo's
first day); :func:`_fmt` and :func:`_fmt_many` turn it into the released format's timestamps. The
text pools are built once per language from :mod:`workbench.demo.textbank`. :class:`_Ctx` carries
one user's persona, random generator and generated events through :mod:`workbench.demo.generator`
and :mod:`workbench.demo.feed`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np

from workbench.demo import textbank
from workbench.demo.personas import Persona

START = date(2025, 9, 1)
N_DAYS = 91  # 2025-09-01 .. 2025-11-30

_BASE_DAY = date(2025, 6, 1)  # day 0 of the internal clock (room for upload times before September)
_DAY0 = (START - _BASE_DAY).days
_DAY_STR = [(_BASE_DAY + timedelta(days=d)).isoformat() for d in range(_DAY0 + N_DAYS + 2)]
_END_SEC = (_DAY0 + N_DAYS) * 86400 - 1  # 2025-11-30 23:59:59

_SCEN = {
    "en": {"video": "Video Browsing", "live": "Live Streaming", "shop": "E-commerce", "ad": "Advertisement",
           "search": "Search Behavior", "service": "Customer Service"},
    "zh": {"video": "视频浏览", "live": "直播间", "shop": "商城购物", "ad": "广告推荐", "search": "搜索行为",
           "service": "电商客服对话"},
}
SCENARIO_EN = _SCEN["en"]

_FANS_BUCKETS = ((10_000, "0-1w"), (100_000, "1w-10w"), (1_000_000, "10w-100w"), (5_000_000, "100w-500w"),
                 (10_000_000, "500w-1000w"))
_GIFTS = np.array([1, 1, 1, 1, 2, 5, 6, 10, 10, 20, 52, 66, 99, 188, 520])


def _fmt(sec: int) -> str:
    d, r = divmod(sec, 86400)
    h, r = divmod(r, 3600)
    m, s = divmod(r, 60)
    return f"{_DAY_STR[d]} {h:02d}:{m:02d}:{s:02d}"


_EPOCH = np.datetime64(_BASE_DAY.isoformat() + "T00:00:00")


def _fmt_many(sec: np.ndarray) -> list[str]:
    """Vectorised :func:`_fmt` for an int array of internal seconds."""
    stamps = np.datetime_as_string(_EPOCH + sec.astype("timedelta64[s]"), unit="s").tolist()
    return [x.replace("T", " ") for x in stamps]


def _fans_range(n: int) -> str:
    for limit, name in _FANS_BUCKETS:
        if n < limit:
            return name
    return "1000w+"


# -- text pools ---------------------------------------------------------------------------------------


@dataclass
class _TopicPool:
    captions: list[str]
    ocr: list[str]
    asr: list[str]


@dataclass
class _LangPools:
    topics: dict[str, _TopicPool]
    filler: list[str]
    covers: list[str]
    live_entertain: list[str]


_POOLS: dict[str, _LangPools] = {}
_COVER_TAIL_EN = (
    "The lighting is warm and the host looks straight into the camera; a small live badge sits in the top corner.",
    "Behind the host a banner lists today's deals in red and yellow characters, and a countdown timer is visible.",
    "The picture is slightly blurred, as if taken from a phone held at arm's length; the viewer count is in the corner.",
    "A row of products is lined up on the table in front of the host, each with a handwritten price tag.",
    "The colours are saturated and the frame is busy, with stickers, hearts and a shopping-bag icon at the bottom.")
_COVER_TAIL_ZH = ("背景光线明亮，主播正对镜头，画面右下角有直播间标识。", "主播身后的横幅用红黄大字写着今日福利，旁边有倒计时。",
                  "画面有点模糊，像是手机随手拍的，角落显示在线人数。", "主播面前的桌上摆着一排商品，每件都有手写价签。",
                  "画面色彩浓烈，贴满了爱心和购物袋贴纸。")


def _pools(lang: str) -> _LangPools:
    if lang in _POOLS:
        return _POOLS[lang]
    zh = lang == "zh"
    topics = textbank.ZH_TOPICS if zh else textbank.EN_TOPICS
    hooks = textbank.ZH_HOOKS if zh else textbank.EN_HOOKS
    out: dict[str, _TopicPool] = {}
    for key, t in topics.items():
        caps: list[str] = []
        for i, subject in enumerate(t.subjects):
            for j, hook in enumerate(hooks):
                emo = textbank.EN_EMOJI[(i + j) % len(textbank.EN_EMOJI)]
                k1 = (i + j) % len(t.tags)
                tag1, tag2 = t.tags[k1], t.tags[(k1 + 1 + (i * 7 + j) % (len(t.tags) - 1)) % len(t.tags)]
                if (i + j) % 3 == 0:
                    caps.append(f"{hook}{subject}{emo} #{tag1} #{tag2}" if zh else f"{hook} {subject} {emo} #{tag1} #{tag2}".replace("  ", " "))
                elif (i + j) % 3 == 1:
                    caps.append(f"{subject}：{hook} #{tag1}" if zh else f"{subject[:1].upper()}{subject[1:]}: {hook.lower()} #{tag1}")
                else:
                    caps.append(f"第{j + 2}集｜{subject}" if zh else f"Part {j + 2} | {subject} #{tag2}")
        gen_ocr = textbank.ZH_GENERIC_OCR if zh else textbank.EN_GENERIC_OCR
        gen_lines = textbank.ZH_GENERIC_LINES if zh else textbank.EN_GENERIC_LINES
        ocr = [o.replace("{subject}", s).replace("{n}", str(n)) for o in t.ocr + gen_ocr for s in t.subjects
               for n in (3, 7, 21)]
        ocr = list(dict.fromkeys(ocr))
        asr = list(dict.fromkeys(line.replace("{subject}", s) for line in t.lines + gen_lines for s in t.subjects))
        out[key] = _TopicPool(caps, ocr, asr)
    people = textbank.ZH_COVER_PEOPLE if zh else textbank.EN_COVER_PEOPLE
    settings = textbank.ZH_COVER_SETTINGS if zh else textbank.EN_COVER_SETTINGS
    texts = textbank.ZH_COVER_TEXT if zh else textbank.EN_COVER_TEXT
    covers = []
    for a in people:
        for b in settings:
            for c in texts:
                k = len(covers)
                if zh:
                    covers.append(f"封面是{a}{b}，画面上写着{c}。" + _COVER_TAIL_ZH[k % 5] + _COVER_TAIL_ZH[(k + 1 + k // 5 % 4) % 5])
                else:
                    covers.append(f"The cover shows {a} {b}. The overlay reads {c}. " + _COVER_TAIL_EN[k % 5] + " "
                                  + _COVER_TAIL_EN[(k + 1 + k // 5 % 4) % 5])
    ent = textbank.ZH_LIVE_ENTERTAIN if zh else textbank.EN_LIVE_ENTERTAIN
    live_ent = [e.replace("{n}", str(n)) for e in ent for n in (3, 12, 47)]
    live_ent = list(dict.fromkeys(live_ent))
    filler = list(textbank.ZH_FILLER if zh else textbank.EN_FILLER)
    _POOLS[lang] = _LangPools(out, filler, covers, live_ent)
    return _POOLS[lang]


# -- per-user generation ------------------------------------------------------------------------------


@dataclass
class _Ctx:
    p: Persona
    rng: np.random.Generator
    lang: str
    scen: dict[str, str]
    pools: _LangPools
    product_ids: dict[str, str]
    hour_p: np.ndarray
    items: list[tuple[str, dict[str, Any], Any]] = field(default_factory=list)

    def add(self, ts: str, event: dict[str, Any], tag: Any = None) -> None:
        self.items.append((ts, event, tag))

    def day_time(self, day: int, lo_hour: int = 0, hi_hour: int = 24) -> int:
        """Seconds of a time on internal day ``day`` drawn from the persona's daily rhythm."""
        w = self.hour_p[lo_hour:hi_hour]
        hour = lo_hour + int(self.rng.choice(len(w), p=w / w.sum()))
        return day * 86400 + hour * 3600 + int(self.rng.integers(3600))


def _hour_p(p: Persona) -> np.ndarray:
    w = np.asarray(p.rhythm, dtype=float)
    return w / w.sum()


def _day_weights(ctx: _Ctx) -> np.ndarray:
    days = np.arange(N_DAYS)
    weekday = np.array([(START + timedelta(days=int(d))).weekday() for d in days])
    w = np.where(weekday >= 5, ctx.p.weekend, 1.0) * np.exp(ctx.rng.normal(0.0, 0.35, N_DAYS))
    off = ctx.rng.random(N_DAYS) < 0.04  # a few nearly idle days (travel, illness)
    return np.where(off, w * 0.1, w)
