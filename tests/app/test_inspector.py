"""The inspector's HTML: every field readable, null vs absent, units, dialogue."""

from __future__ import annotations

import orjson

from workbench.app.inspector import event_html, format_value, wan


def _row(scenario, context, actions, **extra):
    return {"scenario": scenario, "scenario_raw": scenario, "event_index": 3, "ts_raw": "2025-09-03",
            "ts_date_only": True, "outcome": 0, "title": extra.get("title"),
            "context": None if context is None else orjson.dumps(context).decode(),
            "actions": orjson.dumps(actions).decode()}


def test_values_are_formatted_with_units():
    assert wan(1234567) == "123.5万"
    assert format_value("play_cnt", 1234567) == "1,234,567 (123.5万) plays"
    assert format_value("item_price", 299) == "¥299.00"
    assert "not given" in format_value("item_price", 0.0)
    assert format_value("duration", 0) == "0 (unknown)"
    assert format_value("live_total_view_duration", 9000) == "9,000 s (2 h 30 min)"
    assert "yes" in format_value("is_pay", True) and "no" in format_value("is_add_to_cart", False)
    assert "null" in format_value("item_desc", None)
    assert "empty string" in format_value("ocr", "")
    assert format_value("caption", "<b>x</b>").count("&lt;b&gt;") == 1


def test_null_and_absent_fields_are_distinguished():
    html = event_html(_row("Advertisement", {"product": "学习机", "caption": None, "show_cnt": 2},
                           [{"type": "watch", "is_complete_play": False}], title="学习机"))
    assert "null" in html and "absent:" in html and "ocr_text" in html.split("absent:")[1]
    assert "caption" in html.split("absent:")[0]        # present-but-null is listed as a field
    assert "(date only)" in html


def test_search_without_context_and_dialogue():
    html = event_html(_row("Search Behavior", None, [{"type": "search", "keyword": "跑鞋"}]))
    assert "no context" in html and "跑鞋" in html
    html = event_html(_row("Customer Service", {"product_name": "鞋"},
                           [{"type": "dialogue", "content": [{"role": "user", "content": "太慢了"},
                                                             {"role": "assistant", "content": "抱歉"}]}]))
    assert "Customer:" in html and "太慢了" in html and "Agent:" in html
    assert "turns (transcript below)" in event_html(
        _row("Customer Service", {}, [{"type": "dialogue", "content": [{"role": "user", "content": "x"}]}]),
        transcript_shown_separately=True)
