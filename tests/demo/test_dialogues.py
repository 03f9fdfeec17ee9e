"""Customer-service dialogues: real customers are curt, angry, blunt or sarcastic, few are polite."""

from __future__ import annotations

import re

import numpy as np
import pytest

from workbench.demo import dialogues


def _user_turns(users, lang=None):
    out = []
    for rec in users.values():
        for ev in rec["action_history"]:
            if ev["type"] in ("Customer Service", "电商客服对话"):
                zh = ev["type"] == "电商客服对话"
                if lang is not None and zh != (lang == "zh"):
                    continue
                for a in ev["action"]:
                    if a["type"] == "dialogue":
                        out.append([t for t in a["content"] if t["role"] == "user"])
    return out


def test_customers_are_curt_angry_and_sarcastic(small_users):
    dialogs = _user_turns(small_users, "en")
    assert len(dialogs) >= 30
    turns = [t["content"] for d in dialogs for t in d]
    curt = [t for t in turns if len(t.split()) <= 3]
    angry = [t for t in turns if "!!" in t or "??" in t or re.search(r"\b[A-Z]{4,}\b", t)]
    polite = [t for t in turns if re.search(r"\b(thank|thanks|please|sorry)\b", t, re.I)]
    assert len(curt) / len(turns) > 0.2
    assert len(angry) >= 3
    assert any(t in ("where is my parcel", "refund. now.") for t in turns) or len(curt) > 10
    assert len(polite) < len(turns) / 2  # not a population of polite hedgers


def test_chinese_dialogues_carry_rating_and_transfer_noise(small_users):
    dialogs = _user_turns(small_users, "zh")
    assert dialogs
    turns = [t["content"] for d in dialogs for t in d]
    assert any("评价" in t for t in turns)
    all_zh = [t["content"] for rec in small_users.values() for ev in rec["action_history"]
              if ev["type"] == "电商客服对话" for a in ev["action"] if a["type"] == "dialogue" for t in a["content"]]
    assert all(re.search(r"[\u4e00-\u9fff]", t) or t in ("??",) for t in all_zh)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_style_and_category_builds_a_valid_dialogue(lang):
    rng = np.random.default_rng(5)
    transfer = False
    for category in dialogues.CATEGORIES:
        for style in dialogues.STYLES:
            for _ in range(8):
                turns = dialogues.build_dialogue(rng, lang, category, style, "露营帐篷" if lang == "zh" else "camping tent", 5)
                assert len(turns) >= 2
                assert any(t["role"] == "user" for t in turns) and any(t["role"] == "assistant" for t in turns)
                for t in turns:
                    assert t["role"] in ("user", "assistant") and t["content"].strip()
                    assert "{" not in t["content"] and "}" not in t["content"]
                transfer |= any("会话转移" in t["content"] for t in turns)
    assert transfer == (lang == "zh")
