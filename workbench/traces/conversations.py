"""Import dialogue sets of real and simulated users (conversation JSONL). Layer: traces (pure; no Qt).

One JSON object per line, one conversation each (``docs/formats.md`` describes it)::

    {"id": "c-17", "user_side": "simulated", "task": "Return a blender bought last week",
     "persona": "Retired teacher, patient, not good with apps", "user_id": "u-3",
     "timestamp": "2025-06-01T10:00:00Z", "model": "gpt-4o-mini",
     "turns": [{"role": "user", "content": "Hello, ...", "metadata": {...}},
               {"role": "assistant", "content": "..."}]}

Required: ``id`` and ``turns`` (``role``/``content``, or ShareGPT's ``from``/``value``). Whether the
user side is real or simulated comes from ``user_side`` (``real``/``simulated``) or a boolean
``simulated``. Optional: ``task``, ``persona`` (text or an object), ``user_id`` (conversations of one
person together; default: each conversation is its own user), ``timestamp`` (ISO), ``model``,
``source``, ``metadata``.

Each conversation becomes one canonical event on the customer-service lane whose action is a
``dialogue`` with the turns, exactly as an OmniBehavior customer-service dialogue, so the transcript
views, the utopian-marker analyses and annotation read it unchanged. ``category`` says ``real user``
or ``simulated user``; the persona becomes the user's profile. Problems are warnings naming the file
(and line), the user and the field; a file with no readable conversation raises :class:`TraceError`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import polars as pl

from workbench.traces import schema
from workbench.traces.errors import IssueLog, TraceError, TraceIssue
from workbench.traces.traceset import TraceSet

USER_SIDES = ("real", "simulated")
_ROLE_ALIASES = {"human": "user", "gpt": "assistant", "bot": "assistant", "agent": "assistant",
                 "model": "assistant", "customer": "user", "simulator": "user"}


class ConversationTraceSet(TraceSet):
    """A :class:`TraceSet` of conversations (one customer-service event each)."""

    kind = "conversations"


def looks_like_conversations(path: Path) -> bool:
    """True when the first non-empty line of a ``.jsonl`` file is an object with ``turns``
    (or ``conversations``/``messages``), i.e. not an OmniBehavior ``{user_id: {...}}`` line."""
    try:
        with open(path, "rb") as fh:
            for line in fh:
                if line.strip():
                    obj = orjson.loads(line.lstrip(b"\xef\xbb\xbf"))
                    return isinstance(obj, dict) and any(k in obj for k in ("turns", "conversations", "messages"))
    except (OSError, orjson.JSONDecodeError):
        return False
    return False


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return orjson.dumps(value).decode()


def _persona(value: Any) -> str:
    if isinstance(value, (dict, list)):
        from workbench.traces.opera import persona_text

        return persona_text(value)
    return _text(value).strip()


def _parse_ts(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        dt = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return dt.astimezone(UTC).replace(tzinfo=None) if dt.tzinfo is not None else dt


def _turns(raw: Any, file: str, user: str, index: int, issues: IssueLog) -> list[dict[str, Any]]:
    if not isinstance(raw, list):
        issues.add(TraceIssue(file, user, index, "turns", "a list of {role, content} turns",
                              f"found {type(raw).__name__}; conversation kept with no turns"))
        return []
    out = []
    for k, t in enumerate(raw):
        if not isinstance(t, dict):
            issues.add(TraceIssue(file, user, index, f"turns[{k}]", "a {role, content} object",
                                  "turn kept as text with role unknown"))
            out.append({"role": "unknown", "content": _text(t)})
            continue
        role = t.get("role", t.get("from"))
        content = t.get("content", t.get("value"))
        if not isinstance(role, str) or not role.strip():
            issues.add(TraceIssue(file, user, index, f"turns[{k}].role", "a role (user, assistant, ...)",
                                  "missing; kept as unknown"))
            role = "unknown"
        if not isinstance(content, str):
            issues.add(TraceIssue(file, user, index, f"turns[{k}].content", "text",
                                  f"found {type(content).__name__}; kept as its JSON text"))
        turn: dict[str, Any] = {"role": _ROLE_ALIASES.get(role.strip().lower(), role.strip()),
                                "content": _text(content)}
        if isinstance(t.get("metadata"), dict) and t["metadata"]:
            turn["metadata"] = t["metadata"]
        out.append(turn)
    return out


def load_conversations(path: str | Path) -> ConversationTraceSet:
    """Read a conversation JSONL file (see the module docstring)."""
    path = Path(path)
    file = str(path)
    issues = IssueLog()
    rows: list[dict[str, Any]] = []
    personas: dict[str, str] = {}
    counts: dict[str, int] = {}
    seen: set[str] = set()
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise TraceError(TraceIssue(file, expected="a readable conversation JSONL file",
                                    message=exc.strerror or str(exc))) from None
    for lineno, line in enumerate(data.splitlines(), 1):
        if lineno == 1:
            line = line.lstrip(b"\xef\xbb\xbf")
        if not line.strip():
            continue
        where = f"{file}:{lineno}"
        try:
            obj = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            issues.add(TraceIssue(where, expected="one JSON conversation object per line",
                                  message=f"{str(exc)[:120]}; line skipped"))
            continue
        if not isinstance(obj, dict):
            issues.add(TraceIssue(where, expected="one JSON conversation object per line",
                                  message=f"found {type(obj).__name__}; line skipped"))
            continue
        cid = obj.get("id", obj.get("conversation_id"))
        if cid is None or (isinstance(cid, str) and not cid.strip()):
            cid = f"line-{lineno}"
            issues.add(TraceIssue(where, field="id", expected="a conversation id",
                                  message=f"missing; called {cid}"))
        cid = str(cid)
        if cid in seen:
            issues.add(TraceIssue(where, field="id", expected="unique conversation ids",
                                  message=f"{cid} appears again; both kept"))
        seen.add(cid)
        user = str(obj.get("user_id") or cid)
        index = counts.get(user, 0)
        counts[user] = index + 1
        rows.append(_conversation_row(obj, cid, user, index, where, lineno, issues, personas))
    if not rows:
        found = issues.issues()
        raise TraceError(found[0] if found else TraceIssue(file, expected="at least one conversation",
                                                           message="the file is empty"))
    return _traceset(rows, personas, issues, path)


def _conversation_row(obj: dict[str, Any], cid: str, user: str, index: int, where: str, lineno: int,
                      issues: IssueLog, personas: dict[str, str]) -> dict[str, Any]:
    """The canonical row (a dict of columns) of one conversation object."""
    side = obj.get("user_side")
    if side is None and isinstance(obj.get("simulated"), bool):
        side = "simulated" if obj["simulated"] else "real"
    if side not in USER_SIDES:
        issues.add(TraceIssue(where, user, index, "user_side", "real or simulated",
                              f"found {side!r}; kept as unknown"))
        side = "unknown"
    turns = _turns(obj.get("turns", obj.get("conversations", obj.get("messages"))), where, user,
                   index, issues)
    persona = _persona(obj.get("persona"))
    if persona and user not in personas:
        personas[user] = persona
    task = _text(obj.get("task")).strip() or None
    ts_raw = obj.get("timestamp", obj.get("created_at"))
    ts = _parse_ts(ts_raw)
    if ts_raw is not None and ts is None:
        issues.add(TraceIssue(where, user, index, "timestamp", "an ISO time",
                              f"cannot parse {str(ts_raw)[:40]!r}; kept with no time"))
    ctx = {"conversation_id": cid, "user_side": side, "task": task, "persona": persona or None,
           "model": obj.get("model"), "source": obj.get("source"), "metadata": obj.get("metadata"),
           "line": lineno}
    first_user = next((t["content"] for t in turns if t["role"] == "user" and t["content"].strip()), "")
    return {"user_id": user, "event_index": index, "ts": ts,
            "ts_raw": None if ts_raw is None else str(ts_raw), "ts_date_only": False,
            "scenario": schema.SERVICE, "scenario_raw": "conversation", "has_context": True,
            "context": orjson.dumps({k: v for k, v in ctx.items() if v is not None}).decode(),
            "actions": orjson.dumps([{"type": "dialogue", "content": turns,
                                      "user_side": side}]).decode(),
            "action_types": ["dialogue"], "outcome": schema.OUTCOME_ENGAGE,
            "title": (task or first_user or cid)[:200],
            "category": f"{side} user" if side != "unknown" else None,
            "comment_count": sum(1 for t in turns if t["role"] == "user")}


def _traceset(rows: list[dict[str, Any]], personas: dict[str, str], issues: IssueLog,
              path: Path) -> ConversationTraceSet:
    base = pl.DataFrame(rows, schema={
        "user_id": pl.String, "event_index": pl.Int64, "ts": pl.Datetime("us"), "ts_raw": pl.String,
        "ts_date_only": pl.Boolean, "scenario": pl.String, "scenario_raw": pl.String,
        "has_context": pl.Boolean, "context": pl.String, "actions": pl.String,
        "action_types": pl.List(pl.String), "outcome": pl.Int8, "title": pl.String, "category": pl.String,
        "comment_count": pl.Int64})
    events = base.with_columns(
        watch_seconds=pl.lit(None, pl.Float64), like_count=pl.lit(0, pl.Int64),
        gift_amount=pl.lit(None, pl.Float64),
        **{schema.act_column(a): pl.lit(a == "dialogue") for a in schema.ACTION_TYPES},
    ).select([pl.col(c).cast(t) for c, t in schema.EVENT_SCHEMA.items()])
    ids = list(dict.fromkeys(events["user_id"].to_list()))
    stats = events.group_by("user_id").agg(pl.len().cast(pl.Int64).alias("event_count"),
                                           pl.col("ts").min().alias("first_ts"), pl.col("ts").max().alias("last_ts"))
    users = pl.DataFrame({"user_id": ids, "profile": [personas.get(u, "") for u in ids],
                          "source": [str(path)] * len(ids)},
                         schema={"user_id": pl.String, "profile": pl.String, "source": pl.String}).join(
        stats, on="user_id", how="left", maintain_order="left")
    users = users.select([pl.col(c).cast(t) for c, t in schema.USER_SCHEMA.items()])
    return ConversationTraceSet(events, users, issues.issues(), path)
