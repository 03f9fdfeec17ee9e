"""Settings: typed, versioned, tolerant reads, atomic writes, no secrets; bookmarks store."""

from __future__ import annotations

import json

import pytest

from workbench.app.bookmarks import Bookmark, BookmarkStore
from workbench.app.settings import SCHEMA_VERSION, Settings, load_settings, save_settings, settings_path


def test_round_trip_and_schema_version(tmp_path):
    s = Settings(open_files=["/x/a.json"], last_user="user_7", last_range=[1.0, 2.0], window_state="AAA=")
    s.add_recent("/x/a.json")
    s.add_recent("/x/b.json")
    s.add_recent("/x/a.json")
    path = save_settings(s)
    assert path == settings_path() and path.parent.exists()
    raw = json.loads(path.read_text())
    assert raw["schema_version"] == SCHEMA_VERSION
    back = load_settings()
    assert back == s
    assert back.recent_files == ["/x/a.json", "/x/b.json"]
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".settings-")]  # no temp left


def test_bad_values_fall_back_to_defaults_and_corrupt_file_is_reported():
    path = settings_path()
    path.write_text(json.dumps({"schema_version": 1, "open_files": "nope", "last_user": 5,
                                "last_range": [3, 1], "lookback_days": -2, "recent_files": ["a", 3],
                                "unknown_key": 1}))
    s = load_settings()
    assert s.open_files == [] and s.last_user == "" and s.last_range == [] and s.lookback_days == 30.0
    assert s.recent_files == ["a"]
    path.write_text("{not json")
    problems: list[str] = []
    assert load_settings(problems=problems) == Settings()
    assert problems and "settings.json" in problems[0]
    assert path.with_suffix(".json.corrupt").exists()


def test_no_secret_fields():
    names = " ".join(Settings.__dataclass_fields__)
    for bad in ("key", "secret", "token", "password"):
        assert bad not in names


def test_bookmarks_persist_per_source(tmp_path):
    store = BookmarkStore()
    a = store.add(Bookmark("first", str(tmp_path / "a.json"), "u1", 3, 1.0, 2.0))
    store.add(Bookmark("other", str(tmp_path / "b.json"), "u1", 4))
    again = BookmarkStore()
    assert [b.name for b in again.for_source(tmp_path / "a.json")] == ["first"]
    renamed = again.rename(a, "renamed")
    assert [b.name for b in BookmarkStore().for_source(tmp_path / "a.json")] == ["renamed"]
    BookmarkStore().remove(renamed)
    assert BookmarkStore().for_source(tmp_path / "a.json") == []
    assert len(BookmarkStore().for_source(tmp_path / "b.json")) == 1


def test_malformed_bookmarks_are_skipped():
    store = BookmarkStore()
    store.path.write_text(json.dumps({"bookmarks": [{"name": "ok", "source": "/s", "user_id": "u",
                                                     "event_index": 1}, {"name": "bad"}]}))
    again = BookmarkStore()
    assert [b.name for b in again.for_source("/s")] == ["ok"]
    assert again.problems and "bookmark 1" in again.problems[0]


@pytest.mark.parametrize("text", ["[]", "null", "\xff"])
def test_non_object_settings_give_defaults(text):
    settings_path().write_text(text, encoding="latin-1")
    assert load_settings(problems=[]) == Settings()


def test_predict_options_persist_without_secrets(qapp):
    """The Predict panel's models, ticks, API base and knobs survive a restart; a key-like nested
    entry is never written."""
    from workbench.app.predict_panel import PredictPanel
    from workbench.app.state import AppState

    panel = PredictPanel(AppState())
    panel.add_model("openai/gpt-4o-mini")
    panel.add_model("hosted_vllm/qwen3", checked=False)
    panel.api_base.setText("http://127.0.0.1:8000/v1")
    panel.temperature.setValue(0.7)
    panel.memory.setCurrentText("retrieve")
    panel.budget.setValue(16000)
    panel.lang.setCurrentText("en")
    s = Settings(predict={**panel.options(), "extra": {"api_key": "sk-never", "max_tokens": 64}})
    save_settings(s)
    text = settings_path().read_text()
    assert "sk-never" not in text and "max_tokens" in text
    again = PredictPanel(AppState())
    again.apply_options(load_settings().predict)
    assert again.options() == panel.options()
    assert again.checked_models() == ["baseline:user", "openai/gpt-4o-mini"]
    assert again.api_base.text() == "http://127.0.0.1:8000/v1" and again.memory.currentText() == "retrieve"
    again.apply_options({"models": "nonsense", "budget": "x", "memory": "nope"})   # tolerated
    assert again.options() == panel.options()
