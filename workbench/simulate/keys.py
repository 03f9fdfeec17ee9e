"""Which API key a model call sends, and the error when a hosted provider has none. Layer: simulate
(pure; no Qt).

The key comes from :mod:`workbench.secrets` (the keyring) or the provider's environment variable;
it is passed to the call and never appears in a message, an exception or a log line.
"""

from __future__ import annotations

from workbench import secrets
from workbench.simulate.endpoints import endpoint_from_environment
from workbench.simulate.provider_error import ProviderError
from workbench.simulate.types import ModelSpec

__all__ = ["KEYLESS_PROVIDERS", "NO_KEY_PLACEHOLDER", "api_key_for", "call_key", "check_key",
           "where_to_set"]

NO_KEY_PLACEHOLDER = "no-key"   # sent to keyless local servers (vLLM, Ollama) that still want a header


def where_to_set(provider: str) -> str:
    """Where the user sets the API key of ``provider``, in plain words (the dialog, and its environment
    variable when it has one)."""
    env = secrets.key_variables(provider)
    return ("the API keys dialog (API keys… in the Predict panel; kept in the system keyring)"
            + (f" or the environment variable {env[0]}" if env else ""))


def api_key_for(spec: ModelSpec) -> str | None:
    """The key sent with a call of ``spec``: the stored key of its provider; for a server chosen by
    ``api_base`` (or a base URL in the environment) without one, a placeholder (keyless local
    servers still want a header); None lets litellm read the provider's environment variable."""
    provider = secrets.provider_for_model(spec.model)
    key = secrets.get_key(provider)
    if key is None and (spec.api_base or spec.servers or endpoint_from_environment(spec)):
        if secrets.env_key(provider) is None:
            return NO_KEY_PLACEHOLDER
    return key


def check_key(spec: ModelSpec) -> None:
    """Raise ProviderError("no_key") at once, before any request, when a call of ``spec`` goes to a
    hosted provider's own endpoint and no key is stored or in the environment for that provider."""
    provider = secrets.provider_for_model(spec.model)
    if spec.is_baseline or spec.api_base or spec.servers or endpoint_from_environment(spec) \
            or provider in KEYLESS_PROVIDERS:
        return
    if secrets.get_key(provider) is None and secrets.env_key(provider) is None:
        raise ProviderError("no_key", f"No API key is set for provider {provider} (model {spec.model}): "
                            f"add it in {where_to_set(provider)}.")


#: Providers that authenticate without an API key (local servers, cloud credentials).
KEYLESS_PROVIDERS = frozenset({"ollama", "ollama_chat", "hosted_vllm", "lm_studio", "llamafile", "vllm",
                               "vertex_ai", "vertex_ai_beta", "bedrock", "sagemaker", "xinference",
                               "openai_like", "custom", "custom_openai", "triton"})


def call_key(spec: ModelSpec, api_key: str | None = None) -> str | None:
    """The key a call of ``spec`` sends: ``api_key`` when the caller gives one; else the one
    :func:`api_key_for` finds, after :func:`check_key` (ProviderError("no_key") at once, before any
    request, when a hosted provider has none)."""
    if api_key is not None:
        return api_key
    check_key(spec)
    return api_key_for(spec)
