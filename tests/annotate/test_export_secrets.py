"""Keys pasted into notes (and echoed anywhere in a case) never reach an export, whatever their
shape: canary keys in the environment (the variables litellm reads, and any key-named one) and in
the keyring, through export_cases and through the CLI, in all four formats."""

from __future__ import annotations

from dataclasses import replace

import polars as pl
import pytest

from workbench.annotate.export import export_cases
from workbench.annotate.model import CasePrediction, Turn
from workbench.annotate.redact import Redactor
from workbench.annotate.spans import make_span
from workbench.annotate.store import CaseStore
from workbench.cli import main

ENV_CANARIES = {
    "OPENAI_API_KEY": "canary.openai.key.7f3e9d",             # no known key shape
    "HF_TOKEN": "hf_CanaryCanaryCanary12345",
    "AZURE_API_KEY": "3f9a0c1e2b4d6f8a0c1e2b4d6f8a0c1e",       # bare hex
    "ACME_LLM_API_KEY": "acme/Canary+Key==",                    # slash, plus, padding
}
KEYRING_CANARIES = {"openai": "kr-canary-opn-44a1b2c3", "dashscope": "DSCANARY9988776655",
                    "anthropic": "sk-ant-api03-CANARYcanaryCANARY"}
ALL = [*ENV_CANARIES.values(), *KEYRING_CANARIES.values()]


def _text(path) -> str:
    if path.suffix == ".parquet":
        return repr(pl.read_parquet(path).to_dicts())
    return path.read_bytes().decode("utf-8-sig")


@pytest.fixture
def canaries(monkeypatch, memory_keyring):
    from workbench import secrets

    secrets._reset_for_tests()
    for name, value in ENV_CANARIES.items():
        monkeypatch.setenv(name, value)
    for provider, value in KEYRING_CANARIES.items():
        secrets.set_key(provider, value)
    yield
    secrets._reset_for_tests()


def _leaky(sample_cases):
    pasted = " | ".join(ALL)
    turn = f"my key is {KEYRING_CANARIES['openai']} ok"
    case = replace(sample_cases[1], note=f"oops, pasted: {pasted}", prompt=f"Authorization: Bearer {ALL[0]}",
                   transcript=(Turn("user", turn), Turn("assistant", ALL[2])),
                   predictions=(CasePrediction("gpt-4o", "next_user_message", ALL[3], ALL[3],
                                               f"error 401: invalid key {ALL[1]}", True),),
                   event={"type": "Customer Service", "timestamp": "2025-09-04 12:00:00",
                          "context": {"api_key": ALL[4], ALL[5]: "as a key"}})
    start = turn.index(KEYRING_CANARIES["openai"])
    span = make_span(case, "turn:0", start, start + len(KEYRING_CANARIES["openai"]), "other", annotator="ana")
    return case, {case.id: [span]}


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet", "html"])
def test_no_canary_in_any_export(tmp_path, sample_cases, canaries, fmt):
    case, spans = _leaky(sample_cases)
    for redactor in (None, Redactor(pseudonymise=True, coarsen="day")):
        out = export_cases([case, *sample_cases[2:]], fmt, tmp_path / f"x.{fmt}", redactor=redactor,
                           spans=spans, title=f"report {ALL[6]}")
        text = _text(out)
        for canary in ALL:
            assert canary not in text, (fmt, canary)
        assert "[redacted secret]" in text


def test_no_canary_through_the_cli(tmp_path, sample_cases, canaries, capsys):
    case, spans = _leaky(sample_cases)
    db = tmp_path / "cases.db"
    with CaseStore(db) as store:
        store.add_case(case)
        store.add_span(spans[case.id][0])
    for fmt in ("jsonl", "csv", "parquet", "html"):
        out = tmp_path / f"c.{fmt}"
        assert main(["cases", "export", str(db), "--format", fmt, "--out", str(out)]) == 0
        text = _text(out)
        for canary in ALL:
            assert canary not in text, (fmt, canary)
    capsys.readouterr()
    for argv in (["cases", "list", str(db), "--json"], ["cases", "list", str(db)]):
        assert main(argv) == 0
        printed = capsys.readouterr()
        assert not any(c in printed.out + printed.err for c in ALL)
