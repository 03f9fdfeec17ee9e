"""Template banks for the synthetic demo traces (captions, OCR/ASR, live covers, products, ads,
search keywords). Layer: demo (pure; no Qt).

Everything here is plain data. ``generator`` renders pools of distinct strings from these templates
once per run and then draws from the pools with a seeded numpy Generator, so the output is varied
but deterministic. English banks feed EN users, Chinese banks feed ZH users; search keywords and the
万-based range buckets are Chinese in both, as in the released data (docs/benchmark.md#data-quirks).
"""

from __future__ import annotations

from dataclasses import dataclass

# -- video topics -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Topic:
    """A content topic of the demo videos: its key, hashtags, subjects, spoken (ASR) and on-screen (OCR)
    line templates, and the Chinese search keywords of users who like it."""

    key: str
    tags: tuple[str, ...]
    subjects: tuple[str, ...]
    lines: tuple[str, ...]  # spoken lines (ASR), may use {subject}
    ocr: tuple[str, ...]  # on-screen text, may use {subject}
    keywords_zh: tuple[str, ...]  # what such a user types in the search box (Chinese even in EN data)


EN_TOPICS: dict[str, Topic] = {t.key: t for t in (
    Topic("cooking", ("cooking", "homecooking", "recipe", "foodie"),
          ("braised pork belly", "tomato egg noodles", "crispy fried chicken wings", "steamed fish with ginger",
           "garlic green beans", "dumplings from scratch", "spicy hot pot at home", "five-minute fried rice",
           "sweet and sour ribs", "mapo tofu"),
          ("First, heat the wok until it just starts to smoke, then add a spoon of oil.",
           "The secret to {subject} is patience, don't rush the sauce.",
           "My mother-in-law taught me this version of {subject} and the kids finish it every time.",
           "Add a little sugar to balance the salt, just a pinch, like this.",
           "If you don't have rice wine, a splash of beer also works, trust me.",
           "Turn the heat down now, otherwise the bottom burns and the whole pot tastes bitter.",
           "Look at that colour, that's how you know {subject} is done."),
          ("Only 3 ingredients", "Save this recipe", "{subject} step 1/4", "Low heat 8 min", "Kids love it"),
          ("红烧肉做法", "家常菜", "空气炸锅食谱", "减脂餐")),
    Topic("pets", ("cat", "dog", "pets", "cute"),
          ("my orange cat", "a golden retriever puppy", "two rescued kittens", "a very dramatic husky",
           "our old tabby", "a corgi who hates baths", "a cat that opens doors", "the neighbour's parrot"),
          ("He has been staring at the fridge for ten minutes, I think he knows where the treats are.",
           "This is {subject} on the first day home, so shy.",
           "Vet said he needs to lose a bit of weight, so no more midnight snacks.",
           "Every morning at six, exactly six, she sits on my face.",
           "We tried the new food today and honestly he loved it.",
           "If your cat does this, it means they trust you completely."),
          ("Wait for the end", "{subject} vs bath time", "Day 30 after adoption", "He said NO", "Trust level 100"),
          ("猫粮推荐", "狗狗训练", "猫咪搞笑", "宠物用品")),
    Topic("fishing", ("fishing", "outdoors", "wildfishing", "catchandrelease"),
          ("a 5 kg grass carp", "night fishing at the reservoir", "wild river crucian carp", "a new carbon rod",
           "homemade bait", "fishing in the rain", "a huge silver carp", "the secret spot behind the dam"),
          ("The float just moved, wait, wait, now!",
           "I mixed corn flour with a bit of liquor for the bait, the fish go crazy for it.",
           "Forty minutes without a bite and then {subject} shows up.",
           "This rod is light but the tip is strong enough for the big ones.",
           "Brothers, remember to take your rubbish with you when you leave.",
           "Water temperature dropped today, so the fish are deeper, go longer on the line."),
          ("Big one!!", "{subject}", "Bait recipe in comments", "3 hours, 12 fish", "Wild river, no fees"),
          ("钓鱼技巧", "鱼竿", "野钓", "鱼饵配方")),
    Topic("fitness", ("fitness", "gym", "workout", "fatloss"),
          ("a 15-minute fat burning routine", "my leg day", "push-up progression", "a home workout with no equipment",
           "protein breakfast ideas", "how I lost 10 kg", "deadlift form check", "core training for beginners"),
          ("Keep your back straight, the movement comes from the hips, not the lower back.",
           "Three sets of twelve, rest sixty seconds, no cheating.",
           "I used to skip {subject} and my knees paid the price.",
           "Diet is seventy percent of the result, the gym is the other thirty.",
           "If you can still talk during this set, it's too easy.",
           "Protein after training, within an hour, that's all the magic there is."),
          ("Day {n}/30", "No equipment", "{subject}", "Beginner friendly", "Burn 300 kcal"),
          ("减脂", "蛋白粉", "健身计划", "跑步鞋推荐")),
    Topic("gaming", ("gaming", "mobilegame", "esports", "highlights"),
          ("a 1v5 clutch", "the new season hero", "ranked match highlights", "a comeback from 10 kills down",
           "the most broken build", "a pentakill", "speedrun attempt", "my worst teammate ever"),
          ("Okay okay, they don't see me, flank, flank, go!",
           "This hero is completely broken after the patch, play it before they nerf it.",
           "Honestly {subject} was pure luck, but I'll take it.",
           "If you are stuck in gold, stop chasing kills and push towers.",
           "Chat, should I buy the new skin or not?",
           "Headphones on, you can hear the footsteps from behind the wall."),
          ("INSANE", "{subject}", "Rank tips", "1% players do this", "Patch 3.2 meta"),
          ("王者荣耀", "游戏耳机", "和平精英", "原神攻略")),
    Topic("beauty", ("makeup", "skincare", "beauty", "grwm"),
          ("a 5-minute everyday makeup look", "my night skincare routine", "lipstick swatches", "dry skin in winter",
           "a cheap foundation test", "how to fix patchy eyebrows", "the viral face cream", "no-makeup makeup"),
          ("Tap it in with your ring finger, don't rub, the skin around the eyes is thin.",
           "This shade looks scary in the tube but on the lips it's gorgeous.",
           "I have sensitive skin, so {subject} has to be gentle.",
           "Moisturise before primer, otherwise everything pills.",
           "Not sponsored, I bought it with my own money.",
           "For a natural look, less is more, build it up slowly."),
          ("Before / After", "{subject}", "Under ¥100", "Sensitive skin OK", "8 hours wear test"),
          ("口红", "面霜", "粉底液推荐", "敏感肌护肤")),
    Topic("parenting", ("parenting", "baby", "momlife", "kids"),
          ("our baby's first steps", "picky eater tricks", "a bedtime routine that works", "homework time chaos",
           "baby formula switching", "a toddler tantrum in the mall", "a DIY toy from boxes", "the first day of school"),
          ("Whatever you do, keep your voice calm, children copy our mood.",
           "We switched formula slowly, a quarter more every three days.",
           "Nobody tells you {subject} will make you cry too.",
           "Put the phone away at dinner, it changed everything for us.",
           "He refused vegetables for a month, then I hid them in the dumplings.",
           "Sleep schedule is the one thing we never compromise on."),
          ("Mom hack", "{subject}", "Age 2-4", "Save for later", "It actually works"),
          ("婴儿奶粉", "早教", "儿童绘本", "宝宝辅食")),
    Topic("travel", ("travel", "roadtrip", "scenery", "weekend"),
          ("a weekend in the mountains", "the hidden old town", "a night train to the coast", "sunrise at the summit",
           "a cheap homestay", "a lake nobody knows", "street food at midnight", "autumn leaves on the hill road"),
          ("We got up at four to catch this, and honestly it was worth every minute.",
           "Tickets are forty yuan, free for people over sixty.",
           "The best part of {subject} was the people, not the view.",
           "Take the small road after the bridge, the main road is always jammed.",
           "Bring a jacket, it is ten degrees colder up here.",
           "I would not come on a holiday weekend, too many tourists."),
          ("Worth it?", "{subject}", "Budget ¥500", "Route in comments", "Golden week crowds"),
          ("露营帐篷", "周边游", "自驾路线", "民宿推荐")),
    Topic("news", ("news", "society", "today", "local"),
          ("the new traffic rules", "a heavy rain warning", "pension adjustment news", "a heart-warming rescue",
           "a price rise at the market", "a village road finally paved", "the new high-speed rail line", "scam alert"),
          ("According to the notice, the new rule takes effect from the first of next month.",
           "Residents are advised to avoid unnecessary travel tonight.",
           "Many viewers asked about {subject}, here are the key points.",
           "Police remind the elderly never to transfer money to strangers on the phone.",
           "Prices of vegetables rose slightly this week due to the weather.",
           "The bridge is expected to open to traffic before the end of the year."),
          ("BREAKING", "{subject}", "Key points", "Share with your parents", "Official notice"),
          ("养老金", "天气预报", "新闻", "防诈骗")),
    Topic("comedy", ("funny", "comedy", "skit", "lol"),
          ("when mom finds the report card", "office life be like", "my dad trying to use a smartphone",
           "the group chat at 2 am", "a wedding gone wrong", "the landlord inspection", "first date fails",
           "grandma vs the robot vacuum"),
          ("No no no, that's not what I said, I said the OTHER one!",
           "And that is why I don't lend my car to my cousin anymore.",
           "Everyone has lived through {subject}, don't lie.",
           "Wait, who turned off the lights?",
           "He said he was five minutes away, that was two hours ago.",
           "Tag the friend who always does this."),
          ("LOL", "{subject}", "Part 2?", "Relatable", "Wait for it"),
          ("搞笑视频", "段子", "情景剧", "相声")),
    Topic("rural", ("countryside", "farmlife", "harvest", "village"),
          ("harvesting sweet potatoes", "feeding the chickens at dawn", "building a wood stove",
           "picking persimmons", "the village market", "making chili sauce", "repairing the old roof", "planting winter garlic"),
          ("This year the harvest is better than last year, the rain came at the right time.",
           "Grandpa says the stove must face south, so it faces south.",
           "City friends ask me about {subject}, so here is the whole process.",
           "We sell some at the market and keep the rest for the winter.",
           "Hands get cold in the morning, but the work doesn't wait.",
           "Nothing beats food you grew yourself."),
          ("Real village life", "{subject}", "Harvest day", "From our farm", "No filters"),
          ("农村生活", "土特产", "种菜技巧", "柴火灶")),
    Topic("cars", ("cars", "auto", "driving", "ev"),
          ("a used car inspection", "an EV winter range test", "parking in a tiny spot", "changing a tyre",
           "the new family SUV", "fuel saving tricks", "a dashcam compilation", "a road trip in the old sedan"),
          ("Check the gaps between the panels, uneven gaps mean it was in an accident.",
           "At minus five degrees the range dropped by almost thirty percent.",
           "Most people do {subject} wrong, here's the right way.",
           "Keep two seconds of distance, more when it rains.",
           "The dealer wanted three thousand for this, I did it for two hundred.",
           "Tyre pressure matters more than you think."),
          ("Don't get scammed", "{subject}", "Real range", "Beginner driver", "Save ¥3000"),
          ("二手车", "新能源汽车", "行车记录仪", "汽车保养")),
    Topic("tech", ("tech", "unboxing", "gadgets", "review"),
          ("the new budget phone", "a 100 yuan earbuds test", "a smart watch after 3 months", "phone battery myths",
           "a mechanical keyboard", "the cheapest tablet", "a phone camera night test", "a power bank teardown"),
          ("Out of the box the screen is brighter than last year's model.",
           "Battery lasted a full day and a half with normal use.",
           "For the price, {subject} is honestly hard to beat.",
           "Don't believe the numbers on the box, look at real tests.",
           "The charger is not included, which I think is a shame.",
           "Night mode is good, but the zoom is weak."),
          ("Worth it?", "{subject}", "Honest review", "Under ¥1500", "Battery test"),
          ("小米", "手机推荐", "蓝牙耳机", "平板电脑")),
    Topic("dance", ("dance", "music", "trend", "cover"),
          ("a square dance routine", "the trending challenge", "a guitar cover", "a folk song in the park",
           "my first dance class", "a duet with grandma", "karaoke night", "a street performance"),
          ("Left, left, turn, clap, and again from the top!",
           "We practise every evening at seven by the river, everyone is welcome.",
           "I've wanted to try {subject} for a year and finally did it.",
           "Turn the volume up for this part.",
           "The song is old but it still gives me goosebumps.",
           "Thanks everyone for the support, next week a new song."),
          ("Music on", "{subject}", "Learn in 1 minute", "Trending", "Full version"),
          ("广场舞", "流行歌曲", "吉他教学", "舞蹈教学")),
    Topic("outdoors", ("camping", "hiking", "outdoors", "nature"),
          ("a rainy night in the tent", "camping gear for beginners", "a solo hike", "campfire cooking",
           "a cold-weather camp", "setting up camp in the wind", "a lakeside weekend camp", "the ultralight backpack"),
          ("Pick flat ground, and never pitch right at the bottom of a slope, rain runs down.",
           "The wind picked up at night, so we added two more stakes.",
           "My first time trying {subject} and I'm hooked.",
           "Bring more water than you think you need.",
           "A good sleeping pad matters more than a thick sleeping bag.",
           "Leave no trace, pack everything out."),
          ("Gear list", "{subject}", "Weekend escape", "Beginner camp", "Rain test"),
          ("露营帐篷", "户外装备", "徒步路线", "睡袋推荐")),
)}

ZH_TOPICS: dict[str, Topic] = {t.key: t for t in (
    Topic("cooking", ("美食", "家常菜", "做饭"),
          ("红烧肉", "番茄鸡蛋面", "可乐鸡翅", "清蒸鲈鱼", "手工饺子", "酸菜鱼", "回锅肉", "蛋炒饭"),
          ("锅烧热了再放油，油温七成热下肉。", "{subject}最关键的就是火候，千万别着急。",
           "这是我婆婆教我的{subject}做法，孩子每次都吃光。", "加一点点糖提鲜，就一点点。",
           "没有料酒的话放点啤酒也行，相信我。", "看这个颜色，就说明已经熟了。"),
          ("只需三步", "{subject}", "收藏起来", "小火八分钟", "孩子爱吃"),
          ("红烧肉做法", "家常菜", "空气炸锅食谱", "减脂餐")),
    Topic("fishing", ("钓鱼", "野钓", "户外"),
          ("五斤草鱼", "水库夜钓", "野河鲫鱼", "新买的碳素竿", "自制饵料", "雨天钓鱼", "大鲢鳙", "大坝后面的钓点"),
          ("浮漂动了，别急，等一下，起竿！", "玉米面加点白酒，鱼特别爱吃。",
           "等了四十分钟，终于来了{subject}。", "这根竿子轻，但是竿梢够硬。",
           "兄弟们走的时候记得把垃圾带走。", "今天降温了，鱼在深水，线放长一点。"),
          ("大鱼！", "{subject}", "饵料配方看评论", "三小时十二条", "野河免费钓"),
          ("钓鱼技巧", "鱼竿", "野钓", "鱼饵配方")),
    Topic("parenting", ("育儿", "宝妈", "亲子"),
          ("宝宝第一次走路", "挑食的小妙招", "睡前流程", "写作业鸡飞狗跳", "换奶粉", "商场里大哭", "纸箱做玩具", "开学第一天"),
          ("不管怎样，说话语气要平和，孩子会学我们的情绪。", "换奶粉要慢慢来，三天加四分之一。",
           "没人告诉我{subject}会让当妈的也哭出来。", "吃饭的时候把手机收起来，真的有用。",
           "一个月不吃青菜，后来我包进饺子里了。", "作息时间是我们家唯一不妥协的事。"),
          ("宝妈必看", "{subject}", "二到四岁", "先收藏", "亲测有效"),
          ("婴儿奶粉", "早教", "儿童绘本", "宝宝辅食")),
    Topic("rural", ("农村", "乡村生活", "丰收"),
          ("挖红薯", "清晨喂鸡", "砌柴火灶", "摘柿子", "赶集", "做辣椒酱", "修老房子", "种冬蒜"),
          ("今年收成比去年好，雨水来得正是时候。", "爷爷说灶口要朝南，那就朝南。",
           "城里的朋友问我{subject}，今天把全过程拍给大家。", "一部分拿去集上卖，剩下的留着过冬。",
           "早上手冻得不行，但是活不等人。", "自己种的菜就是香。"),
          ("真实农村生活", "{subject}", "丰收啦", "自家种的", "没有滤镜"),
          ("农村生活", "土特产", "种菜技巧", "柴火灶")),
    Topic("news", ("新闻", "社会", "本地"),
          ("交通新规", "暴雨预警", "养老金调整", "暖心救援", "菜价上涨", "村里修路", "高铁新线", "防骗提醒"),
          ("根据通知，新规定从下个月一号起施行。", "提醒市民今晚非必要不外出。",
           "很多网友问到{subject}，这里说一下重点。", "警方提醒老年人不要给陌生人转账。",
           "受天气影响，本周蔬菜价格小幅上涨。", "大桥预计年底前通车。"),
          ("突发", "{subject}", "重点来了", "转给爸妈看", "官方通知"),
          ("养老金", "天气预报", "新闻", "防诈骗")),
    Topic("comedy", ("搞笑", "段子", "情景剧"),
          ("妈妈看到成绩单", "打工人的一天", "我爸学用智能手机", "凌晨两点的家族群", "婚礼翻车", "房东查房", "相亲翻车", "奶奶大战扫地机器人"),
          ("不不不，我说的不是这个，是另一个！", "所以我再也不把车借给表弟了。",
           "{subject}谁没经历过，别装。", "等等，谁把灯关了？", "他说五分钟就到，那是两个小时前。", "艾特那个总是这样的朋友。"),
          ("笑死", "{subject}", "要出第二集吗", "太真实了", "看到最后"),
          ("搞笑视频", "段子", "情景剧", "相声")),
    Topic("beauty", ("美妆", "护肤", "化妆"),
          ("五分钟日常妆", "晚间护肤流程", "口红试色", "冬天干皮", "平价粉底测评", "眉毛怎么画", "网红面霜", "伪素颜"),
          ("用无名指轻轻拍开，眼周皮肤很薄。", "这个颜色管子里看着吓人，上嘴很好看。",
           "我是敏感肌，所以{subject}一定要温和。", "先保湿再上妆前乳，不然会搓泥。",
           "不是广告，自费购买。", "想要自然就少量多次。"),
          ("前后对比", "{subject}", "百元以内", "敏感肌可用", "八小时持妆"),
          ("口红", "面霜", "粉底液推荐", "敏感肌护肤")),
    Topic("outdoors", ("露营", "徒步", "户外"),
          ("雨夜露营", "新手露营装备", "一个人徒步", "篝火做饭", "冬季露营", "大风天搭帐篷", "湖边周末露营", "超轻背包"),
          ("选平地，别在坡底下扎营，下雨水往下流。", "晚上起风了，又加了两根地钉。",
           "第一次尝试{subject}，直接爱上了。", "水要比你想的多带一点。", "防潮垫比厚睡袋更重要。", "垃圾全部带走。"),
          ("装备清单", "{subject}", "周末出逃", "新手露营", "淋雨测试"),
          ("露营帐篷", "户外装备", "徒步路线", "睡袋推荐")),
)}

EN_HOOKS = ("You won't believe", "Honestly,", "Finally tried", "Day 3:", "Watch till the end:",
            "Nobody talks about", "This is why", "I can't stop watching", "Quick tip:", "Real talk:",
            "Tested for a week:", "So this happened:", "Beginner's guide to", "The truth about")
ZH_HOOKS = ("你绝对想不到", "说实话", "终于试了", "第三天：", "一定要看到最后", "没人说过的", "原来是这样",
            "停不下来", "小技巧：", "真心话：", "实测一周：", "新手必看", "真相是")
EN_FILLER = ("Like and follow if this helped.", "Comment below what you want to see next.",
             "Okay, let's get started.", "Alright guys, welcome back to the channel.",
             "That's it for today, see you tomorrow.", "Link is in my shop window.",
             "Don't forget to save this one.", "Let me know if you have questions.",
             "I'm not a professional, this is just my experience.", "Sorry for the shaky camera.")
ZH_FILLER = ("觉得有用的点个赞关注一下。", "评论区告诉我下期想看什么。", "好，我们开始吧。",
             "老铁们，欢迎回到我的频道。", "今天就到这里，明天见。", "链接在我的橱窗里。",
             "记得收藏。", "有问题评论区问我。", "我不是专业的，只是个人经验。", "镜头有点晃，见谅。")
EN_EMOJI = ("", "", "🔥", "😂", "👍", "❤️", "✨", "😭", "💪")

# -- live streams -----------------------------------------------------------------------------------

EN_LIVE_ENTERTAIN = ("Late-night chat, come say hi", "Ranked grind to Mythic, day {n}", "Singing your requests tonight",
                     "Fishing live from the reservoir", "Village dinner live: cooking for 20 people",
                     "PK battle tonight, support me!", "Calligraphy practice, relax with me",
                     "Square dance practice by the river", "Mahjong with the neighbours", "Tea and stories from the old days")
ZH_LIVE_ENTERTAIN = ("深夜聊天，进来打个招呼", "冲分第{n}天", "今晚点歌", "水库钓鱼直播", "农村大锅饭直播",
                     "今晚PK，家人们支持一下", "练字直播，陪你放松", "河边广场舞", "和邻居打麻将", "喝茶讲老故事")
EN_LIVE_SHOP = ("{topic} flash sale tonight, factory price!", "Live unboxing: {topic}, coupons every 10 minutes",
                "Warehouse clearance: {topic} from ¥{price}", "Double 11 warm-up: {topic} special",
                "Direct from the factory: {topic} Q&A and deals", "Only today: {topic} buy one get one")
ZH_LIVE_SHOP = ("{topic}今晚秒杀，工厂价！", "直播开箱：{topic}，每十分钟发券", "仓库清仓：{topic}低至{price}元",
                "双十一预热：{topic}专场", "工厂直发：{topic}答疑加福利", "仅限今天：{topic}买一送一")
EN_COVER_PEOPLE = ("a smiling woman in a red sweater", "a young man with headphones", "an older man in a straw hat",
                   "two hosts in matching T-shirts", "a woman in a white apron", "a girl with a ponytail",
                   "a middle-aged man in a fishing vest", "a host in a glittering dress")
EN_COVER_SETTINGS = ("in a bright studio with shelves of products", "in front of a warehouse full of boxes",
                     "by a misty reservoir at dawn", "in a cosy bedroom with fairy lights",
                     "at a gaming desk lit in purple", "in a farmhouse kitchen", "on a city street at night",
                     "in front of a green screen with a cartoon background")
EN_COVER_TEXT = ("'Limited time only'", "'Coupons every 10 min'", "'Come chat!'", "'New season'", "'¥9.9 specials'",
                 "'Follow for daily live'", "'Factory direct'", "no visible text")
ZH_COVER_PEOPLE = ("一位穿红毛衣微笑的女士", "戴耳机的年轻男生", "戴草帽的大爷", "穿同款T恤的两位主播",
                   "系白围裙的阿姨", "扎马尾的女孩", "穿钓鱼马甲的中年男子", "穿亮片裙的主播")
ZH_COVER_SETTINGS = ("在摆满商品的明亮直播间", "在堆满纸箱的仓库前", "在清晨雾气中的水库边", "在挂着小彩灯的卧室",
                     "在紫色灯光的电竞桌前", "在农家厨房", "在夜晚的街头", "在卡通背景的绿幕前")
ZH_COVER_TEXT = ("“限时福利”", "“每十分钟发券”", "“进来聊聊”", "“新品上市”", "“9.9元专区”", "“关注每天开播”",
                 "“工厂直发”", "没有文字")

# -- products ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Product:
    """A demo product: key, English and Chinese titles, price (yuan), three category levels and three
    industry levels in both languages."""

    key: str
    title_en: str
    title_zh: str
    price: float
    cats_en: tuple[str, str, str]
    cats_zh: tuple[str, str, str]
    inds_en: tuple[str, str, str]
    inds_zh: tuple[str, str, str]


PRODUCTS: dict[str, Product] = {p.key: p for p in (
    Product("tent", "Outdoor Camping Tent 3-4 Person, Automatic Pop-up, Waterproof", "户外露营帐篷3-4人全自动速开防雨加厚",
            259.0, ("Sports & Outdoors", "Camping Gear", "Tents"), ("运动户外", "露营装备", "帐篷"),
            ("Sports", "Outdoor Equipment", "Camping"), ("运动", "户外装备", "露营")),
    Product("airfryer", "Air Fryer 5L Large Capacity, Oil-free, Touch Screen", "空气炸锅5L大容量无油触屏款",
            199.0, ("Home Appliances", "Kitchen Appliances", "Air Fryers"), ("家用电器", "厨房电器", "空气炸锅"),
            ("Appliances", "Small Appliances", "Kitchen"), ("家电", "小家电", "厨房电器")),
    Product("shoes", "Men's Cushioned Running Shoes, Breathable Mesh", "男士缓震跑步鞋透气网面",
            329.0, ("Shoes", "Sports Shoes", "Running Shoes"), ("鞋靴", "运动鞋", "跑步鞋"),
            ("Apparel", "Footwear", "Sports Footwear"), ("服饰", "鞋类", "运动鞋")),
    Product("formula", "Baby Formula Milk Powder Stage 2, 800g", "婴儿配方奶粉2段800g",
            268.0, ("Mother & Baby", "Baby Food", "Formula"), ("母婴", "婴儿食品", "奶粉"),
            ("Mother & Baby", "Infant Nutrition", "Formula Milk"), ("母婴", "婴童营养", "配方奶粉")),
    Product("lipstick", "Velvet Matte Lipstick Set, 3 Shades", "丝绒哑光口红套装三支装",
            89.9, ("Beauty", "Makeup", "Lipstick"), ("美妆", "彩妆", "口红"),
            ("Beauty", "Cosmetics", "Lip Makeup"), ("美妆", "化妆品", "唇部彩妆")),
    Product("rod", "Carbon Fishing Rod 5.4m Ultralight Hand Pole", "碳素鱼竿5.4米超轻手竿",
            158.0, ("Sports & Outdoors", "Fishing", "Fishing Rods"), ("运动户外", "垂钓用品", "鱼竿"),
            ("Sports", "Outdoor Equipment", "Fishing"), ("运动", "户外装备", "垂钓")),
    Product("phone", "Xiaomi Redmi 5G Phone 8GB+256GB", "小米红米5G手机8GB+256GB",
            1299.0, ("Digital", "Mobile Phones", "Smartphones"), ("数码", "手机", "智能手机"),
            ("Electronics", "Mobile", "Handsets"), ("3C数码", "手机通讯", "手机")),
    Product("catfood", "Grain-free Cat Food 10kg, Chicken & Fish", "无谷猫粮10kg鸡肉鱼肉味",
            139.0, ("Pet Supplies", "Cat Food", "Dry Food"), ("宠物用品", "猫粮", "干粮"),
            ("Pets", "Pet Food", "Cat Food"), ("宠物", "宠物食品", "猫粮")),
    Product("headset", "Wireless Gaming Headset 7.1 Surround with Mic", "无线游戏耳机7.1环绕声带麦",
            179.0, ("Digital", "Audio", "Gaming Headsets"), ("数码", "影音", "游戏耳机"),
            ("Electronics", "Audio", "Headphones"), ("3C数码", "影音设备", "耳机")),
    Product("protein", "Whey Protein Powder 2kg, Chocolate", "乳清蛋白粉2kg巧克力味",
            299.0, ("Health", "Sports Nutrition", "Protein Powder"), ("保健", "运动营养", "蛋白粉"),
            ("Health", "Nutrition", "Sports Supplements"), ("健康", "营养保健", "运动补剂")),
    Product("downjacket", "Women's Long Down Jacket, Hooded, 90% White Duck Down", "女士长款连帽羽绒服90白鸭绒",
            459.0, ("Women's Clothing", "Outerwear", "Down Jackets"), ("女装", "外套", "羽绒服"),
            ("Apparel", "Womenswear", "Outerwear"), ("服饰", "女装", "外套")),
    Product("facecream", "Moisturizing Face Cream 50g, Sensitive Skin", "保湿面霜50g敏感肌可用",
            129.0, ("Beauty", "Skincare", "Face Cream"), ("美妆", "护肤", "面霜"),
            ("Beauty", "Skincare", "Moisturisers"), ("美妆", "护肤品", "保湿")),
    Product("blanket", "Electric Blanket Double, Dual Control, Auto Shut-off", "双人电热毯双控自动断电",
            119.0, ("Home Appliances", "Heating", "Electric Blankets"), ("家用电器", "取暖电器", "电热毯"),
            ("Appliances", "Small Appliances", "Heating"), ("家电", "小家电", "取暖")),
    Product("tissues", "Soft Facial Tissues, 24 Packs", "抽纸24包家庭装", 29.9,
            ("Household", "Paper", "Tissues"), ("日用百货", "纸品", "抽纸"),
            ("FMCG", "Household", "Paper"), ("快消", "家居日用", "纸品")),
    Product("detergent", "Laundry Detergent 5kg, Lavender", "洗衣液5kg薰衣草香", 39.9,
            ("Household", "Cleaning", "Laundry"), ("日用百货", "清洁", "洗衣液"),
            ("FMCG", "Household", "Cleaning"), ("快消", "家居日用", "清洁")),
    Product("snacks", "Spicy Snack Gift Box, 30 Bags", "辣条零食大礼包30袋", 19.9,
            ("Food", "Snacks", "Spicy Snacks"), ("食品", "零食", "辣条"),
            ("Food", "Snack Food", "Snacks"), ("食品", "休闲食品", "零食")),
    Product("socks", "Cotton Socks, 10 Pairs, Mid-calf", "纯棉中筒袜10双装", 25.8,
            ("Underwear", "Socks", "Cotton Socks"), ("内衣", "袜子", "棉袜"),
            ("Apparel", "Underwear", "Socks"), ("服饰", "内衣", "袜子")),
    Product("rice", "Northeast Rice 10kg, New Harvest", "东北大米10kg新米", 59.9,
            ("Food", "Grain & Oil", "Rice"), ("食品", "粮油", "大米"),
            ("Food", "Staples", "Rice"), ("食品", "粮油调味", "米面")),
    Product("charger", "65W Fast Charger with USB-C Cable", "65W快充充电器带C口数据线", 49.0,
            ("Digital", "Accessories", "Chargers"), ("数码", "配件", "充电器"),
            ("Electronics", "Accessories", "Charging"), ("3C数码", "数码配件", "充电")),
    Product("toy", "Building Blocks Set 1000 pcs, Age 6+", "积木拼装玩具1000颗粒6岁以上", 99.0,
            ("Toys", "Building Toys", "Blocks"), ("玩具", "益智玩具", "积木"),
            ("Mother & Baby", "Toys", "Educational"), ("母婴", "玩具", "益智")),
    Product("bait", "Fishing Bait Mix 5 Bags, Carp Formula", "鲤鱼饵料5袋装", 35.0,
            ("Sports & Outdoors", "Fishing", "Bait"), ("运动户外", "垂钓用品", "饵料"),
            ("Sports", "Outdoor Equipment", "Fishing"), ("运动", "户外装备", "垂钓")),
    Product("skin", "Game Top-up Card 648 Diamonds", "游戏充值卡648钻石", 648.0,
            ("Virtual Goods", "Games", "Top-up"), ("虚拟商品", "游戏", "充值"),
            ("Games", "Virtual", "Top-up"), ("游戏", "虚拟", "充值")),
    Product("yoga", "Non-slip Yoga Mat 8mm with Strap", "加厚防滑瑜伽垫8mm送绑带", 59.0,
            ("Sports & Outdoors", "Fitness", "Yoga Mats"), ("运动户外", "健身", "瑜伽垫"),
            ("Sports", "Fitness Equipment", "Yoga"), ("运动", "健身器材", "瑜伽")),
    Product("thermos", "Stainless Steel Thermos 1L", "不锈钢保温壶1L", 45.0,
            ("Home", "Kitchen", "Thermos"), ("家居", "厨具", "保温壶"),
            ("Home", "Kitchenware", "Drinkware"), ("家居", "厨房用品", "杯壶")),
)}

PRODUCT_SOURCES_EN = ("Buyer's Homepage", "Order Details Page")
PRODUCT_SOURCES_ZH = ("买家首页", "订单详情页")

# -- advertisements ---------------------------------------------------------------------------------

# (product, industry_main, industry_sub) ; EN and ZH
ADS_EN = (("Legend of Blades (mobile game)", "Games", "Role-playing games"),
          ("QuickCash credit line", "Finance", "Consumer credit"),
          ("Fresh Farm grocery app", "E-commerce", "Fresh food"),
          ("Sunshine car insurance", "Finance", "Insurance"),
          ("LingoGo English course", "Education", "Language learning"),
          ("Pinduo deals app", "E-commerce", "E-commerce"),
          ("Jade Garden apartments", "Real estate", "New homes"),
          ("DramaBox short series", "Entertainment", "Short drama"),
          ("Happy Farm puzzle game", "Games", "Casual games"),
          ("Dr. Li hair-loss clinic", "Healthcare", "Medical services"))
ADS_ZH = (("刀剑传说手游", "游戏", "角色扮演"), ("极速借贷", "金融", "消费信贷"), ("鲜农买菜", "电商", "生鲜"),
          ("阳光车险", "金融", "保险"), ("说说英语课", "教育", "语言学习"), ("拼多多", "电商", "电商"),
          ("翡翠花园楼盘", "房产", "新房"), ("追剧短剧", "娱乐", "短剧"), ("开心农场消消乐", "游戏", "休闲游戏"),
          ("李医生植发", "医疗", "医疗服务"))
AD_CAPTIONS_EN = ("Download now and get 100 free draws!", "Approved in 3 minutes, first loan interest-free",
                  "Fresh vegetables delivered in 30 minutes", "Compare quotes and save up to 30%",
                  "Speak English with confidence in 30 days", "Everything 50% off today only",
                  "Homes by the river, 5% down payment", "Episode 1 free: the CEO's secret wife",
                  "Can you pass level 99?", "Free hair analysis, book now")
AD_CAPTIONS_ZH = ("立即下载送100抽！", "三分钟审批，首借免息", "新鲜蔬菜30分钟送到家", "比价最高省30%",
                  "30天开口说英语", "今天全场五折", "江边好房，首付5%", "第一集免费：总裁的秘密妻子",
                  "第99关你能过吗？", "免费头发检测，立即预约")

# -- search -----------------------------------------------------------------------------------------

GENERIC_KEYWORDS_ZH = ("天气", "附近美食", "电视剧推荐", "小米", "怎么退款", "快递查询", "减肥方法", "高铁票",
                       "养生茶", "歌曲", "头像", "壁纸", "表情包", "笑话", "菜谱")
QUERY_CATEGORIES = ("查询型", "浏览型")

# -- chain texts ------------------------------------------------------------------------------------

EN_CHAIN_CAPTIONS = ("Is this {topic} worth it? Honest review after 2 weeks",
                     "Don't buy a {topic} before watching this",
                     "{Topic} haul: 3 picks that don't break the bank",
                     "Testing a cheap {topic} vs an expensive one",
                     "My new {topic}, first impressions",
                     "5 mistakes everyone makes when choosing a {topic}",
                     "The {topic} everyone is talking about, tested")
ZH_CHAIN_CAPTIONS = ("这个{topic}值不值？用了两周说实话", "买{topic}之前一定要看这个", "{topic}好物分享：三款不踩雷",
                     "便宜{topic}和贵的对比", "新入手的{topic}，第一印象", "选{topic}最常见的五个错误", "大家都在说的{topic}实测")
EN_CHAIN_LINES = ("I looked at a lot of {topic} options before picking this one.",
                  "For the price, this {topic} is better than I expected.",
                  "The seller sent it fast, and the {topic} looks exactly like the pictures.",
                  "If you are choosing a {topic}, look at the reviews with photos.",
                  "A lot of you asked where I bought the {topic}, it's in my shop window.")
ZH_CHAIN_LINES = ("挑了很多款{topic}才选的这个。", "这个价格的{topic}比我想的好。", "发货很快，{topic}和图片一样。",
                  "选{topic}一定要看带图评价。", "很多人问{topic}在哪买的，在我的橱窗里。")

#: Short product names (what a customer types, what a caption mentions): key -> (EN, ZH).
SHORT_NAMES: dict[str, tuple[str, str]] = {
    "tent": ("camping tent", "露营帐篷"), "airfryer": ("air fryer", "空气炸锅"), "shoes": ("running shoes", "跑步鞋"),
    "formula": ("baby formula", "婴儿奶粉"), "lipstick": ("matte lipstick", "哑光口红"), "rod": ("fishing rod", "碳素鱼竿"),
    "phone": ("Xiaomi phone", "小米手机"), "catfood": ("cat food", "无谷猫粮"), "headset": ("gaming headset", "游戏耳机"),
    "protein": ("protein powder", "蛋白粉"), "downjacket": ("down jacket", "羽绒服"), "facecream": ("face cream", "保湿面霜"),
    "blanket": ("electric blanket", "电热毯"), "tissues": ("tissues", "抽纸"), "detergent": ("laundry detergent", "洗衣液"),
    "snacks": ("snack box", "零食大礼包"), "socks": ("socks", "袜子"), "rice": ("rice", "大米"),
    "charger": ("fast charger", "充电器"), "toy": ("building blocks", "积木"), "bait": ("fishing bait", "鱼饵"),
    "skin": ("game top-up", "游戏充值"), "yoga": ("yoga mat", "瑜伽垫"), "thermos": ("thermos", "保温壶"),
}

#: Topic-neutral spoken and on-screen frames (``{subject}`` is a topic subject), for variety.
EN_GENERIC_LINES = ("Today's video is about {subject}.", "A lot of you asked me about {subject}.",
                    "Here's the thing about {subject}: most people get it wrong.", "Let's talk about {subject}.",
                    "So this is {subject}, take a look.", "I filmed {subject} last weekend.",
                    "Comment if you've seen {subject} before.", "Honestly, {subject} surprised me.",
                    "This part of {subject} is my favourite.", "Don't skip this part about {subject}.")
ZH_GENERIC_LINES = ("今天给大家看看{subject}。", "很多人问我{subject}。", "说一下{subject}，很多人都做错了。",
                    "我们来聊聊{subject}。", "这就是{subject}，大家看。", "上周末拍的{subject}。",
                    "见过{subject}的扣个1。", "说实话，{subject}让我挺意外的。", "{subject}这一段是我最喜欢的。",
                    "这段关于{subject}的别跳过。")
EN_GENERIC_OCR = ("{subject} | part {n}", "Watch: {subject}", "{subject} 👀", "Day {n}", "Follow for more")
ZH_GENERIC_OCR = ("{subject}｜第{n}集", "看：{subject}", "{subject}👀", "第{n}天", "关注看更多")
