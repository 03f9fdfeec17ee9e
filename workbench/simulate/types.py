"""Plain data passed between questions, prompts, model calls, metrics and cases. Layer: pure.

These frozen dataclasses are the contract between ``simulate`` (questions, prompts, providers),
``evaluate`` (batch runs, metrics, biases) and ``annotate`` (cases). Field names follow the
benchmark's record layout (docs/benchmark.md#record-layout) so that exports read like the reference ``questions[]``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Mapping

if TYPE_CHECKING:
    from workbench.simulate.servers import Server

Kind = Literal["binary", "continuous", "text"]


@dataclass(frozen=True)
class Question:
    """One predicted field of one event (docs/benchmark.md#questions)."""

    field: str                      # e.g. "video_liked", "next_user_message"
    kind: Kind
    true_value: Any                 # 0/1 for binary, float for continuous, str for text
    video_duration: float = 0.0     # NMAE normaliser (video_watch_seconds only; 0 = unknown)
    extra: dict[str, Any] = dataclasses.field(default_factory=dict, compare=False, hash=False)
    # extra holds e.g. {"dialogue_context": [...], "has_prior_user_speech": bool} for dialogues


@dataclass(frozen=True)
class Prompt:
    """A rendered prompt and exactly what went into it."""

    text: str
    history_event_indices: tuple[int, ...]   # event_index values of the history events included
    tokens: int                              # token count of ``text``
    memory: str = "truncate"                 # truncate | retrieve | summary
    lang: str = "zh"                         # zh (benchmark-faithful) | en
    prompt_hash: str = ""                    # sha256 of text (cache key part)
    summarized_event_indices: tuple[int, ...] = ()  # memory "summary": events compressed into the
                                                    # summary paragraph (not rendered verbatim)
    truncated_fields: tuple[str, ...] = ()   # target/profile fields cut so the prompt fits its budget
    source: str = "ours"                     # "ours" or "reference" (the benchmark's own builder)


@dataclass(frozen=True)
class ModelSpec:
    """What to call: a litellm model string or a baseline (``baseline:user``, ``baseline:population``)."""

    model: str
    api_base: str | None = None
    temperature: float = 0.1
    max_tokens: int | None = None
    use_logprobs: bool = False
    timeout: float = 120.0
    # provider-specific request fields merged into the request body as they are, e.g.
    # {"chat_template_kwargs": {"enable_thinking": False}} for a hybrid Qwen3 on vLLM
    extra_body: Mapping[str, Any] | None = field(default=None, hash=False)
    lenient_parsing: bool = False   # accept answers the benchmark rejects (never in benchmark runs)
    # several servers of this model, used as one (workbench.simulate.servers); () = api_base alone
    servers: tuple[Server, ...] = ()

    @property
    def is_baseline(self) -> bool:
        """Whether this is a baseline (``baseline:user``/``baseline:population``), not an LLM."""
        return self.model.startswith("baseline:")

    @property
    def thinking(self) -> bool:
        """True when ``extra_body`` turns a hybrid model's thinking on
        (``chat_template_kwargs.enable_thinking``): the benchmark then asks without logprobs and with
        larger answer limits."""
        kwargs = (self.extra_body or {}).get("chat_template_kwargs")
        return isinstance(kwargs, Mapping) and kwargs.get("enable_thinking") is True

    def cache_params(self) -> dict[str, Any]:
        """Everything that changes an answer (never the API key). Settings at their defaults are left
        out, so that answers cached before a setting existed keep their keys."""
        params: dict[str, Any] = {"model": self.model, "api_base": self.api_base,
                                  "temperature": self.temperature, "max_tokens": self.max_tokens,
                                  "use_logprobs": self.use_logprobs}
        if self.extra_body:
            params["extra_body"] = dict(self.extra_body)
        if self.lenient_parsing:
            params["lenient_parsing"] = True
        if self.servers:        # any server of the pool may answer: the pool is the endpoint
            params["servers"] = sorted(s.shown for s in self.servers)
        return params


@dataclass(frozen=True)
class Prediction:
    """One model's answer to one question (parsed as the benchmark parses it)."""

    model: str
    field: str
    predicted_value: Any            # float prob/hard 0-1 for binary, float for continuous, str text
    predicted_label: Any            # 0/1 for binary, else same as predicted_value
    raw_output: str
    parse_ok: bool
    prediction_method: str = ""     # logprobs | direct_mapping | continuous | text | baseline
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float | None = None       # USD; None = unknown (no price in litellm's map)
    cached: bool = False
    error: str = ""                 # plain words when the call or the parse failed
    retry_count: int = 0
    logprob_yes: float | None = None
    logprob_no: float | None = None
    error_kind: str = ""            # why it failed, one word: parse, connection, auth, no_key, ...
    server: str = ""                # which server of a pool answered (its URL, credentials redacted)

    def to_dict(self) -> dict[str, Any]:
        """The prediction as plain JSON-ready data (``server`` only when a pool's server answered)."""
        out = asdict(self)
        if not self.server:
            del out["server"]
        return out


def parse_extra_body(text: str | None) -> dict[str, Any] | None:
    """The ``extra_body`` of a :class:`ModelSpec` from its JSON text (``--extra-body``, the GUI model
    list): None for empty text, else a JSON object. Raises ValueError with a one-line message."""
    import json

    if text is None or not text.strip():
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"extra request fields must be a JSON object: {exc.msg} at column {exc.colno}") from None
    if not isinstance(value, dict):
        raise ValueError(f"extra request fields must be a JSON object, got {type(value).__name__}")
    return value


def extra_body_argument(text: str) -> dict[str, Any] | None:
    """``argparse`` type for ``--extra-body``."""
    import argparse

    try:
        return parse_extra_body(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
