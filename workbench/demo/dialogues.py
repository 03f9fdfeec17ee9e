"""Customer-service dialogue banks and the dialogue builder for the demo traces. Layer: demo (pure).

Real e-commerce customers are not polite hedgers: many write two or three words ("where is my
parcel", "refund. now."), some are angry, blunt or sarcastic, a few are polite. Each demo persona has
its own mix of these styles, so the workbench can show how far an LLM simulator's "utopian" turns are
from the real ones. Chinese dialogues also carry the platform's noise messages: a rating prompt whose
answer contains 评价 and a transfer notice containing 会话转移, which the benchmark's target selection
skips (docs/benchmark.md#questions), and very short turns ("好", "嗯") under its 3-character minimum.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

STYLES: tuple[str, ...] = ("curt", "angry", "sarcastic", "blunt", "polite")
CATEGORIES: tuple[str, ...] = ("logistics", "refund", "quality", "presale", "price")

TICKET_EN = {"logistics": "Logistics inquiry", "refund": "Return and refund", "quality": "Product quality",
             "presale": "Pre-sales consultation", "price": "Price protection"}
TICKET_ZH = {"logistics": "物流查询", "refund": "退货退款", "quality": "质量问题", "presale": "售前咨询",
             "price": "价格保护"}

# Openers: category -> style -> lines. Slots: {p} product (short), {d} days since order.
_OPEN_EN: dict[str, dict[str, tuple[str, ...]]] = {
    "logistics": {
        "curt": ("where is my parcel", "order status?", "still not here", "tracking not moving", "when will it ship"),
        "angry": ("It's been {d} days and my parcel hasn't moved. What is going on??",
                  "I paid {d} days ago and NOTHING. Where is my {p}?",
                  "Your tracking has said 'in transit' for days. This is ridiculous."),
        "sarcastic": ("So is my {p} coming by bicycle or on foot? {d} days and counting.",
                      "Love how 'ships in 48h' means whenever you feel like it.",
                      "Tracking says in transit. Transit to where, the moon?"),
        "blunt": ("My {p} hasn't arrived. Give me a date.", "Ordered {d} days ago. Not here. Fix it.",
                  "Don't tell me to wait. Tell me where the parcel is."),
        "polite": ("Hi, sorry to bother you, could you check where my order is? Thanks!",
                   "Hello, I ordered the {p} {d} days ago, is there any update on delivery?",
                   "Good evening, just wondering when my parcel might arrive, thank you."),
    },
    "refund": {
        "curt": ("refund. now.", "i want a refund", "return this", "cancel the order", "money back"),
        "angry": ("I want my money back, this {p} is nothing like the pictures!!",
                  "Refund me today or I'm reporting the shop.", "Third time asking. REFUND."),
        "sarcastic": ("Great product, if you like paying for something that breaks in a day. Refund please.",
                      "Amazing quality. Truly. Now how do I get my money back?",
                      "Wow, the 'premium' {p} arrived in a plastic bag. Refund."),
        "blunt": ("The {p} is wrong size. Refund, not exchange.", "Not what I ordered. Send the return label.",
                  "I don't want a coupon. I want the refund."),
        "polite": ("Hello, I'd like to return the {p} if possible, it doesn't fit. How do I do that?",
                   "Hi, could you help me with a refund? The item isn't quite what I expected, sorry.",
                   "Excuse me, is it possible to get a refund for my last order?"),
    },
    "quality": {
        "curt": ("its broken", "zipper broke", "arrived damaged", "doesn't work", "missing parts"),
        "angry": ("The {p} broke the FIRST time I used it. Unbelievable.",
                  "Box was crushed and the {p} is scratched everywhere. Who packed this?",
                  "This is the worst quality I have ever seen."),
        "sarcastic": ("Lasted a whole two days. Impressive engineering.",
                      "Nice touch sending it pre-broken, saves me the effort.",
                      "Is the smell of burnt plastic a feature of the {p}?"),
        "blunt": ("One part is missing. Send it or refund.", "It leaks. Photos attached.",
                  "The stitching is coming off. Replacement."),
        "polite": ("Hi, I think the {p} I received might be faulty, could you take a look at my photos?",
                   "Hello, one of the parts seems to be missing, would it be possible to send it?",
                   "Sorry to trouble you, the item arrived with a small crack."),
    },
    "presale": {
        "curt": ("in stock?", "price?", "which size", "free shipping?", "how long delivery"),
        "angry": ("I asked yesterday and nobody answered. Is the {p} in stock or not?",
                  "Why is the price different from the live room??"),
        "sarcastic": ("Does the {p} actually look like the photo or is that a different universe?",
                      "Is 'original price' the price nobody ever paid?"),
        "blunt": ("Is this the genuine {p}? Yes or no.", "Can you ship today. If not I buy elsewhere.",
                  "Lowest price you can do?"),
        "polite": ("Hello, I'm interested in the {p}, could you tell me if it comes with a warranty?",
                   "Hi, which size would you recommend for someone 170 cm tall? Thank you!",
                   "Good afternoon, is there any discount if I buy two?"),
    },
    "price": {
        "curt": ("price dropped", "refund the difference", "cheaper now", "price protection?"),
        "angry": ("I bought the {p} {d} days ago and now it's 40 yuan cheaper. Are you kidding me?",
                  "You dropped the price right after I paid. Give me the difference."),
        "sarcastic": ("Thanks for the lesson in patience, the {p} is cheaper now. Refund the difference?",
                      "Funny, same {p}, same shop, 40 yuan less today."),
        "blunt": ("Price dropped after I bought. Refund the difference.", "Price protection. Order from {d} days ago."),
        "polite": ("Hi, I noticed the price went down after my purchase, is price protection possible?",
                   "Hello, sorry to ask, but could I get the price difference back for my recent order?"),
    },
}

_FOLLOW_EN: dict[str, tuple[str, ...]] = {
    "curt": ("ok", "when", "and?", "no", "already did", "today?", "how long", "fine", "??"),
    "angry": ("Stop copy-pasting the same answer.", "That's what you said yesterday!", "I want a real person, not a script.",
              "This is unacceptable.", "Sort it out or I'm leaving a 1-star review.", "Is anyone there??"),
    "sarcastic": ("Oh wonderful, another 'please be patient'. Very helpful.", "Sure, I'll just wait another month then.",
                  "Great, so nobody knows. Reassuring.", "Thanks, that changes everything."),
    "blunt": ("Give me a date.", "I don't need the apology.", "Just do it.", "Yes.", "And?", "Be specific."),
    "polite": ("Okay, thank you for checking.", "I see, thanks a lot for your help!", "Thank you, that's very kind.",
               "Got it, I really appreciate it.", "Sorry, one more question if that's okay."),
}

#: Follow-ups that only make sense for one ticket category (mixed with the generic ones above).
_FOLLOW_CAT_EN: dict[str, dict[str, tuple[str, ...]]] = {
    "logistics": {"curt": ("tracking number?", "still nothing", "number is in the order"), "angry": ("The courier hasn't even picked it up!",),
                  "sarcastic": ("Let me guess, 'we have urged the courier'?", "Is it coming by boat?"),
                  "blunt": ("Send it with another courier.",), "polite": ("Could you send me the tracking number, please?",)},
    "refund": {"curt": ("refund when", "no exchange"), "angry": ("I don't want a coupon, I want MY MONEY.",),
               "sarcastic": ("A coupon, for this shop. Tempting.",), "blunt": ("Who pays the return shipping? Not me.",),
               "polite": ("Do I need to print anything for the return?",)},
    "quality": {"curt": ("photo sent", "new one"), "angry": ("I'm not paying to send back YOUR broken product.",),
                "sarcastic": ("Photos of a broken thing, coming right up.",), "blunt": ("Replacement. Not compensation.",),
                "polite": ("I've sent the photos, thank you for looking into it.",)},
    "presale": {"curt": ("ok buy", "cheaper?"), "angry": ("Just answer the question.",),
                "sarcastic": ("Very informative, thanks.",), "blunt": ("Coupon or not?",),
                "polite": ("That's helpful, I'll place the order now, thanks!",)},
    "price": {"curt": ("how much back", "when"), "angry": ("Then I'll return it and buy it again at the new price.",),
              "sarcastic": ("So loyalty costs 40 yuan. Noted.",), "blunt": ("Then cancel and refund.",),
              "polite": ("Oh I see, that's a pity, thanks anyway.",)},
}

_CLOSE_EN: dict[str, tuple[str, ...]] = {
    "curt": ("ok", "k", "fine", "bye"),
    "angry": ("Never buying here again.", "Whatever. Reporting this.", "Useless."),
    "sarcastic": ("Can't wait. Truly.", "Five stars for creativity.", "Great service as always."),
    "blunt": ("Fine.", "Done.", "Ok. Do it today."),
    "polite": ("Thank you so much, have a nice day!", "Thanks, bye!", "Perfect, thank you for your patience."),
}

_AGENT_EN: dict[str, tuple[str, ...]] = {
    "logistics": ("I'm sorry for the wait. I've checked: your parcel left the warehouse and is at the regional hub.",
                  "We have urged the courier, it should be delivered within 2-3 days.",
                  "Heavy volume during the promotion delayed some shipments, we apologise.",
                  "I can see the courier picked it up yesterday, tracking usually updates within 24 hours."),
    "refund": ("I'm sorry the item did not meet your expectations. I've opened a return for you.",
               "Once the returned item is received the refund arrives within 1-3 working days.",
               "We can also offer a 20 yuan coupon if you keep the item.",
               "Please choose 'return and refund' on the order page and the courier will pick it up."),
    "quality": ("I'm very sorry about that. Could you send a photo of the problem?",
                "We'll send a replacement free of charge, no need to return the faulty one.",
                "I've registered the issue with the quality team.",
                "We can refund 30 yuan as compensation, or exchange it, whichever you prefer."),
    "presale": ("Thanks for your interest! It's in stock, ships within 48 hours and comes with a one-year warranty.",
                "For sizes, please check the size chart in the product photos; most customers take their usual size.",
                "Buying two gets 10% off at checkout, and there is a 10 yuan coupon in the live room tonight.",
                "Delivery usually takes 3-5 days to most cities."),
    "price": ("Let me check your order. Price protection applies within 7 days of payment.",
              "The lower price was a live-room coupon, which unfortunately can't be applied afterwards.",
              "As an exception I've submitted a partial refund of the difference for you.",
              "The difference will be returned to your original payment method."),
}
_AGENT_GREETING_EN = ("Hello, welcome! This is customer service, how can I help you today?",
                      "Hi there, thanks for contacting us. What can I do for you?",
                      "Hello, I'm your shop assistant. Please describe your issue.")
_AGENT_CLOSE_EN = ("Is there anything else I can help you with?", "Thank you for your patience, have a nice day.",
                   "Sorry again for the trouble.")

# -- Chinese ----------------------------------------------------------------------------------------

_OPEN_ZH: dict[str, dict[str, tuple[str, ...]]] = {
    "logistics": {"curt": ("快递呢", "怎么还没发货", "物流不动了", "啥时候到"),
                  "angry": ("都{d}天了物流一点没动！怎么回事？？", "付款{d}天了，我的{p}呢？"),
                  "sarcastic": ("{p}是走路过来的吗？{d}天了。", "说好的48小时发货，原来是48天？"),
                  "blunt": ("{p}没到，给个准确时间。", "别让我等，告诉我包裹在哪。"),
                  "polite": ("你好，麻烦帮我查一下订单到哪了，谢谢！", "您好，{d}天前买的{p}，请问什么时候能到呀？")},
    "refund": {"curt": ("退款", "我要退货", "退钱", "取消订单"),
               "angry": ("跟图片完全不一样，赶紧退钱！！", "今天不退款我就投诉！"),
               "sarcastic": ("质量真好啊，一天就坏了，退款吧。", "号称高端的{p}用塑料袋装来的，真行。"),
               "blunt": ("尺码不对，只退款不换货。", "不要优惠券，退钱。"),
               "polite": ("你好，{p}不太合适，想退货可以吗？", "您好，麻烦帮我办一下退款，谢谢。")},
    "quality": {"curt": ("坏的", "拉链坏了", "少配件", "用不了"),
                "angry": ("第一次用就坏了，什么破质量！", "箱子压扁了，{p}全是划痕，谁打包的？"),
                "sarcastic": ("用了整整两天，质量真牛。", "直接发个坏的过来，省得我自己弄坏了。"),
                "blunt": ("少了一个零件，补发或者退款。", "漏水，图片发你了。"),
                "polite": ("您好，收到的{p}好像有点问题，麻烦看一下图片。", "你好，少了一个配件，可以补发吗？")},
    "presale": {"curt": ("有货吗", "多少钱", "包邮吗", "几天到"),
                "angry": ("昨天问了没人回！到底有没有货？", "为什么和直播间价格不一样？？"),
                "sarcastic": ("实物和图片是一个东西吗？", "原价是谁都没付过的那个价吧？"),
                "blunt": ("是正品吗？是还是不是。", "今天能发吗，不能我就换一家。"),
                "polite": ("您好，想问下{p}有保修吗？", "你好，身高170穿什么码合适？谢谢！")},
    "price": {"curt": ("降价了", "退差价", "价保吗"),
              "angry": ("我{d}天前买的{p}现在便宜了40块，耍人吗？",),
              "sarcastic": ("谢谢教我耐心，现在更便宜了，差价退吗？",),
              "blunt": ("买完就降价，退差价。",),
              "polite": ("您好，买了之后降价了，可以价保吗？",)},
}
_FOLLOW_ZH: dict[str, tuple[str, ...]] = {
    "curt": ("哦", "什么时候", "然后呢", "赶紧的", "不用", "今天？", "多久"),
    "angry": ("别复制粘贴了！", "昨天也是这么说的！", "我要找人工，不要机器人。", "再这样我就给差评。"),
    "sarcastic": ("真有用。", "行，那我再等一个月。", "好吧，真让人放心。"),
    "blunt": ("给个时间。", "不用道歉。", "直接办。", "说具体点。"),
    "polite": ("好的，谢谢您。", "明白了，辛苦了！", "不好意思，还有一个问题。"),
}
_FOLLOW_CAT_ZH: dict[str, dict[str, tuple[str, ...]]] = {
    "logistics": {"curt": ("单号呢", "还没动"), "angry": ("快递根本没揽收！",), "sarcastic": ("又是已催促快递吧？",),
                  "blunt": ("换个快递发。",), "polite": ("麻烦发一下快递单号，谢谢。",)},
    "refund": {"curt": ("啥时候退", "不换"), "angry": ("不要券，退钱！",), "sarcastic": ("这家店的券，真诱人。",),
               "blunt": ("退货运费谁出？我不出。",), "polite": ("退货需要打印什么吗？",)},
    "quality": {"curt": ("图发了", "换新的"), "angry": ("你们的坏东西凭什么我出运费寄回？",), "sarcastic": ("给坏东西拍照，马上。",),
                "blunt": ("换新，不要补偿。",), "polite": ("图片发过去了，麻烦您看一下。",)},
}

_CLOSE_ZH: dict[str, tuple[str, ...]] = {
    "curt": ("好", "嗯", "行吧"), "angry": ("再也不来了。", "投诉了。"), "sarcastic": ("期待哦。", "服务真好。"),
    "blunt": ("行，明天。", "就这样。"), "polite": ("谢谢，辛苦啦！", "好的，谢谢您！"),
}
_AGENT_ZH: dict[str, tuple[str, ...]] = {
    "logistics": ("亲，久等了，您的包裹已经出库，目前在转运中心。", "已经帮您催促快递了，预计2-3天送达。",
                  "活动期间单量大，部分订单有延迟，非常抱歉。"),
    "refund": ("亲，已经为您申请退货退款。", "商品寄回后1-3个工作日退款到账。", "如果您保留商品，可以补偿您20元优惠券。"),
    "quality": ("非常抱歉，麻烦您拍一下问题部位的照片。", "给您免费补发一个新的，坏的不用寄回。", "可以补偿您30元或者换货，您看哪种方便。"),
    "presale": ("亲，有现货的，48小时内发货，支持一年保修哦。", "尺码可以参考详情页的尺码表，一般拍平时的码就行。", "买两件结算时打九折。"),
    "price": ("付款7天内支持价保哦。", "已经为您提交差价退款。", "直播间的价格是专属券，售后没法补哦。"),
}
_AGENT_GREETING_ZH = ("亲，欢迎光临，请问有什么可以帮您？", "您好，我是客服小美，请问遇到什么问题了？")
_AGENT_CLOSE_ZH = ("请问还有其他可以帮您的吗？", "感谢您的耐心等待，祝您生活愉快。")
_RATING_PROMPT_ZH = "亲，麻烦您对本次服务进行评价哦～"
_RATING_ANSWERS_ZH = ("[评价] 非常满意", "[评价] 一般", "[评价] 不满意", "用户已对本次服务评价：满意")
_TRANSFER_ZH = ("【系统消息】会话转移：已为您转接人工客服", "会话转移中，请稍候…")


def _pick(rng: np.random.Generator, options: Sequence[str]) -> str:
    return options[int(rng.integers(len(options)))]


def build_dialogue(rng: np.random.Generator, lang: str, category: str, style: str, product: str,
                   days: int) -> list[dict[str, str]]:
    """One dialogue as a list of ``{"role": "user"|"assistant", "content": str}`` turns (3 to ~10).

    ``product`` is the short name a customer would type ("camping tent", "露营帐篷")."""
    zh = lang == "zh"
    opens, follow, close = (_OPEN_ZH, _FOLLOW_ZH, _CLOSE_ZH) if zh else (_OPEN_EN, _FOLLOW_EN, _CLOSE_EN)
    agent = _AGENT_ZH if zh else _AGENT_EN
    greet = _AGENT_GREETING_ZH if zh else _AGENT_GREETING_EN
    bye = _AGENT_CLOSE_ZH if zh else _AGENT_CLOSE_EN
    short = product

    def fill(text: str) -> str:
        return text.replace("{p}", short).replace("{d}", str(days))

    extra = (_FOLLOW_CAT_ZH if zh else _FOLLOW_CAT_EN).get(category, {}).get(style, ())
    follow_lines = tuple(follow[style]) + tuple(extra) * 2  # category-specific lines weigh double
    order = rng.permutation(len(follow_lines)).tolist()
    used: set[str] = set()

    def next_follow() -> str:  # never the same follow-up twice in one dialogue
        line = next(follow_lines[k] for k in order if follow_lines[k] not in used)
        used.add(line)
        return fill(line)

    turns: list[dict[str, str]] = []
    if rng.random() < 0.5:
        turns.append({"role": "assistant", "content": _pick(rng, greet)})
    turns.append({"role": "user", "content": fill(_pick(rng, opens[category][style]))})
    if style in ("curt", "angry") and rng.random() < 0.35:  # a second message before any answer
        turns.append({"role": "user", "content": next_follow()})
    if zh and rng.random() < 0.2:
        turns.append({"role": "user", "content": _pick(rng, _TRANSFER_ZH)})
    replies = agent[category]  # in order: acknowledge or answer, then resolution, then alternatives
    rounds = 1 + int(rng.integers(min(3, len(replies))))
    for r in range(rounds):
        turns.append({"role": "assistant", "content": replies[r]})
        if r < rounds - 1:
            turns.append({"role": "user", "content": next_follow()})
    if rng.random() < 0.7:
        turns.append({"role": "user", "content": fill(_pick(rng, close[style]))})
    if rng.random() < 0.5:
        turns.append({"role": "assistant", "content": _pick(rng, bye)})
    if zh and rng.random() < 0.45:
        turns.append({"role": "assistant", "content": _RATING_PROMPT_ZH})
        turns.append({"role": "user", "content": _pick(rng, _RATING_ANSWERS_ZH)})
    return turns

