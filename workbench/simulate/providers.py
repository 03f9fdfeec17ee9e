"""Model calls through litellm (docs/benchmark.md#answer-parsing). Layer: simulate (pure + asyncio; no Qt).

* :func:`complete` makes one chat completion (``litellm.acompletion``; litellm imported lazily with
  the local cost map), retrying with exponential backoff ONLY for rate-limit (429), timeout and 5xx
  errors; a server that cannot be reached at all (connection refused, DNS) fails fast after
  ``RetryPolicy.connection_retries`` quick retries. Authentication, bad-request, not-found and
  context-window errors raise :class:`ProviderError` at once, in plain words.
* :func:`predict` asks one question: up to 6 attempts for binary and 5 for continuous/text questions
  when the answer cannot be parsed; a question that still fails is a ``Prediction`` with
  ``parse_ok=False`` and the error text, never dropped.

The API key (:mod:`workbench.simulate.keys`: the keyring, or the provider's environment variable)
is passed as ``api_key=``; it never appears in a message, an exception, a log line or the cache.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from workbench import secrets
from workbench.simulate.dropped import report_dropped
from workbench.simulate.endpoints import effective_endpoint
from workbench.simulate.keys import NO_KEY_PLACEHOLDER, call_key, where_to_set
from workbench.simulate.parsing import BENCHMARK, LENIENT, parse_answer
from workbench.simulate.provider_error import ProviderError
from workbench.simulate.types import ModelSpec, Prediction

log = logging.getLogger(__name__)

#: The benchmark's answer token limits (docs/benchmark.md#answer-parsing): binary direct, binary
#: logprobs, continuous and text; with thinking turned on it allows binary answers 4096 tokens and
#: leaves the others unlimited.
MAX_TOKENS_BINARY, MAX_TOKENS_LOGPROBS, MAX_TOKENS_OTHER = 50, 200, 200
MAX_TOKENS_THINKING_BINARY = 4096
TOP_LOGPROBS = 5
_REASONING_MARKERS = ("gpt-5", "gpt5", "o1", "o3", "reasoning")


@dataclass(frozen=True)
class RetryPolicy:
    """How model calls are retried: transient errors with exponential backoff (seconds), unparseable
    answers re-asked (the benchmark's attempt counts), unreachable servers only a few quick times."""

    max_retries: int = 4            # retries after the first attempt, transient errors only
    base_delay: float = 1.0         # seconds; doubles each retry
    max_delay: float = 30.0
    binary_attempts: int = 6        # attempts when the answer cannot be parsed (the benchmark's)
    other_attempts: int = 5
    invalid_delay: float = 0.0      # pause between attempts after an unparseable answer
    connection_retries: int = 2     # a server that cannot be reached (refused, no route, DNS) gets
    connection_delay: float = 0.2   # only a few quick retries (0.2 s, 0.4 s), never the long backoff


@dataclass
class CallResult:
    """One model reply: text, top log-probabilities (when asked), token counts, cost (USD) and retries."""

    text: str
    top_logprobs: list[tuple[str, float | None]] | None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float | None = None
    retries: int = 0
    server: str = ""            # which server of a pool answered (shown URL); "" for one api_base


def is_reasoning_model(model: str) -> bool:
    """Whether ``model`` is a reasoning model (no temperature or log-probabilities sent to it)."""
    name = model.rsplit("/", 1)[-1].lower()
    return any(m in name for m in _REASONING_MARKERS)


def default_max_tokens(kind: str, use_logprobs: bool, thinking: bool = False) -> int | None:
    """The benchmark's answer limit for a question kind (None = no limit sent)."""
    if thinking:
        return MAX_TOKENS_THINKING_BINARY if kind == "binary" else None
    if kind == "binary":
        return MAX_TOKENS_LOGPROBS if use_logprobs else MAX_TOKENS_BINARY
    return MAX_TOKENS_OTHER


def _litellm():
    """litellm, imported and configured: key redaction in its logs, its loggers at WARNING, no
    debug banner, and the per-call work nobody here reads switched off
    (:mod:`workbench.simulate.litellm_tuning`)."""
    from workbench.simulate import litellm_tuning

    if _configured and litellm_tuning.installed() \
            and getattr(logging.getLogRecordFactory(), "workbench_redacts", False):
        return _configured[0]           # once per process, not per call (11 us a call)
    from workbench.simulate.tokens import import_litellm

    litellm = import_litellm()
    secrets.install_log_redaction()
    litellm.suppress_debug_info = True      # no "Give Feedback" banner with the raw error on stdout
    for name in ("LiteLLM", "LiteLLM Router", "LiteLLM Proxy", "litellm", "httpx", "openai"):
        lg = logging.getLogger(name)
        if lg.level == logging.NOTSET or lg.level < logging.WARNING:
            lg.setLevel(logging.WARNING)
    litellm_tuning.install(litellm)
    _configured[:] = [litellm]
    return litellm


_configured: list[Any] = []     # litellm once configured by _litellm()


def warm_up() -> None:
    """Import and configure litellm now (the GUI does it on a background thread after its first
    paint, and its standby process first thing, so that the first model call does not wait seconds
    for the import), then make one call that never leaves the process (litellm's ``mock_response``):
    litellm imports more of itself on its first call (1.4 s of CPU here), which is then done too, as
    are finding the platform the first request names in its headers and building the types of the
    OpenAI client's answers."""
    import platform

    litellm = _litellm()
    try:
        litellm.completion(model="openai/warm-up", messages=[{"role": "user", "content": "warm-up"}],
                           mock_response="warm-up", api_key="warm-up")
    except Exception:  # noqa: BLE001 - a warm-up that fails leaves that work to the first call
        log.debug("litellm warm-up call failed", exc_info=True)
    platform.platform()     # the OpenAI client's request headers name it; found once, by a subprocess
    try:                    # the OpenAI client's answer types are built on their first answer (0.7 s)
        from openai.types.chat import ChatCompletion

        ChatCompletion.model_validate(_WARM_UP_ANSWER)
    except Exception:  # noqa: BLE001 - then the first answer builds them
        log.debug("building the answer types failed", exc_info=True)


#: An answer of the OpenAI chat-completion shape, validated once by :func:`warm_up`.
_WARM_UP_ANSWER = {"id": "warm-up", "object": "chat.completion", "created": 0, "model": "warm-up",
                   "choices": [{"index": 0, "finish_reason": "stop", "logprobs": None,
                                "message": {"role": "assistant", "content": "warm-up"}}],
                   "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}


def _redact(text: str, key: str | None) -> str:
    """``text`` without the key used for this call or any other secret the process can see
    (:func:`workbench.secrets.redact`), cut to 300 characters."""
    text = str(text)
    if key and key != NO_KEY_PLACEHOLDER:
        text = text.replace(key, secrets.REDACTED)
    return secrets.redact(text)[:300]


def _causes(exc: BaseException) -> list[BaseException]:
    """``exc`` and the exceptions it was raised from or during (litellm hides the root cause of a
    connection error in the chain: httpx/aiohttp -> socket error)."""
    out: list[BaseException] = []
    e: BaseException | None = exc
    while e is not None and len(out) < 16 and e not in out:
        out.append(e)
        e = e.__cause__ or e.__context__
    return out


def _local_cause(exc: BaseException) -> str | None:
    """dns | refused | unreachable | descriptors when the failure's root is local and certain."""
    import errno
    import socket

    for e in _causes(exc):
        name = type(e).__name__
        code = getattr(e, "errno", None)
        text = str(e).lower()
        if isinstance(e, socket.gaierror) or "DNSError" in name or "name or service not known" in text \
                or "temporary failure in name resolution" in text or "nodename nor servname" in text:
            return "dns"
        if code in (errno.EMFILE, errno.ENFILE) or "too many open files" in text:
            return "descriptors"
        if isinstance(e, ConnectionRefusedError) or code == errno.ECONNREFUSED:
            return "refused"
        if code in (errno.EHOSTUNREACH, errno.ENETUNREACH) or "no route to host" in text \
                or "network is unreachable" in text:
            return "unreachable"
    return None


def classify(exc: BaseException, spec: ModelSpec, key: str | None) -> ProviderError:
    """Map a litellm/openai/httpx exception to a plain-words ProviderError naming the cause: no or
    rejected key (and where to set it), host name not resolved, connection refused, host
    unreachable, out of file descriptors, model not found, context too long, rate limit, timeout,
    server error. Only rate limits, timeouts, server errors and dropped connections are retryable."""
    litellm = _litellm()
    model = spec.model
    provider = secrets.provider_for_model(model)
    status = getattr(exc, "status_code", None)
    detail = _redact(getattr(exc, "message", None) or str(exc), key)
    where = effective_endpoint(spec)
    low = detail.lower()
    if isinstance(exc, (litellm.Timeout, asyncio.TimeoutError, TimeoutError)):
        return ProviderError("timeout", f"Model {model} did not answer within {spec.timeout:g} s.",
                             retryable=True)
    local = _local_cause(exc)
    if local == "dns":
        return ProviderError("dns", f"The host name of {where} could not be resolved (DNS) for model "
                             f"{model}: check the API base URL and the network connection.")
    if local == "refused":
        return ProviderError("connection", f"Could not connect to {where} for model {model}: connection "
                             "refused. Is the server running and the API base URL right?")
    if local == "unreachable":
        return ProviderError("connection", f"Could not connect to {where} for model {model}: the host "
                             "cannot be reached (no route). Check the network and the API base URL.")
    if local == "descriptors":
        return ProviderError("resources", f"Ran out of file descriptors (too many open files) calling "
                             f"model {model}: lower the concurrency or raise the limit (ulimit -n).")
    if any(m in low for m in ("expecting", "json", "decode", "not a list", "unexpected shape")):
        return ProviderError("malformed", f"Model {model} sent an answer that is not a valid "
                             "chat completion.", status=status)
    if isinstance(exc, litellm.ContextWindowExceededError) or any(
            m in low for m in ("context length", "context window", "maximum context", "too many tokens",
                               "prompt is too long")):
        return ProviderError("context_window", f"The prompt is longer than model {model}'s context window; "
                             "lower the history budget (max history tokens).", status=status)
    if isinstance(exc, litellm.AuthenticationError) or status == 401:
        return ProviderError("auth", f"The provider rejected the API key for model {model} (HTTP 401). "
                             f"Check the key for {provider} in {where_to_set(provider)}.", status=401)
    if isinstance(exc, litellm.PermissionDeniedError) or status == 403:
        return ProviderError("auth", f"The provider refused access to model {model} with this API key "
                             f"(HTTP 403). Check the key for {provider} in {where_to_set(provider)}.",
                             status=403)
    if isinstance(exc, litellm.NotFoundError) or status == 404:
        return ProviderError("not_found", f"Model {model} was not found at {where} (HTTP 404): check the "
                             "model name and the API base URL.", status=404)
    if isinstance(exc, litellm.RateLimitError) or status == 429:
        return ProviderError("rate_limit", f"Model {model} is rate-limited (HTTP 429).", retryable=True,
                             status=429)
    if isinstance(exc, (litellm.BadRequestError, litellm.UnprocessableEntityError)) or status in (400, 422):
        return ProviderError("bad_request", f"The provider rejected the request to model {model} as "
                             f"invalid: {detail}", status=status)
    if "connection error" in low or "connecterror" in low or "connection refused" in low \
            or isinstance(exc, litellm.APIConnectionError):
        return ProviderError("connection", f"Could not connect to {where} for model {model}: the "
                             "connection failed or was dropped.", retryable=True)
    if isinstance(exc, (litellm.InternalServerError, litellm.ServiceUnavailableError,
                        litellm.BadGatewayError)) or (isinstance(status, int) and status >= 500):
        return ProviderError("server", f"The provider had a server error for model {model} "
                             f"(HTTP {status or '5xx'}).", retryable=True, status=status)
    if isinstance(exc, (ConnectionError, OSError)):
        return ProviderError("connection", f"Could not connect to {where} for model {model}: "
                             f"{type(exc).__name__}.", retryable=True)
    if isinstance(exc, (ValueError, KeyError, TypeError, AttributeError)):
        return ProviderError("malformed", f"Model {model} sent an answer in an unexpected shape.")
    return ProviderError("other", f"The call to model {model} failed: {type(exc).__name__}: {detail}",
                         status=status)


def _get(obj: Any, name: str, default: Any = None) -> Any:
    if obj is None:
        return default
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


@lru_cache(maxsize=64)
def token_prices(model: str) -> tuple[float, float] | None:
    """(USD per input token, USD per output token) of ``model`` from litellm's local cost map, looked
    up once per model name (with and without the provider prefix); None when litellm does not know
    the model (local servers) or lists no price."""
    litellm = _litellm()
    table = getattr(litellm, "model_cost", None) or {}
    for name in (model, model.split("/", 1)[-1]):
        info = table.get(name)
        if isinstance(info, dict):
            try:
                cin = float(info.get("input_cost_per_token") or 0.0)
                cout = float(info.get("output_cost_per_token") or 0.0)
            except (TypeError, ValueError):
                return None
            return (cin, cout) if cin > 0 or cout > 0 else None
    return None


def response_cost(response: Any, model: str, prompt_tokens: int, completion_tokens: int) -> float | None:
    """USD cost of one call: the cost litellm already computed for this response (its
    ``_hidden_params["response_cost"]``, the same calculation as ``litellm.completion_cost``), else
    tokens x the model's per-token prices; None when unknown or zero. Never a second full cost
    calculation per call (that walks litellm's model-name generalisations for unknown models)."""
    hidden = getattr(response, "_hidden_params", None)
    got = hidden.get("response_cost") if isinstance(hidden, dict) else getattr(hidden, "response_cost", None)
    if isinstance(got, (int, float)) and not isinstance(got, bool) and got == got:
        return float(got) if got > 0 else None
    prices = token_prices(model)
    if prices is None:
        return None
    cost = prompt_tokens * prices[0] + completion_tokens * prices[1]
    return cost if cost > 0 else None


def _first_token_top(response: Any) -> list[tuple[str, float | None]] | None:
    try:
        choice = _get(response, "choices")[0]
        lp = _get(choice, "logprobs")
        content = _get(lp, "content")
        if not content:
            return None
        top = _get(content[0], "top_logprobs") or []
        out: list[tuple[str, float | None]] = []
        for t in top:
            lp = _get(t, "logprob")
            out.append((str(_get(t, "token")), None if lp is None else float(lp)))
        return out
    except (IndexError, TypeError, ValueError):
        return None


def _request(spec: ModelSpec, text: str, key: str | None, max_tokens: int | None, logprobs: bool) -> dict[str, Any]:
    """The ``litellm.acompletion`` arguments of one call (no retries of litellm's own)."""
    kwargs: dict[str, Any] = {"model": spec.model, "messages": [{"role": "user", "content": text}],
                              "temperature": spec.temperature, "timeout": spec.timeout,
                              "max_retries": 0, "num_retries": 0, "drop_params": True}
    if spec.api_base:
        kwargs["api_base"] = spec.api_base
    if key:
        kwargs["api_key"] = key
    if is_reasoning_model(spec.model):
        if max_tokens is not None:
            kwargs["max_completion_tokens"] = max_tokens
        kwargs["reasoning_effort"] = "minimal"
    elif max_tokens is not None:
        kwargs["max_tokens"] = max_tokens
    if logprobs:
        kwargs["logprobs"] = True
        kwargs["top_logprobs"] = TOP_LOGPROBS
    if spec.extra_body:
        kwargs["extra_body"] = dict(spec.extra_body)
    return kwargs


async def complete(spec: ModelSpec, text: str, *, max_tokens: int | None, logprobs: bool = False,
                   policy: RetryPolicy | None = None, api_key: str | None = None) -> CallResult:
    """One chat completion with transient-error retries (``max_tokens`` None: no answer limit is
    sent; ``spec.extra_body`` goes into the request body as it is). Raises ProviderError."""
    from workbench.simulate.tokens import ensure_litellm

    policy = policy or RetryPolicy()
    key = call_key(spec, api_key)
    await ensure_litellm()          # a caller that did not (the judge) never imports it on the loop
    litellm = _litellm()
    kwargs = _request(spec, text, key, max_tokens, logprobs)
    report_dropped(spec, kwargs)
    retries = 0
    server = ""
    pool = None
    if spec.servers:                # several servers: the pool picks one per attempt, fails over
        from workbench.simulate.servers import pool_for

        pool = pool_for(spec)
        kwargs.pop("api_base", None)
    while True:
        try:
            if pool is not None:
                response, server = await pool.acompletion(kwargs, retries)
            else:
                response = await litellm.acompletion(**kwargs)
            try:
                choice = _get(response, "choices")[0]
                content = _get(_get(choice, "message"), "content")
            except (IndexError, TypeError) as exc:
                raise ValueError("no choices") from exc
            if content is None:
                content = ""
            usage = _get(response, "usage")
            p_tok = int(_get(usage, "prompt_tokens", 0) or 0)
            c_tok = int(_get(usage, "completion_tokens", 0) or 0)
            return CallResult(text=str(content), top_logprobs=_first_token_top(response) if logprobs else None,
                              prompt_tokens=p_tok, completion_tokens=c_tok,
                              cost=response_cost(response, spec.model, p_tok, c_tok), retries=retries,
                              server=server)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - every failure becomes a ProviderError
            err = classify(exc, spec, key)
            connection = err.kind == "connection"
            limit = min(policy.max_retries, policy.connection_retries) if connection else policy.max_retries
            if pool is not None:    # at once to another server (one refusing or unresolved too)
                err.retryable = err.retryable or err.kind in ("connection", "dns")
                limit = pool.retries
            if not err.retryable or retries >= limit:
                if err.retryable:
                    err.message += f" Gave up after {retries + 1} attempts."
                    if connection and "Is the server running" not in err.message:
                        err.message += " Is the server running and the API base URL right?"
                err.retries = retries
                log.info("model call failed: %s", err.message)
                raise err from None
            base = policy.connection_delay if connection else policy.base_delay
            delay = 0.0 if pool is not None else min(policy.max_delay, base * (2 ** retries))
            retries += 1
            log.info("retrying model %s in %.2f s (%s)", spec.model, delay, err.kind)
            if delay:
                await asyncio.sleep(delay)


async def predict(spec: ModelSpec, prompt_text: str, field_name: str, kind: str, *,
                  policy: RetryPolicy | None = None, api_key: str | None = None) -> Prediction:
    """Ask one question; parse it as the benchmark does; never raises for call or parse failures. The
    answer's raw text, its text value and the error carry no secret (:func:`workbench.secrets.redact`)."""
    p = await _on_standby("predict", spec, prompt_text, field_name, kind, policy=policy, api_key=api_key)
    if p is None:
        if not spec.is_baseline:
            from workbench.simulate.tokens import ensure_litellm

            await ensure_litellm()          # never block the event loop on the (slow) import
        p = await _predict(spec, prompt_text, field_name, kind, policy=policy, api_key=api_key)
    changes: dict[str, Any] = {}
    for name in ("raw_output", "error", "predicted_value", "predicted_label"):
        value = getattr(p, name)
        if isinstance(value, str) and value:
            clean = secrets.redact(value)
            if clean != value:
                changes[name] = clean
    return replace(p, **changes) if changes else p


@lru_cache(maxsize=256)
def context_window(model: str) -> int | None:
    """The input context window (tokens) litellm's model map gives ``model``, looked up once per
    model name; None when litellm does not know the model (local servers) or gives no window."""
    litellm = _litellm()
    try:
        info = litellm.get_model_info(model)
    except Exception:  # noqa: BLE001 - a model litellm does not know: its server will say
        return None
    window = info.get("max_input_tokens") or info.get("max_tokens")
    return window if isinstance(window, int) and window > 0 else None


def context_overflow(spec: ModelSpec, prompt_text: str, answer_tokens: int | None) -> str:
    """Plain words when ``prompt_text`` plus the answer cannot fit ``spec.model``'s context window as
    litellm's model map knows it; "" when it fits or the window is unknown (local servers). The exact
    count (litellm's counter for the model) is taken only when the cheap estimate comes near."""
    from workbench.simulate.tokens import approx_tokens

    window = context_window(spec.model)
    if window is None:
        return ""
    litellm = _litellm()
    room = window - (answer_tokens or 0)
    if approx_tokens(prompt_text) < 0.5 * room:
        return ""
    try:
        n = int(litellm.token_counter(model=spec.model, text=prompt_text))
    except Exception:  # noqa: BLE001 - no counter for this model: keep the estimate
        n = approx_tokens(prompt_text)
    if n <= room:
        return ""
    return (f"The prompt has {n:,} tokens, more than model {spec.model}'s context window of {window:,} "
            f"less {answer_tokens or 0} for the answer; it was not sent. Lower the token budget.")


async def _predict(spec: ModelSpec, prompt_text: str, field_name: str, kind: str, *,
                   policy: RetryPolicy | None, api_key: str | None) -> Prediction:
    policy = policy or RetryPolicy()
    use_lp = spec.use_logprobs and kind == "binary" and not spec.thinking  # thinking: no logprobs
    max_tokens = spec.max_tokens or default_max_tokens(kind, use_lp, spec.thinking)
    too_long = context_overflow(spec, prompt_text, max_tokens)
    if too_long:                     # never send a request longer than the model's context
        return Prediction(model=spec.model, field=field_name, predicted_value=None, predicted_label=None,
                          raw_output="", parse_ok=False, prediction_method=_method(kind, use_lp),
                          error=too_long, error_kind="context_window")
    options = LENIENT if spec.lenient_parsing else BENCHMARK
    attempts = policy.binary_attempts if kind == "binary" else policy.other_attempts
    p_tok = c_tok = 0
    cost: float | None = None
    retry_total = 0
    server = ""                      # the pool's server that gave the last answer
    last_raw, last_error = "", ""
    for attempt in range(max(1, attempts)):
        try:
            res = await complete(spec, prompt_text, max_tokens=max_tokens, logprobs=use_lp,
                                 policy=policy, api_key=api_key)
        except ProviderError as err:
            if err.kind == "malformed" and attempt + 1 < attempts:
                retry_total += err.retries
                last_error = err.message
                continue
            return Prediction(model=spec.model, field=field_name, predicted_value=None, predicted_label=None,
                              raw_output=last_raw, parse_ok=False, prediction_method=_method(kind, use_lp),
                              prompt_tokens=p_tok, completion_tokens=c_tok, cost=cost,
                              error=err.message, retry_count=retry_total + attempt + err.retries,
                              error_kind=err.kind)
        retry_total += res.retries
        server = res.server
        p_tok += res.prompt_tokens
        c_tok += res.completion_tokens
        if res.cost is not None:
            cost = (cost or 0.0) + res.cost
        parsed = parse_answer(kind, res.text, res.top_logprobs, use_lp, options)
        last_raw = res.text
        if parsed.ok:
            ly, ln = parsed.logprob_yes, parsed.logprob_no
            return Prediction(model=spec.model, field=field_name, predicted_value=parsed.value,
                              predicted_label=parsed.label, raw_output=res.text, parse_ok=True,
                              prediction_method=parsed.method, prompt_tokens=p_tok, completion_tokens=c_tok,
                              cost=cost, retry_count=retry_total + attempt, logprob_yes=ly, logprob_no=ln,
                              server=server)
        last_error = parsed.error
        if policy.invalid_delay > 0 and attempt + 1 < attempts:
            await asyncio.sleep(policy.invalid_delay)
    return Prediction(model=spec.model, field=field_name, predicted_value=None, predicted_label=None,
                      raw_output=last_raw, parse_ok=False, prediction_method=_method(kind, use_lp),
                      prompt_tokens=p_tok, completion_tokens=c_tok, cost=cost,
                      error=f"Could not parse the answer after {attempts} attempts: {last_error}",
                      error_kind="parse", server=server,
                      retry_count=retry_total + attempts - 1)


def _method(kind: str, use_lp: bool) -> str:
    if kind == "binary":
        return "logprobs" if use_lp else "direct_mapping"
    return kind


async def summarize(spec: ModelSpec, request_text: str, *, max_tokens: int = 400,
                    policy: RetryPolicy | None = None, api_key: str | None = None) -> CallResult:
    """The summary-memory call (plain text answer, think blocks removed by the caller)."""
    res = await _on_standby("summarize", spec, request_text, max_tokens=max_tokens, policy=policy,
                            api_key=api_key)
    if res is not None:
        return res
    return await complete(spec, request_text, max_tokens=max_tokens, policy=policy, api_key=api_key)


async def _on_standby(op: str, spec: ModelSpec, *args: Any, api_key: str | None, **kwargs: Any) -> Any:
    """``op``'s result made by the standby process (:mod:`workbench.simulate.standby`) while
    litellm is still loading here, with the key this call would send; None: make the call here."""
    from workbench.simulate import standby

    if spec.is_baseline or not standby.running():
        return None
    try:
        key = call_key(spec, api_key)
    except ProviderError:
        return None                 # the call here says so
    res = await standby.call(op, spec, *args, api_key=key, **kwargs)
    return None if res is standby.NOT_SERVED else res
