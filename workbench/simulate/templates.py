"""Our wording of the prediction prompts, Chinese and English. Layer: simulate (pure; no Qt).

Each prompt is a list of lines joined by a single newline, with the benchmark's sections in the
benchmark's order and the same information and instructions, in our own words (docs/benchmark.md,
"Prompt layout" maps every line). The section headings (``## 核心原则``, ``## 输入一：用户画像``, ...) and
the answer slot are kept as the benchmark has them because its judge finds the profile and the
dialogue context by them. ``HISTORY_SLOT`` marks the line that holds the history text.
"""

from __future__ import annotations

from typing import Any

HISTORY_SLOT = "\x00history\x00"

_PRINCIPLES_ZH = [
    "## 核心原则",
    "1. **以数据为依据**：每个推断都要能在历史行为数据里找到客观证据，不做没有根据的猜测和假设。",
]
_PRINCIPLES_EN = [
    "## Core principles",
    "1. **Data first**: every inference must rest on objective evidence in the behaviour history; no "
    "unfounded guesses or assumptions.",
]
_PROFILE_ZH = ["## 输入一：用户画像", "下面是该用户在平台上的基本信息，可作为了解其背景的参考：", "{profile}"]
_PROFILE_EN = ["## Input 1: User profile",
               "The user's basic platform information, as background for understanding them:", "{profile}"]

T: dict[str, dict[str, Any]] = {
    "zh": {
        "predict": [
            "你是快手平台上的一名真实用户。你要做的是：依据给出的历史行为序列，推断该用户的兴趣偏好、消费水平和"
            "性格特征，并据此模拟TA在当前这个场景下会做出的真实决定。",
            *_PRINCIPLES_ZH,
            "2. **行为前后连贯**：新的决定要和该用户以往的行为模式在逻辑上一致，体现TA稳定的偏好和习惯。",
            "3. **尊重个体差异**：每个用户都是独特的，不要套用刻板印象或群体标签，要从数据里找出TA真实的个性。",
            "4. **关注当下情境**：预测时要考虑当前场景的特殊之处，在长期偏好和短期情境因素之间取得平衡。",
            "5. **真实第一**：模拟真实用户可能做出的选择，其中也包括不感兴趣、犹豫、跳过等消极行为，"
            "而不是每次都给出积极的回应。",
            *_PROFILE_ZH,
            "## 输入二：历史行为轨迹信息",
            "下面是该用户过去一段时间里真实的操作记录（覆盖直播、商城、视频、广告等多个场景）。请认真分析这些行为"
            "背后的动机和倾向，找出其中隐含的长期偏好和短期意图：",
            HISTORY_SLOT,
            "## 输入三：当前测试场景",
            "该用户此刻遇到的场景如下：",
            "{scene}",
            "## 预测任务",
            "请以该用户的视角回答下面这个问题：",
            "{question}",
            "## 输出要求",
            "{constraint}",
            "你的回答：",
        ],
        "scene": "当前时间为 {ts}，该用户进入了一个【{scene}】场景。\n场景的具体情况：\n{context}",
        "binary": "**只输出 Yes 或 No，不要给出任何别的内容、解释或分析。**",
        "continuous": "**只输出一个整数，不要给出任何别的内容、解释或单位。**",
        "text": "**只输出预测的文本本身，不要给出任何别的内容、解释、引号或分析。**",
        "search": [
            "你是快手平台上的一名真实用户。你要做的是：依据给出的历史行为序列，推断该用户的兴趣偏好、消费习惯和"
            "眼下可能的需求，并预测TA接下来想搜索的内容。",
            *_PRINCIPLES_ZH,
            "2. **行为前后连贯**：预测的搜索内容要和该用户以往的行为模式在逻辑上一致，体现TA稳定的偏好和当前的意图。",
            "3. **尊重个体差异**：每个用户都是独特的，不要套用刻板印象或群体标签，要从数据里找出TA真实的个性。",
            "4. **关注当下情境**：结合该用户最近的行为走向，推断TA眼下可能有的需求或好奇心。",
            "5. **真实第一**：预测真实用户可能会搜的内容，包括日常需要、兴趣探索、购物需要等。",
            *_PROFILE_ZH,
            "## 输入二：历史行为轨迹信息",
            "下面是该用户过去一段时间里真实的操作记录（覆盖直播、商城、视频、广告、搜索等多个场景）。请认真分析这些"
            "行为背后的动机和倾向，找出其中隐含的长期偏好和短期意图：",
            HISTORY_SLOT,
            "## 预测任务",
            "请以该用户的视角，预测TA此刻打开搜索框后会输入什么关键词。",
            "## 输出要求",
            "**只输出搜索关键词本身，不要给出任何别的内容、解释、引号或分析。**",
            "你的回答：",
        ],
        "service": [
            "你是电商平台上的一名真实用户。你要做的是：依据给出的历史行为序列，推断该用户的沟通风格、性格特征和"
            "当前需求，并据此模拟TA在客服对话中的真实表达。",
            *_PRINCIPLES_ZH,
            "2. **风格前后连贯**：预测的话要和该用户在历史中表现出的沟通风格、语气和用词习惯保持一致。",
            "3. **尊重个体差异**：每个用户都是独特的，不要套用刻板印象或群体标签。",
            "4. **关注当下情境**：结合当前对话的上下文、用户遇到的问题和TA的情绪状态来预测。",
            "5. **真实第一**：模拟真实用户可能说出的话，体现TA独有的沟通风格和此刻的情绪。",
            *_PROFILE_ZH,
            "## 输入二：历史行为轨迹信息",
            "下面是该用户过去一段时间里真实的操作记录（覆盖直播、商城、视频、广告等多个场景）。请认真分析这些行为"
            "背后的动机和倾向，找出TA的沟通风格和性格特征：",
            HISTORY_SLOT,
            "## 输入三：当前客服对话场景",
            "{question}",
            "## 输出要求",
            "**只输出用户会说的话，不要给出任何别的内容、解释、引号或分析，直接给出对话内容即可。**",
            "你的回答：",
        ],
        # customer-service question text (the judge cuts the context off at "站在这个用户的角度")
        "c_first": "这是一个电商客服对话场景，用户马上要开始和客服对话。\n\n【订单与咨询背景】\n{context}\n\n"
                   "请你站在这个用户的角度，结合订单情况和咨询背景，预测TA最可能说出的第一句话。\n\n"
                   "请直接给出用户会说的话（不加引号，直接输出内容）：",
        "c_next": "这是一段电商客服对话的记录。\n\n【订单与咨询背景】\n{context}\n\n【此前的对话】\n{dialogue}\n\n"
                  "请你站在这个用户的角度，结合TA的沟通风格、眼下遇到的问题和对话的上下文，预测TA接下来最可能说的"
                  "一句话。\n\n请直接给出用户接下来会说的话（不加引号，直接输出内容）：",
        "c_omitted": "（下面只列出最近的 {k} 轮对话，更早的 {m} 轮没有列出）\n",
        "user": "用户", "assistant": "客服",
        "label": "【记录 {i}】", "label0": "【记录】",
        "hist_header": "该用户最近的 {n} 条行为记录如下（约 {t} tokens，从早到晚排列）：\n",
        "hist_none": "该用户目前还没有任何历史行为记录。",
        "hist_empty": "该用户目前还没有任何有效的历史行为记录。",
        "summary_head": "【更早历史的行为概要】（概括了更早的 {n} 条记录）\n{summary}\n",
        "summary_missing": "（更早的 {n} 条记录未提供概要。）\n",
        "cut_marker": "\n\n[……这一项过长，后面的内容已截去……]",
    },
    "en": {
        "predict": [
            "You are a real user of the Kuaishou platform. Your task: from the behaviour history given, infer "
            "this user's interests, spending level and personality, and use them to simulate the real decision "
            "they make in the current scene.",
            *_PRINCIPLES_EN,
            "2. **Coherent behaviour**: the new decision must follow logically from the user's past behaviour "
            "patterns and reflect their stable preferences and habits.",
            "3. **Individual differences**: every user is unique; do not apply stereotypes or group labels, find "
            "the real personality in the data.",
            "4. **Situational sensitivity**: consider what is special about the current scene and balance "
            "long-term preferences against short-term situational factors.",
            "5. **Realism first**: simulate the choices a real user may make, including negative ones such as not "
            "being interested, hesitating or skipping, rather than always responding positively.",
            *_PROFILE_EN,
            "## Input 2: Behaviour history",
            "The user's real actions over a past period (across live streams, shopping, videos, ads and more). "
            "Analyse the motives and tendencies behind them and uncover their implicit long-term preferences "
            "and short-term intentions:",
            HISTORY_SLOT,
            "## Input 3: Current scene",
            "The scene the user meets now:",
            "{scene}",
            "## Prediction task",
            "Answer the following question from the user's point of view:",
            "{question}",
            "## Output requirements",
            "{constraint}",
            "Your answer:",
        ],
        "scene": "It is now {ts}; the user enters a [{scene}] scene.\nWhat the scene looks like:\n{context}",
        "binary": "**Output only Yes or No, with no other content, explanation or analysis.**",
        "continuous": "**Output only one integer, with no other content, explanation or unit.**",
        "text": "**Output only the predicted text itself, with no other content, explanation, quotes or analysis.**",
        "search": [
            "You are a real user of the Kuaishou platform. Your task: from the behaviour history given, infer "
            "this user's interests, shopping habits and likely current needs, and predict what they want to "
            "search for next.",
            *_PRINCIPLES_EN,
            "2. **Coherent behaviour**: the predicted search must follow logically from the user's past behaviour "
            "patterns and reflect their stable preferences and current intent.",
            "3. **Individual differences**: every user is unique; do not apply stereotypes or group labels, find "
            "the real personality in the data.",
            "4. **Situational sensitivity**: use the user's recent behaviour trend to infer their current needs "
            "or curiosity.",
            "5. **Realism first**: predict what a real user may search for, including everyday needs, exploring "
            "interests and shopping needs.",
            *_PROFILE_EN,
            "## Input 2: Behaviour history",
            "The user's real actions over a past period (across live streams, shopping, videos, ads, searches and "
            "more). Analyse the motives and tendencies behind them and uncover their implicit long-term "
            "preferences and short-term intentions:",
            HISTORY_SLOT,
            "## Prediction task",
            "From the user's point of view, predict the keyword they type after opening the search box now.",
            "## Output requirements",
            "**Output only the search keyword itself, with no other content, explanation, quotes or analysis.**",
            "Your answer:",
        ],
        "service": [
            "You are a real user of an e-commerce platform. Your task: from the behaviour history given, infer "
            "this user's communication style, personality and current need, and use them to simulate how they "
            "really express themselves in a customer-service conversation.",
            *_PRINCIPLES_EN,
            "2. **Coherent style**: the predicted words must match the communication style, tone and wording "
            "habits the user shows in the history.",
            "3. **Individual differences**: every user is unique; do not apply stereotypes or group labels.",
            "4. **Situational sensitivity**: predict from the context of the current conversation, the problem "
            "the user has and their emotional state.",
            "5. **Realism first**: simulate what a real user may say, with their own communication style and "
            "current emotion.",
            *_PROFILE_EN,
            "## Input 2: Behaviour history",
            "The user's real actions over a past period (across live streams, shopping, videos, ads and more). "
            "Analyse the motives and tendencies behind them and uncover the user's communication style and "
            "personality:",
            HISTORY_SLOT,
            "## Input 3: Current customer-service conversation",
            "{question}",
            "## Output requirements",
            "**Output only what the user says, with no other content, explanation, quotes or analysis; give the "
            "words directly.**",
            "Your answer:",
        ],
        "c_first": "This is an e-commerce customer-service conversation; the user is about to start talking to "
                   "the agent.\n\n[Order / consultation background]\n{context}\n\n"
                   "From this user's point of view, using the order and the consultation background, predict "
                   "the first sentence they are most likely to say.\n\n"
                   "Give the user's words directly (no quotes, just the content):",
        "c_next": "This is the record of an e-commerce customer-service conversation.\n\n"
                  "[Order / consultation background]\n{context}\n\n[Conversation so far]\n{dialogue}\n\n"
                  "From this user's point of view, using their communication style, the problem they have now "
                  "and the context of the conversation, predict the one sentence they are most likely to say "
                  "next.\n\nGive the user's next words directly (no quotes, just the content):",
        "c_omitted": "(only the latest {k} turns are listed; {m} earlier turns are left out)\n",
        "user": "User", "assistant": "Agent",
        "label": "[Record {i}]", "label0": "[Record]",
        "hist_header": "The user's latest {n} behaviour records (about {t} tokens, oldest first):\n",
        "hist_none": "The user has no behaviour history yet.",
        "hist_empty": "The user has no valid behaviour history yet.",
        "summary_head": "[Summary of older history] (covers {n} older records)\n{summary}\n",
        "summary_missing": "(No summary was provided for {n} older records.)\n",
        "cut_marker": "\n\n[... this item is too long; the rest was cut ...]",
    },
}

#: The question of each field, with the grounding the benchmark gives each (habits, spending power...).
QUESTION_TEXT: dict[str, dict[str, str]] = {
    "zh": {
        "video_watch_seconds": "你估计该用户会在这个视频上看多少秒？",
        "live_watch_seconds": "你估计该用户会在这个直播间待多少秒？",
        "ad_watch_seconds": "你估计该用户会在这条广告上停留多少秒？",
        "video_completed": "从这个用户的观看习惯来看，TA会把这个视频从头看到尾吗？",
        "video_liked": "综合这个用户的互动习惯和TA对这段视频内容的喜爱程度，TA会给这个视频点赞吗？",
        "video_commented": "考虑到这个用户的表达欲和参与程度，TA会在这个视频下面发评论吗？",
        "video_shared": "从这个用户的分享习惯和社交行为来看，TA会把这个视频分享给朋友吗？",
        "video_collected": "按照这个用户的收藏偏好，TA会收藏这个视频吗？",
        "video_followed": "考虑到这个用户的关注习惯，TA会关注这个视频的发布者吗？",
        "shop_added_to_cart": "按照这个用户的购物习惯，TA会把这件商品加进购物车吗？",
        "shop_order_success": "综合这个用户的购物偏好和消费能力，TA会买下这件商品吗？",
        "ad_liked": "考虑到这个用户对这条广告内容的喜爱程度，TA会给这条广告点赞吗？",
        "ad_commented": "从这个用户的表达欲来看，TA会在这条广告下面发评论吗？",
        "ad_activated": "假如用户点开了这条广告，从TA的行为特点来看，TA会激活或注册广告里的应用/服务吗？",
        "ad_form_submitted": "从这个用户的行为特点和TA对这条广告的兴趣程度来看，TA会填写并提交广告里的表单吗？",
        "live_liked": "综合这个用户的互动习惯，TA会给主播点赞吗？",
        "live_commented": "考虑到这个用户的表达欲，TA会在直播间发弹幕或评论吗？",
        "live_sent_gift": "从这个用户的消费能力和打赏习惯来看，TA会在直播间给主播送礼物吗？",
        "live_followed": "按照这个用户的关注习惯，TA会关注这个主播吗？",
        "live_shared": "从这个用户的分享习惯来看，TA会把这个直播间分享给朋友吗？",
        "live_clicked_cart": "按照这个用户的购物习惯，TA会把直播间里的商品加进购物车吗？",
        "search_clicked": "用户搜了这个关键词以后，TA会点开搜索结果吗？",
        "_binary_other": "该用户会做这个操作吗？（{field}）",
        "_continuous_other": "你估计该用户会在这里停留多少秒？（{field}）",
    },
    "en": {
        "video_watch_seconds": "How many seconds do you estimate the user will watch this video?",
        "live_watch_seconds": "How many seconds do you estimate the user will stay in this live stream?",
        "ad_watch_seconds": "How many seconds do you estimate the user will stay on this ad?",
        "video_completed": "Given this user's viewing habits, will they watch this video to the end?",
        "video_liked": "Given this user's interaction habits and how much they like this video's content, will "
                       "they like this video?",
        "video_commented": "Given this user's wish to express themselves and how engaged they are, will they "
                           "comment on this video?",
        "video_shared": "Given this user's sharing habits and social behaviour, will they share this video with "
                        "friends?",
        "video_collected": "Given this user's saving preferences, will they save this video?",
        "video_followed": "Given this user's following habits, will they follow the video's publisher?",
        "shop_added_to_cart": "Given this user's shopping habits, will they add this product to the cart?",
        "shop_order_success": "Given this user's shopping preferences and spending power, will they buy this "
                              "product?",
        "ad_liked": "Given how much this user likes the ad's content, will they like this ad?",
        "ad_commented": "Given this user's wish to express themselves, will they comment on this ad?",
        "ad_activated": "Suppose the user clicked this ad: given their behaviour, will they activate or "
                        "register the app/service in the ad?",
        "ad_form_submitted": "Given this user's behaviour and their interest in the ad, will they fill in and "
                             "submit the form in the ad?",
        "live_liked": "Given this user's interaction habits, will they like the streamer?",
        "live_commented": "Given this user's wish to express themselves, will they send chat messages or "
                          "comments in the stream?",
        "live_sent_gift": "Given this user's spending power and tipping habits, will they send the streamer a "
                          "gift in the stream?",
        "live_followed": "Given this user's following habits, will they follow this streamer?",
        "live_shared": "Given this user's sharing habits, will they share this live stream with friends?",
        "live_clicked_cart": "Given this user's shopping habits, will they add a product from the stream to the "
                             "cart?",
        "search_clicked": "After searching this keyword, will the user open a search result?",
        "_binary_other": "Will the user do this? ({field})",
        "_continuous_other": "How many seconds do you estimate the user will stay here? ({field})",
    },
}


def question_text(field: str, kind: str, lang: str) -> str:
    """The question line for ``field`` (a generic one for fields the benchmark has no wording for)."""
    qs = QUESTION_TEXT[lang]
    if field in qs:
        return qs[field]
    key = "_continuous_other" if kind == "continuous" else "_binary_other"
    return qs[key].format(field=field)
