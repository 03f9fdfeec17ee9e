"""Simulate: asking a model to be the user at one event. Questions, event text and prompts, memory
strategies, token counting, model calls (litellm, imported lazily), answer parsing, baselines and the
per-event runner. Layer: simulate (pure + asyncio; no Qt)."""
