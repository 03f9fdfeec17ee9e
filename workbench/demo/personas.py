"""The demo users: who they are and how they behave. Layer: demo (pure; no Qt).

Each persona fixes a profile sentence (as in the released EN sample: gender, age band, education,
partner, children; two users have Chinese profiles and Chinese scenario names, the ZH path), the
volume of feed events (videos and live rooms), interests, engagement rates, shopping habits, the
style in which they talk to customer service, their daily rhythm and which long-horizon chains
(search -> videos -> live stream -> purchase -> customer service) run through their 90 days.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: Hourly activity weights (00h..23h). Few events at night, peaks at lunch and in the evening.
RHYTHM_DAY = (0.5, 0.25, 0.12, 0.08, 0.08, 0.15, 0.5, 1.1, 1.4, 1.2, 1.1, 1.5, 2.6, 2.3, 1.3, 1.1, 1.2,
              1.5, 2.0, 2.8, 3.2, 3.3, 2.6, 1.4)
RHYTHM_NIGHT_OWL = (2.6, 2.2, 1.6, 0.9, 0.4, 0.15, 0.1, 0.15, 0.3, 0.5, 0.8, 1.1, 1.9, 1.8, 1.4, 1.3, 1.4,
                    1.6, 2.0, 2.6, 3.0, 3.4, 3.6, 3.2)
RHYTHM_EARLY = (0.1, 0.05, 0.05, 0.1, 0.4, 1.6, 2.6, 2.4, 1.8, 1.5, 1.3, 1.8, 2.2, 1.4, 1.0, 1.1, 1.3,
                1.7, 2.4, 2.8, 2.4, 1.4, 0.6, 0.2)


@dataclass(frozen=True)
class Persona:
    """One demo user: id, language, profile, feed size, interests and the behaviour probabilities
    the generator draws from."""

    user_id: str
    lang: str  # "en" or "zh": scenario names, profile and content language
    profile: str
    label: str  # one line for documentation and the GUI's demo notes
    feed_events: int  # video + live events over the 91 days
    topics: dict[str, float]  # video interest -> weight (keys of textbank.EN_TOPICS / ZH_TOPICS)
    live_share: float = 0.06  # fraction of feed events that are live rooms
    live_shop_share: float = 0.35  # fraction of live rooms that sell goods
    session_mean: float = 12.0  # mean feed events per session
    skip_median_s: float = 3.0  # median seconds before a skip
    completion: float = 1.0  # multiplier on the duration-dependent completion probability
    # video engagement probabilities per event
    like: float = 0.03
    comment: float = 0.004
    share: float = 0.004
    collect: float = 0.004
    follow: float = 0.002
    download: float = 0.001
    dislike: float = 0.002
    # live engagement probabilities per live event
    live_like: float = 0.06
    live_comment: float = 0.02
    gift: float = 0.004
    live_share_act: float = 0.004
    join_group: float = 0.003
    live_follow: float = 0.008
    click_cart: float = 0.05  # on selling streams
    ads_per_day: float = 1.0
    ad_convert: float = 0.12
    searches_per_week: float = 2.0
    shop_per_week: float = 1.5  # E-commerce cart/purchase events
    pay_rate: float = 0.6  # purchase actions that are paid
    cs_rate: float = 0.15  # paid purchases followed by a customer-service dialogue
    cs_styles: dict[str, float] = field(default_factory=lambda: {"curt": 1.0})
    products: tuple[str, ...] = ("tissues", "detergent", "snacks")
    chains: tuple[str, ...] = ()  # never among ``products``: a chain is the only way to its product
    rhythm: tuple[float, ...] = RHYTHM_DAY
    weekend: float = 1.25  # weekend activity factor
    heavy: bool = False


PERSONAS: tuple[Persona, ...] = (
    Persona("user_0001", "en", "Female, 50+, junior high school education, married, with adult children.",
            "retired grandmother: news, cooking and square dance; never comments; many ads; buys household goods",
            6000, {"news": 3, "cooking": 3, "dance": 2, "rural": 1.5, "comedy": 1},
            live_share=0.05, session_mean=10, skip_median_s=5, like=0.02, comment=0.0, share=0.012,
            live_comment=0.0, gift=0.001, ads_per_day=2.5, ad_convert=0.08, searches_per_week=0.7,
            shop_per_week=1.2, pay_rate=0.7, cs_rate=0.25, cs_styles={"curt": 3, "blunt": 1},
            products=("tissues", "detergent", "rice", "thermos"), chains=("blanket", "airfryer"), rhythm=RHYTHM_EARLY,
            weekend=1.0),
    Persona("user_0002", "en", "Female, 31-40, bachelor's degree, married, with two children.",
            "bargain-hunting mother of two: parenting and cooking videos, shopping lives; buys a lot",
            5000, {"parenting": 4, "cooking": 2, "beauty": 1.5, "comedy": 1},
            live_share=0.12, live_shop_share=0.75, like=0.04, comment=0.006, click_cart=0.14,
            ads_per_day=1.2, ad_convert=0.15, searches_per_week=4, shop_per_week=12, pay_rate=0.85,
            cs_rate=0.3, cs_styles={"polite": 2, "blunt": 2, "curt": 2},
            products=("tissues", "detergent", "snacks", "toy", "socks", "rice", "facecream"),
            chains=("formula", "airfryer", "downjacket")),
    Persona("user_0003", "en", "Male, 18-23, high school education, single, no children.",
            "heavy video binger and live-stream gamer: >100k events, night owl, sends gifts, many quick skips",
            100_000, {"gaming": 5, "comedy": 3, "tech": 1.5, "cars": 1, "dance": 0.7},
            live_share=0.1, live_shop_share=0.1, session_mean=45, skip_median_s=1.8, completion=0.8,
            like=0.012, comment=0.002, share=0.002, collect=0.002, follow=0.0008, download=0.0003,
            dislike=0.003, live_like=0.08, live_comment=0.03, gift=0.012, join_group=0.003,
            ads_per_day=3, ad_convert=0.05, searches_per_week=6, shop_per_week=1.5, pay_rate=0.5,
            cs_rate=0.5, cs_styles={"sarcastic": 3, "curt": 3, "angry": 1},
            products=("skin", "charger", "snacks"), chains=("headset", "phone", "shoes"), rhythm=RHYTHM_NIGHT_OWL,
            heavy=True),
    Persona("user_0004", "en", "Male, 50+, primary school education, married, with grandchildren.",
            "retired fisherman: fishing and village videos, fishing live rooms; never comments; curt and angry with service",
            3000, {"fishing": 5, "rural": 2, "news": 2},
            live_share=0.15, live_shop_share=0.3, session_mean=8, skip_median_s=6, completion=1.3,
            like=0.015, comment=0.0, share=0.003, live_comment=0.0, gift=0.002, ads_per_day=1.5,
            searches_per_week=0.5, shop_per_week=0.6, pay_rate=0.6, cs_rate=0.6,
            cs_styles={"curt": 2, "angry": 2}, products=("bait", "thermos", "rice"), chains=("rod", "blanket"),
            rhythm=RHYTHM_EARLY, weekend=1.0),
    Persona("user_0005", "en", "Female, 18-23, undergraduate student, single, no children.",
            "student beauty fan: comments and likes more than anyone, sarcastic with customer service",
            8000, {"beauty": 4, "dance": 2, "comedy": 2, "pets": 1.5, "travel": 1},
            live_share=0.07, live_shop_share=0.5, session_mean=18, like=0.08, comment=0.03, share=0.01,
            collect=0.015, follow=0.004, live_comment=0.06, ads_per_day=1.0, searches_per_week=5,
            shop_per_week=2.5, pay_rate=0.55, cs_rate=0.3, cs_styles={"sarcastic": 3, "polite": 1, "curt": 1},
            products=("socks", "snacks", "charger"), chains=("lipstick", "facecream"), rhythm=RHYTHM_NIGHT_OWL),
    Persona("user_0006", "en", "Male, 24-30, master's degree, single, no children.",
            "fitness and tech: watches long videos to the end, searches a lot, blunt with service",
            2500, {"fitness": 4, "tech": 3, "cars": 1},
            live_share=0.03, session_mean=7, skip_median_s=4, completion=1.4, like=0.03, comment=0.002,
            collect=0.02, ads_per_day=0.6, ad_convert=0.06, searches_per_week=7, shop_per_week=1.5,
            pay_rate=0.7, cs_rate=0.3, cs_styles={"blunt": 4, "curt": 1},
            products=("yoga", "charger", "socks"), chains=("shoes", "protein")),
    Persona("user_0007", "en", "Male, 41-49, vocational school education, married, with one child.",
            "truck driver: cars, news and comedy in short bursts; angry and sarcastic with customer service",
            1500, {"cars": 3, "news": 2, "comedy": 2},
            live_share=0.04, session_mean=6, skip_median_s=2.5, like=0.01, comment=0.003,
            ads_per_day=0.8, searches_per_week=1, shop_per_week=0.8, pay_rate=0.65, cs_rate=0.8,
            cs_styles={"angry": 3, "sarcastic": 1, "curt": 1}, products=("charger", "thermos"),
            chains=("tent", "phone"), rhythm=RHYTHM_EARLY),
    Persona("user_0008", "en", "Female, 24-30, associate degree, in a relationship, no children.",
            "pet owner and weekend camper: pets, travel and outdoor videos; polite but firm",
            4000, {"pets": 4, "travel": 2, "outdoors": 2, "cooking": 1},
            live_share=0.05, like=0.05, comment=0.01, share=0.008, collect=0.01, ads_per_day=0.9,
            searches_per_week=3, shop_per_week=2, pay_rate=0.7, cs_rate=0.3,
            cs_styles={"polite": 3, "blunt": 1}, products=("socks", "thermos", "yoga"),
            chains=("tent", "catfood"), weekend=1.6),
    Persona("user_0009", "en", "Male, 31-40, bachelor's degree, married, with one child.",
            "light user: a few hundred events, news and tech, rarely interacts",
            400, {"news": 2, "tech": 2, "parenting": 1},
            live_share=0.02, session_mean=5, like=0.01, comment=0.0, share=0.002, ads_per_day=0.3,
            searches_per_week=1, shop_per_week=0.5, pay_rate=0.7, cs_rate=0.5,
            cs_styles={"curt": 2, "polite": 1}, products=("charger",), chains=("airfryer", "phone")),
    Persona("user_0010", "en", "Female, 41-49, high school education, divorced, with one teenage child.",
            "live-shopping regular: cooking and comedy, long stays in selling live rooms, joins fan groups",
            9000, {"cooking": 3, "comedy": 2, "beauty": 1, "rural": 1},
            live_share=0.35, live_shop_share=0.8, session_mean=14, like=0.03, comment=0.004,
            live_like=0.1, live_comment=0.04, gift=0.006, join_group=0.008, click_cart=0.1,
            ads_per_day=1.5, searches_per_week=2, shop_per_week=4, pay_rate=0.75, cs_rate=0.3,
            cs_styles={"blunt": 2, "curt": 2, "angry": 1}, products=("tissues", "snacks", "rice", "facecream"),
            chains=("downjacket", "blanket")),
    Persona("user_011", "zh", "女，24-30岁，本科，已婚，有一个孩子。平时喜欢看育儿和美妆视频，偶尔在直播间购物。",
            "ZH young mother (3-digit id as in seed_offsets.json): parenting and beauty, polite or curt",
            3000, {"parenting": 4, "beauty": 2, "cooking": 2, "comedy": 1},
            live_share=0.1, live_shop_share=0.6, like=0.04, comment=0.008, ads_per_day=1.0,
            searches_per_week=3, shop_per_week=3, pay_rate=0.75, cs_rate=0.4,
            cs_styles={"polite": 2, "curt": 2, "blunt": 1}, products=("toy", "tissues", "snacks"),
            chains=("formula", "facecream")),
    Persona("user_012", "zh", "男，41-49岁，初中，已婚，有两个孩子。在县城开货车，喜欢钓鱼。",
            "ZH truck driver and angler (3-digit id): fishing and village videos, angry with service",
            2000, {"fishing": 4, "rural": 2, "news": 1, "comedy": 1},
            live_share=0.12, live_shop_share=0.3, session_mean=8, like=0.015, comment=0.001,
            ads_per_day=1.2, searches_per_week=1, shop_per_week=0.8, pay_rate=0.6, cs_rate=0.6,
            cs_styles={"angry": 2, "curt": 2, "sarcastic": 1}, products=("bait", "thermos"),
            chains=("rod", "tent"), rhythm=RHYTHM_EARLY, weekend=1.0),
)
