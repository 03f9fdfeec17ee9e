"""Where a model call goes: the effective endpoint of a :class:`ModelSpec`. Layer: simulate (pure).

litellm sends a call to ``api_base`` when given; otherwise to a base URL from the environment
(``OPENAI_BASE_URL``/``OPENAI_API_BASE`` for OpenAI models, ``<PROVIDER>_API_BASE`` or
``<PROVIDER>_BASE_URL`` for the others, ``AZURE_OPENAI_ENDPOINT`` for Azure) or from ``litellm.api_base``;
otherwise to the provider's own default. The response cache keys on this, so answers of one server
are never served as another's, however the server was chosen.
"""

from __future__ import annotations

import os
import sys

from workbench.secrets import provider_for_model
from workbench.simulate.types import ModelSpec

__all__ = ["base_url_variables", "endpoint_from_environment", "effective_endpoint"]

_EXTRA = {"openai": ("OPENAI_BASE_URL", "OPENAI_API_BASE"),
          "azure": ("AZURE_API_BASE", "AZURE_OPENAI_ENDPOINT"),
          "together_ai": ("TOGETHERAI_API_BASE", "TOGETHER_AI_API_BASE"),
          "hosted_vllm": ("HOSTED_VLLM_API_BASE",),
          "ollama": ("OLLAMA_API_BASE", "OLLAMA_HOST")}


def base_url_variables(provider: str) -> tuple[str, ...]:
    """The environment variables that can set ``provider``'s base URL, in litellm's order."""
    p = provider.upper().replace("-", "_")
    names = list(_EXTRA.get(provider, ()))
    names += [n for n in (f"{p}_API_BASE", f"{p}_BASE_URL") if n not in names]
    return tuple(names)


def endpoint_from_environment(spec: ModelSpec) -> str | None:
    """The base URL(s) the environment (or ``litellm.api_base``) gives a call of ``spec``, as
    ``NAME=value`` pairs; None when ``spec.api_base`` (or ``spec.servers``) is set or nothing overrides the provider's
    default endpoint."""
    if spec.api_base or spec.servers or spec.is_baseline:
        return None
    provider = provider_for_model(spec.model)
    found = [f"{n}={os.environ[n]}" for n in base_url_variables(provider) if os.environ.get(n)]
    litellm = sys.modules.get("litellm")
    base = getattr(litellm, "api_base", None) if litellm is not None else None
    if isinstance(base, str) and base:
        found.append(f"litellm.api_base={base}")
    return ";".join(found) or None


def effective_endpoint(spec: ModelSpec) -> str:
    """Where a call of ``spec`` goes, in words for messages: the API base, the servers of a pool
    (credentials redacted), the environment's base URL, or ``the <provider> default endpoint``."""
    if spec.api_base:
        return spec.api_base
    if spec.servers:
        return "servers " + ", ".join(s.shown for s in spec.servers)
    env = endpoint_from_environment(spec)
    if env is not None:
        return env.split(";")[0].split("=", 1)[1]
    return f"the {provider_for_model(spec.model)} default endpoint"
