"""Write big, realistic OmniBehavior trace files for benchmarks. Layer: bench (not shipped).

Events look like the real ones: all six scenarios with their real key sets (docs/benchmark.md#data-format),
about 1 KB of text per event (captions, OCR/ASR, live cover descriptions, item titles and
descriptions, ad captions, customer-service dialogues, Chinese search keywords), date-only ad
timestamps, Search events without context, null-heavy old ads. Text is assembled from a pool of
pre-built sentences so a million events are written in seconds; the output is streamed (a 1 GB file
never sits in memory).

    python bench/tracegen.py OUT.json --events 100000 --users 1 [--seed 7]
    python bench/tracegen.py OUT_DIR --release        # 200 per-user files, 1.6 million events
"""

from __future__ import annotations

import argparse
import random
from datetime import datetime, timedelta
from pathlib import Path

import orjson

_WORDS_EN = ("the a my our this new best cheap fresh spicy quick easy home street night morning city family "
             "kitchen phone camera video live deal price sale review tutorial cooking noodles hotpot dumplings "
             "makeup skincare lipstick dress jacket sneakers football basketball game hero level boss guitar "
             "piano song dance cat dog puppy kitten baby travel beach mountain river car bike repair fishing "
             "garden flowers tea coffee cake bread recipe secret trick tips unboxing haul vlog day life work "
             "office school exam study english math story funny prank challenge reaction music concert "
             "wholesale factory farm harvest village grandma chef market festival lantern moon sunset").split()
_WORDS_ZH = ("今天 我们 一起 看看 这个 新款 便宜 好吃 麻辣 火锅 饺子 面条 家常 做法 教程 直播 福利 秒杀 包邮 "
             "口红 护肤 连衣裙 外套 运动鞋 足球 篮球 游戏 英雄 吉他 钢琴 唱歌 跳舞 小猫 小狗 宝宝 旅行 海边 "
             "爬山 钓鱼 花园 喝茶 咖啡 蛋糕 面包 秘诀 开箱 日常 生活 上班 学习 英语 数学 搞笑 挑战 音乐 "
             "工厂 农村 丰收 奶奶 厨师 市场 节日 灯笼 月亮 日落 小米 华为 手机 耳机 充电宝").split()
_KEYWORDS = ("小米", "华为手机", "连衣裙", "火锅底料", "运动鞋", "耳机", "口红", "wireless earbuds",
             "露营装备", "猫粮", "iphone case", "钓鱼竿", "空气炸锅", "英语学习", "羽绒服")
_PRODUCTS = ("Mobile game: Dragon Quest", "Language course", "Car insurance", "Online loan app",
             "Skincare set", "Short drama app", "Food delivery coupon", "Smartphone X10")
_INDUSTRY = ("Games", "Education", "Finance", "E-commerce", "Beauty", "Entertainment", "Local services")
_CATS = (("Electronics", "Audio", "Earbuds"), ("Apparel", "Women", "Dresses"), ("Food", "Snacks", "Spicy strips"),
         ("Home", "Kitchen", "Air fryers"), ("Beauty", "Makeup", "Lipstick"), ("Sports", "Outdoor", "Camping"))
_ANGRY = ("Where is my parcel?? It's been 9 days.", "Refund. Now.", "This is the third time I ask.",
          "your product broke after one day", "ok", "不要了，退款", "Why was I charged twice?",
          "Stop sending me templates and answer the question.")
_POLITE = ("Hello, I'd like to check my order status please.", "Can I change the size to M?",
           "Thanks, that helps.", "请问什么时候发货？", "Is there a discount if I buy two?")
_AGENT = ("Sorry for the trouble! Let me check that for you.", "Could you share your order number?",
          "I have escalated this to the warehouse; you will get an update within 24 hours.",
          "亲，已经为您申请退款，请耐心等待。", "I understand your frustration. A replacement is on its way.")


class _Text:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.en = [self._sentence(_WORDS_EN, " ", 8, 18) for _ in range(3000)]
        self.zh = [self._sentence(_WORDS_ZH, "", 6, 14) for _ in range(1500)]

    def _sentence(self, words, sep, lo, hi) -> str:
        n = self.rng.randint(lo, hi)
        s = sep.join(self.rng.choice(words) for _ in range(n))
        return (s[0].upper() + s[1:] + ".") if sep else s + "。"

    def para(self, chars: int, zh_share: float = 0.15) -> str:
        out, n = [], 0
        rng = self.rng
        while n < chars:
            s = rng.choice(self.zh) if rng.random() < zh_share else rng.choice(self.en)
            out.append(s)
            n += len(s) + 1
        return " ".join(out)

    def title(self) -> str:
        return self.rng.choice(self.en)[:60]


def _ts(t: datetime) -> str:
    return t.strftime("%Y-%m-%d %H:%M:%S")


def make_event(rng: random.Random, text: _Text, t: datetime, scenario: str) -> dict:
    r = rng.random
    if scenario == "Video Browsing":
        dur = rng.choice((0, rng.randint(8, 600)))
        ctx = {"duration": dur, "is_verified": r() < 0.3, "photo_type": "VIDEO",
               "show_cnt": rng.randint(0, 10**7), "play_cnt": rng.randint(0, 10**7),
               "complete_play_cnt": rng.randint(0, 10**6), "like_cnt": rng.randint(0, 10**5),
               "comment_cnt": rng.randint(0, 10**4), "share_cnt": rng.randint(0, 10**4),
               "collect_cnt": rng.randint(0, 10**4), "download_cnt": 0, "follow_cnt": rng.randint(0, 1000),
               "report_cnt": 0, "reduce_similar_cnt": rng.randint(0, 50),
               "ocr": text.para(rng.randint(100, 400)), "asr": text.para(rng.randint(200, 600))}
        if r() < 0.65:
            ctx["caption"] = text.title() + " #" + rng.choice(_WORDS_EN)
            ctx["fans_user_num"] = rng.randint(10, 5 * 10**6)
            ctx["fans_user_num_range"] = rng.choice(("1w-10w", "10w-100w", "100w-500w"))
            ctx["upload_timestamp"] = _ts(t - timedelta(days=rng.randint(0, 30)))
        play = int(rng.paretovariate(1.2) * 3)
        acts = [{"type": "watch", "play_duration": play, "played_loop_cnt": int(play > dur > 0),
                 "is_complete_play": dur > 0 and play >= dur, "is_fast_forward_play": r() < 0.05,
                 "is_backward_play": r() < 0.02, "is_enlarge_play": r() < 0.01}]
        if r() < 0.04:
            acts.append({"type": "like"})
        if r() < 0.01:
            acts.append({"type": "comment", "comment_detail_list": text.para(40), "comment_stay_duration": 9,
                         "is_at_friend_in_comment": False})
        if r() < 0.005:
            acts.append({"type": "dislike", rng.choice(("reduce_simliar_cnt", "reduce_similar_cnt")): 1})
        return {"type": scenario, "timestamp": _ts(t), "context": ctx, "action": acts}
    if scenario == "Live Streaming":
        variant = r()
        ctx: dict = {"live_comment_cnt": rng.randint(0, 10**4), "live_like_cnt": rng.randint(0, 10**6),
                     "live_cover_content": text.para(rng.randint(300, 700))}
        if variant > 0.15:
            ctx.update({"live_category": "Other", "is_shop_live": r() < 0.4,
                        "live_total_user_cnt": rng.randint(10, 10**6), "live_total_view_cnt": rng.randint(10, 10**7),
                        "live_total_view_duration": rng.randint(60, 10**8)})
            if variant > 0.3:
                ctx["live_title"] = text.title()
        acts = [{"type": "watch", "play_duration": int(rng.paretovariate(1.1) * 10), "play_count": 1}]
        if r() < 0.06:
            acts.append({"type": "like", "like_cnt": rng.randint(1, 300)})
        if r() < 0.03:
            acts.append({"type": "comment", "comment_cnt": rng.randint(1, 5)})
        if r() < 0.01:
            acts.append({"type": "send_gift", "gift_amount": rng.choice((1, 1, 2, 10, 52, 520))})
        if r() < 0.01:
            acts.append({"type": "follow", "is_follow_action": True})
        return {"type": scenario, "timestamp": _ts(t), "context": ctx, "action": acts}
    if scenario == "E-commerce":
        c1, c2, c3 = rng.choice(_CATS)
        ctx = {"item_title": text.title() + " " + c3, "item_desc": None if r() < 0.7 else text.para(300),
               "product_source": rng.choice(("Buyer's Homepage", "Order Details Page")),
               "item_price": rng.choice((0.0, round(rng.uniform(5, 800), 2))),
               "category_level1_name": c1, "category_level2_name": c2, "category_level3_name": c3,
               "industry_level1_name": c1, "industry_level2_name": c2, "industry_level3_name": c3,
               "item_num_180d_sales": rng.randint(0, 10**5), "item_num_good_assess": rng.randint(0, 10**4),
               "item_num_180d_buyer": rng.randint(0, 10**5), "item_num_180d_rebuyer": rng.randint(0, 10**3),
               "item_num_180d_cart": rng.randint(0, 10**5), "product_id": str(rng.randint(10**11, 10**12)),
               "item_main_image_url": "https://img.example.invalid/" + str(rng.randint(0, 10**9)) + ".jpg",
               "external_item_title": text.para(120), "pay_item_qty": 0}
        acts = [{"type": "cart", "is_add_to_cart": r() < 0.08}]
        if r() < 0.3:
            acts.append({"type": "purchase", "is_pay": r() < 0.1})
        return {"type": scenario, "timestamp": _ts(t), "context": ctx, "action": acts}
    if scenario == "Advertisement":
        old = r() < 0.4
        ctx = {"product": rng.choice(_PRODUCTS), "industry_main": rng.choice(_INDUSTRY),
               "industry_sub": rng.choice(_INDUSTRY), "show_cnt": rng.randint(1, 5),
               "caption": text.para(rng.randint(150, 400)), "ocr_text": text.para(rng.randint(100, 300)),
               "asr_text": text.para(rng.randint(100, 300))}
        if old:
            for k in ("is_verified", "verification_type", "fans_user_num", "fans_user_num_op_range", "photo_type",
                      "duration", "upload_timestamp", "play_cnt", "complete_play_cnt", "like_cnt", "comment_cnt",
                      "share_cnt", "collect_cnt", "download_cnt", "follow_cnt", "report_cnt", "reduce_similar_cnt"):
                ctx[k] = None
        acts = [{"type": "watch", "is_complete_play": r() < 0.2}, {"type": "conversion", "conversion_cnt": 1}]
        if r() < 0.05:
            acts.append({"type": "activation", "activation_cnt": 1})
        if r() < 0.03:
            acts.append({"type": "submit", "form_submit_total_cnt": 1})
        return {"type": scenario, "timestamp": t.strftime("%Y-%m-%d"), "context": ctx, "action": acts}
    if scenario == "Search Behavior":
        acts = [{"type": "search", "keyword": rng.choice(_KEYWORDS), "query_category": rng.choice(("查询型", "浏览型"))},
                {"type": "show", "show_cnt": rng.randint(1, 40)}]
        if r() < 0.3:
            acts.append({"type": "click", "click_cnt": rng.randint(1, 3)})
        return {"type": scenario, "timestamp": _ts(t), "action": acts}
    # Customer Service
    angry = r() < 0.4
    turns = []
    for i in range(rng.randint(2, 8)):
        if i % 2 == 0:
            turns.append({"role": "user", "content": rng.choice(_ANGRY if angry else _POLITE)})
        else:
            turns.append({"role": "assistant", "content": rng.choice(_AGENT) + " " + text.para(150, 0.3)})
    c1, c2, c3 = rng.choice(_CATS)
    ctx = {"ticket_category": rng.choice(("refund", "logistics", "product consultation", "after-sales")),
           "product_name": text.title(), "product_category_info": f"{c1}>{c2}>{c3}",
           "item_price": round(rng.uniform(5, 500), 2), "item_qty": 1, "express_fee": rng.choice((0, "6", 8.5)),
           "pay_order_time": _ts(t - timedelta(days=rng.randint(1, 10)))}
    return {"type": scenario, "timestamp": _ts(t), "context": ctx,
            "action": [{"type": "dialogue", "content": turns}, {"type": "purchase", "paid": r() < 0.5}]}


_MIX = (("Video Browsing", 0.55), ("Live Streaming", 0.2), ("Advertisement", 0.1), ("E-commerce", 0.08),
        ("Search Behavior", 0.05), ("Customer Service", 0.02))


def write_traces(out: Path, events: int, users: int = 1, seed: int = 7, first_user: int = 1) -> dict:
    """Stream a JSON file of ``users`` users sharing ``events`` events (the first user is the heavy
    one: half of them, or all with one user), named ``user_NNNN`` from ``first_user`` on. Returns
    {events, bytes}."""
    rng = random.Random(seed)
    text = _Text(rng)
    names = [s for s, _ in _MIX]
    weights = [w for _, w in _MIX]
    if users == 1:
        sizes = [events]
    else:
        heavy = events // 2
        rest = events - heavy
        sizes = [heavy] + [rest // (users - 1) + (1 if i < rest % (users - 1) else 0) for i in range(users - 1)]
    start = datetime(2025, 9, 1)
    span = 90 * 86400
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(out.suffix + ".part")
    with open(tmp, "wb") as fh:
        fh.write(b"{")
        for u, n in enumerate(sizes):
            if u:
                fh.write(b",")
            uid = f"user_{u + first_user:04d}"
            profile = (f"{rng.choice(('Male', 'Female'))}, aged {rng.choice(('18-23', '24-30', '31-40', '41-49', '50+'))}, "
                       f"{rng.choice(('high school', 'bachelor', 'master'))} education, "
                       f"{rng.choice(('married', 'single'))}, {rng.choice(('no children', 'one child', 'two children'))}.")
            fh.write(orjson.dumps(uid) + b':{"user_profile":' + orjson.dumps(profile) + b',"action_history":[')
            offsets = sorted(rng.random() * span for _ in range(n))
            scen = rng.choices(names, weights, k=n)
            batch: list[bytes] = []
            for i in range(n):
                t = start + timedelta(seconds=int(offsets[i]))
                batch.append(orjson.dumps(make_event(rng, text, t, scen[i])))
                if len(batch) >= 5000:
                    fh.write(b",".join(batch))
                    batch = []
                    if i + 1 < n:
                        fh.write(b",")
            if batch:
                fh.write(b",".join(batch))
            fh.write(b"]}")
        fh.write(b"}")
    tmp.replace(out)
    return {"events": events, "bytes": out.stat().st_size}


def release_sizes(users: int = 200, total: int = 1_600_000, heavy: int = 2, seed: int = 7) -> list[int]:
    """Events per user shaped like the real release: ``heavy`` users just over 100,000 events, the
    others log-normal (sigma 0.3) scaled so that everything adds up to ``total``."""
    rng = random.Random(seed)
    big = [100_000 + rng.randint(1_000, 30_000) for _ in range(heavy)]
    raw = [rng.lognormvariate(0.0, 0.3) for _ in range(users - heavy)]
    scale = (total - sum(big)) / sum(raw)
    rest = [max(1, round(x * scale)) for x in raw]
    rest[0] += total - sum(big) - sum(rest)
    sizes = big + rest
    rng.shuffle(sizes)
    return sizes


def write_release(out_dir: Path, users: int = 200, total: int = 1_600_000, seed: int = 7) -> dict:
    """A release-shaped folder: one ``user_NNNN.json`` per user with :func:`release_sizes` events.
    Returns {users, events, bytes, median_events, max_events}."""
    out_dir.mkdir(parents=True, exist_ok=True)
    sizes = release_sizes(users, total, seed=seed)
    size_bytes = 0
    for u, n in enumerate(sizes):
        p = out_dir / f"user_{u + 1:04d}.json"
        if not p.exists():
            write_traces(p, n, 1, seed + u, first_user=u + 1)
        size_bytes += p.stat().st_size
    ordered = sorted(sizes)
    return {"users": users, "events": sum(sizes), "bytes": size_bytes,
            "median_events": ordered[len(ordered) // 2], "max_events": ordered[-1]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path, help="file to write (a folder with --release)")
    ap.add_argument("--events", type=int, default=100_000)
    ap.add_argument("--users", type=int, default=1)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--release", action="store_true",
                    help="write a release-shaped folder: --users files (default 200) of --events "
                    "events in all (default 1.6 million)")
    args = ap.parse_args()
    if args.release:
        users = args.users if args.users > 1 else 200
        total = args.events if args.events != 100_000 else 1_600_000
        print(orjson.dumps(write_release(args.out, users, total, args.seed)).decode())
        return
    print(orjson.dumps(write_traces(args.out, args.events, args.users, args.seed)).decode())


if __name__ == "__main__":
    main()
