"""A prompt longer than the model's known context window is never sent."""

from __future__ import annotations

import asyncio

from workbench.devserver import DevServer
from workbench.simulate.providers import predict
from workbench.simulate.types import ModelSpec


def test_a_prompt_over_the_context_window_is_not_sent(monkeypatch):
    import litellm

    litellm.register_model({"openai/tiny-window": {"max_input_tokens": 1000, "max_tokens": 1000,
                                                   "litellm_provider": "openai", "mode": "chat"}})
    monkeypatch.setenv("OPENAI_API_KEY", "test-not-a-key")
    with DevServer(default="Yes") as srv:
        spec = ModelSpec("openai/tiny-window", api_base=srv.base_url)
        long = asyncio.run(predict(spec, "视频" * 2000, "video_liked", "binary"))
        short = asyncio.run(predict(spec, "这个视频你会点赞吗？", "video_liked", "binary"))
        sent = len(srv.completion_requests())
    assert not long.parse_ok and long.error_kind == "context_window"
    assert "context window of 1,000" in long.error and "not sent" in long.error
    assert short.parse_ok and short.predicted_label == 1
    assert sent == 1                                       # only the short prompt reached the server
