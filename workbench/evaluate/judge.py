"""LLM-as-judge for the predicted customer-service turn (docs/benchmark.md#customer-service).
Layer: evaluate (pure + asyncio).

Optional: used only when a judge model is configured (``workbench eval --judge-model M``, with its
own ``--judge-api-base``; the Evaluation panel's judge settings).

* Eligibility (:func:`judge_eligible`): a Customer Service event whose ``next_user_message``
  question succeeded, and whose raw dialogue has a user turn *before the last user turn whose
  content equals the ground truth exactly*. First-utterance predictions are never judged, failed
  predictions are not judged (the benchmark's rules).
* Inputs (:func:`judge_inputs`) are read back out of the prompt that produced the prediction, as the
  benchmark does: the profile section (between the "input 1" and "input 2" headings, explanatory
  line included) and the dialogue context (from the "input 3" heading up to the request sentence
  "请你站在这个用户的角度"), plus ground truth and model output. The benchmark's own patterns are
  tried first; our English headings and a request sentence without "请你" are accepted after them.
* The prompt (:func:`judge_prompt`): in reference mode the benchmark's own judge prompt, built by its
  checkout; otherwise :func:`build_judge_prompt`, our own words for the same role, the same four
  inputs and the same four 1-10 dimensions with the same anchors (intent fidelity, persona and tone
  mimicry, knowledge boundary, semantic alignment), asking for raw JSON only:
  ``{"scores": {"intent_fidelity", "persona_mimicry", "knowledge_boundary", "semantic_alignment"}}``.
* Parsing (:func:`parse_judge_response`): greedy ``{...}`` span -> JSON; all four keys required;
  ``int(float(v))`` must lie in 1..10; otherwise the attempt is invalid. Up to ``max_retries``
  attempts (default 3) with a pause between them. Record score = mean of the four, rounded to 5 dp.
* No answer-length limit is sent unless the judge's ModelSpec sets ``max_tokens``.

The model call goes through ``call(prompt) -> str`` (async); :func:`judge_caller` builds one over the
simulate providers (litellm) for a :class:`~workbench.simulate.types.ModelSpec`.
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Mapping

from workbench.evaluate.metrics import JUDGE_KEYS

__all__ = ["JudgeResult", "judge_eligible", "judge_inputs", "build_judge_prompt", "judge_prompt",
           "parse_judge_response", "judge_one", "judge_caller"]

Caller = Callable[[str], Awaitable[str]]

# the benchmark's patterns first, then ours (English headings; a request sentence without "请你")
_PROFILE_RE = (re.compile(r"## 输入一：用户画像\s*\n(.*?)\n## 输入二：", re.S),
               re.compile(r"## Input 1: User profile\s*\n(.*?)\n## Input 2:", re.S))
_CONTEXT_RE = (re.compile(r"(## 输入三：.*?)\n+请你站在这个用户的角度", re.S),
               re.compile(r"(## 输入三：.*?)\n+站在这个用户的角度", re.S),
               re.compile(r"(## Input 3:.*?)\n+From this user's point of view", re.S))


@dataclass(frozen=True)
class JudgeResult:
    """The judge's verdict on one turn: the four scores (1-10, None when every attempt failed), their
    mean, the attempts made and the last error."""

    scores: dict[str, int] | None     # None when every attempt failed
    average: float | None             # mean of the four, 5 dp
    attempts: int
    raw: str = ""                     # last raw response (for inspection)
    error: str = ""


def _dialogue(event: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    for a in event.get("action", []) if isinstance(event.get("action"), list) else []:
        if isinstance(a, Mapping) and a.get("type") == "dialogue":
            content = a.get("content", [])
            return [m for m in content if isinstance(m, Mapping)] if isinstance(content, list) else []
    return []


def judge_eligible(event: Mapping[str, Any], true_value: Any) -> bool:
    """A user turn exists before the last user turn equal to the ground truth."""
    if not true_value:
        return False
    turns = _dialogue(event)
    last = -1
    for i, m in enumerate(turns):
        if m.get("role") == "user" and m.get("content") == true_value:
            last = i
    if last == -1:
        return False
    return any(m.get("role") == "user" for m in turns[:last])


def judge_inputs(prompt_text: str, true_value: str, model_output: str) -> dict[str, str] | None:
    """The four judge inputs; None when ground truth or output is empty."""
    if not true_value or not model_output:
        return None
    profile = context = ""
    for rx in _PROFILE_RE:
        m = rx.search(prompt_text)
        if m:
            profile = m.group(1).strip()
            break
    for rx in _CONTEXT_RE:
        m = rx.search(prompt_text)
        if m:
            context = m.group(1).strip()
            break
    return {"user_profile": profile, "context": context, "ground_truth": str(true_value),
            "model_output": str(model_output)}


def build_judge_prompt(inputs: Mapping[str, str]) -> str:
    """Our own wording of the benchmark's judge prompt: the same role, inputs, dimensions, anchors,
    constraints and answer format (see the module docstring)."""
    return (
        "# Role\n"
        "You are a high-precision evaluator of user simulations. Measure how closely the [Model Output] "
        "fits the [Ground Truth] when it simulates one particular human user.\n\n"
        "# Inputs\n"
        f"1. **User Profile**: {inputs['user_profile']}\n"
        f"2. **Current Context**: {inputs['context']}\n"
        f"3. **Ground Truth (the real user's reply)**: {inputs['ground_truth']}\n"
        f"4. **Model Output (the simulator's prediction)**: {inputs['model_output']}\n\n"
        "# Scores (each from 1 to 10)\n\n"
        "Score strictly by these criteria:\n\n"
        "1. **Intent Fidelity**: did the model take the same *decision* as the real user?\n"
        "   - 10: exactly the same decision.\n"
        "   - 5: the same general direction, with a different emphasis.\n"
        "   - 1: the opposite intent.\n\n"
        "2. **Persona & Tone Mimicry**: does the message sound as if *this particular user* said it?\n"
        "   - 10: the user's conversational style, emotional state and underlying personality are "
        "captured perfectly.\n"
        "   - 1: it sounds like a generic AI assistant, or does not fit the user profile at all.\n\n"
        "3. **Knowledge Boundary**: does the model keep to what the user knows and does not know?\n"
        "   - 10: it uses only information from the Context that the user knows.\n"
        "   - 1: it reveals information the user cannot know, or contains a serious logical "
        "hallucination.\n\n"
        "4. **Semantic Alignment**: do the predicted and the real text overlap in information and "
        "meaning?\n"
        "   - 10: the same meaning; either could replace the other without changing where the "
        "dialogue goes.\n"
        "   - 1: an entirely different meaning that takes the dialogue down another branch.\n\n"
        "# Constraints\n"
        "1. Do NOT output any reasoning, explanation or conversational filler.\n"
        "2. Do NOT use markdown code blocks.\n"
        "3. Return ONLY a valid, raw JSON object.\n\n"
        "# Output format (JSON)\n\n"
        '{"scores": {"intent_fidelity": <1-10>, "persona_mimicry": <1-10>, '
        '"knowledge_boundary": <1-10>, "semantic_alignment": <1-10>}}\n'
    )


def judge_prompt(inputs: Mapping[str, str], reference: Any = None) -> str:
    """The judge prompt for ``inputs``: the benchmark's own (``reference.judge_prompt``, a loaded
    benchmark checkout) when ``reference`` is given, else :func:`build_judge_prompt`."""
    if reference is not None:
        return str(reference.judge_prompt(dict(inputs)))
    return build_judge_prompt(inputs)


def parse_judge_response(response: str) -> dict[str, int] | None:
    """The four scores (integers 1-10) from the judge's answer, or None when it is not a complete,
    valid JSON verdict."""
    if not response:
        return None
    try:
        m = re.search(r"\{.*\}", response, re.S)
        data = json.loads(m.group(0) if m else response)
        scores = data.get("scores") if isinstance(data, dict) else None
        if not scores or not isinstance(scores, dict):
            return None
        if any(k not in scores for k in JUDGE_KEYS):
            return None
        out = {}
        for k in JUDGE_KEYS:
            v = int(float(scores[k]))
            if not 1 <= v <= 10:
                return None
            out[k] = v
        return out
    except (ValueError, TypeError, AttributeError, OverflowError):
        return None


async def judge_one(inputs: Mapping[str, str], call: Caller, *, max_retries: int = 3,
                    pause: float = 1.0, reference: Any = None) -> JudgeResult:
    """Judge one prediction; never raises for model or parse errors (they end in ``error``).
    ``reference``: see :func:`judge_prompt`."""
    prompt = judge_prompt(inputs, reference)
    last = ""
    error = ""
    for attempt in range(1, max_retries + 1):
        try:
            last = await call(prompt)
            error = ""
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - a failed judge call is a recorded failure
            last, error = "", f"judge call failed: {type(exc).__name__}"
        scores = parse_judge_response(last)
        if scores:
            return JudgeResult(scores, round(sum(scores.values()) / len(scores), 5), attempt, last)
        if attempt < max_retries and pause > 0:
            await asyncio.sleep(pause)
    return JudgeResult(None, None, max_retries, last,
                       error or "Failed to get valid scores after retries")


def judge_caller(spec: Any, *, max_tokens: int | None = None) -> Caller:
    """An async caller for ``spec`` (a ModelSpec, with its own ``api_base``) through the simulate
    providers (litellm, imported lazily; the API key comes from keyring via :mod:`workbench.secrets`).
    No answer limit is sent unless ``max_tokens`` or ``spec.max_tokens`` sets one (the benchmark sends
    none)."""
    limit = max_tokens if max_tokens is not None else getattr(spec, "max_tokens", None)

    async def call(prompt: str) -> str:
        from workbench.simulate.providers import complete

        res = await complete(spec, prompt, max_tokens=limit)
        return res.text

    return call
