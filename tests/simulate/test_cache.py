"""SQLite response cache."""

from __future__ import annotations

import sqlite3
import threading

from workbench.simulate.cache import CACHE_FILE, ResponseCache, cache_key
from workbench.simulate.types import ModelSpec, Prediction


def pred(**kw):
    base = dict(model="openai/m", field="video_liked", predicted_value=1.0, predicted_label=1, raw_output="Yes",
                parse_ok=True, prediction_method="direct_mapping", prompt_tokens=100, completion_tokens=1,
                cost=0.002)
    base.update(kw)
    return Prediction(**base)


def test_default_location_and_roundtrip(tmp_path):
    from workbench.paths import cache_dir

    cache = ResponseCache()
    assert cache.path == cache_dir() / CACHE_FILE and cache.path.exists()
    spec = ModelSpec("openai/m")
    assert cache.get(spec, "h1", "video_liked", "binary") is None
    cache.put(spec, "h1", "video_liked", "binary", pred())
    hit = cache.get(spec, "h1", "video_liked", "binary")
    assert hit.cached and hit.cost == 0.0 and hit.raw_output == "Yes" and hit.prompt_tokens == 100
    assert cache.stats()["cost"] == 0.002 and cache.stats()["entries"] == 1
    mode = sqlite3.connect(cache.path).execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"
    cache.close()


def test_key_parts_all_matter(tmp_path):
    spec = ModelSpec("openai/m")
    k = cache_key(spec, "h", "f", "binary")
    assert k != cache_key(ModelSpec("openai/m", temperature=0.7), "h", "f", "binary")
    assert k != cache_key(ModelSpec("openai/m", api_base="http://x"), "h", "f", "binary")
    assert k != cache_key(ModelSpec("openai/m", use_logprobs=True), "h", "f", "binary")
    assert k != cache_key(spec, "h2", "f", "binary") and k != cache_key(spec, "h", "g", "binary")
    assert k != cache_key(spec, "h", "f", "text")
    assert k == cache_key(ModelSpec("openai/m", timeout=5), "h", "f", "binary")   # timeout does not change answers


def test_failures_not_cached_and_threads(tmp_path):
    cache = ResponseCache(tmp_path / "c.sqlite")
    spec = ModelSpec("openai/m")
    cache.put(spec, "h", "video_liked", "binary", pred(parse_ok=False, predicted_value=None, error="x"))
    assert cache.get(spec, "h", "video_liked", "binary") is None

    def worker(i):
        cache.put(spec, f"h{i}", "video_liked", "binary", pred())
        assert cache.get(spec, f"h{i}", "video_liked", "binary") is not None

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert cache.stats()["entries"] == 8
    cache.put_text(spec, "sum", "__s__", "一段概要")
    assert cache.get_text(spec, "sum", "__s__") == "一段概要"
    cache.close()
