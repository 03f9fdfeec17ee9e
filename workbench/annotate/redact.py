"""What an export may reveal: pseudonymous user ids, coarse times, no secrets. Layer: annotate (pure).

A :class:`Redactor` rewrites a whole :class:`~workbench.annotate.model.Case` (every string inside
it, recursively: note, prompt, raw event payloads, neighbours, transcript, predictions) before any
exporter sees it, so every format gets the same treatment:

* **pseudonymise**: each user id becomes ``u_`` + the first 16 hex digits of
  HMAC-SHA256(salt, user id). The salt is given or drawn at random per export and is never written
  out; the same salt gives the same pseudonyms (to join two exports). User ids are replaced wherever
  they appear in text — inside Chinese text (``用户user_0001的``), joined by ``_`` or ``-``
  (``user_0001_v2``), next to letters, in notes, prompts, raw events and their keys, transcripts and
  file names — and the trace source is reduced to its file name. The one place an id's characters
  are left alone is inside a longer number: ``user_12`` in ``user_123`` is another user's id (known
  ids are matched longest first, so a known ``user_123`` gets its own pseudonym).
* **coarsen** (``"hour"`` or ``"day"``): every timestamp written like ``YYYY-MM-DD HH:MM[:SS]``
  (also ``/`` separators, ``T``, fractions and zone suffixes) anywhere in any string — the case's
  own times, payload fields such as ``upload_timestamp`` and the history lines inside a prompt — is
  cut to the hour (``2025-09-03 21:00:00``) or the day (``2025-09-03``).
* **secrets**: every key the process can see, whatever its shape (:func:`workbench.secrets.redact`:
  keyring or session keys, key-named environment variables such as ``OPENAI_API_KEY`` or
  ``HF_TOKEN``, key-named settings values, registered secrets, and well-known key shapes such as
  ``sk-...`` or ``Bearer ...``, also JSON-escaped or URL-quoted) and any secret passed in explicitly
  are replaced by ``[redacted secret]``. Cases never hold keys; this guards against a key pasted into
  a note or echoed in a raw model output. Always on, in every export format.

A snapshot PNG cannot be rewritten, so a redacting export drops it (the HTML report then draws its
SVG timeline from the redacted events instead).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from dataclasses import replace
from pathlib import PurePath
from typing import Any, Iterable

from workbench.annotate.model import Case, CasePrediction, Turn

COARSEN_LEVELS = ("hour", "day")
REDACTED = "[redacted secret]"  # the same words as workbench.secrets.REDACTED

_TS_RE = re.compile(
    r"(?<![0-9])(\d{4})([-/])(\d{1,2})\2(\d{1,2})"
    r"(?:([ T])(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?(?![0-9])")


def known_secrets(models: Iterable[str] = ()) -> list[str]:
    """Every secret this process can see (:func:`workbench.secrets.visible_secrets`: stored keys of
    the given models' providers and the common ones, key-named environment variables and settings
    values, registered secrets), so an export can scrub them wherever they appear."""
    from workbench import secrets as key_store

    providers = set()
    for m in models:
        providers.add(key_store.provider_for_model(m))
    return sorted(key_store.visible_secrets(providers))


class RedactionError(ValueError):
    """A redaction could not be guaranteed (the message names the id); nothing is exported."""


def _id_alternative(user_id: str) -> str:
    """The regex alternative matching ``user_id`` wherever it stands, except inside a longer run of
    ASCII digits (an id ending in a digit is not matched before another digit, and likewise at its
    start), because there it is part of a different id."""
    pattern = re.escape(user_id)
    if user_id[:1].isascii() and user_id[:1].isdigit():
        pattern = "(?<![0-9])" + pattern
    if user_id[-1:].isascii() and user_id[-1:].isdigit():
        pattern += "(?![0-9])"
    return f"(?:{pattern})"


def pseudonym(user_id: str, salt: bytes) -> str:
    """The stable pseudonym of ``user_id`` under ``salt``: ``u_`` and 16 hex digits of HMAC-SHA256."""
    return "u_" + hmac.new(salt, user_id.encode("utf-8"), hashlib.sha256).hexdigest()[:16]


def coarsen_text(text: str, level: str) -> str:
    """Cut every timestamp inside ``text`` to the hour or the day."""
    if level not in COARSEN_LEVELS:
        raise ValueError(f"coarsen level must be one of {', '.join(COARSEN_LEVELS)}, got {level!r}")

    def sub(m: re.Match[str]) -> str:
        y, sep, mo, d, tsep, hh = m.group(1), m.group(2), m.group(3), m.group(4), m.group(5), m.group(6)
        date = f"{y}{sep}{mo}{sep}{d}"
        if level == "day" or hh is None:
            return date
        return f"{date}{tsep}{hh}:00:00{m.group(9) or ''}"

    return _TS_RE.sub(sub, text)


def scrub_secrets(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` without the given ``secrets`` and without anything :func:`workbench.secrets.redact`
    removes (every key this process can see, whatever its shape, and well-known key shapes)."""
    from workbench import secrets as key_store

    for s in secrets:
        if s and len(s) >= key_store.MIN_SECRET_LENGTH:
            text = text.replace(s, REDACTED)
    return key_store.redact(text)


class Redactor:
    """Rewrites cases for export; the identity when nothing is asked except secret scrubbing."""

    def __init__(self, *, pseudonymise: bool = False, salt: bytes | str | None = None,
                 coarsen: str | None = None, secrets: Iterable[str] = ()) -> None:
        if coarsen is not None and coarsen not in COARSEN_LEVELS:
            raise ValueError(f"coarsen must be one of {', '.join(COARSEN_LEVELS)}, got {coarsen!r}")
        self.pseudonymise = pseudonymise
        if isinstance(salt, str):
            salt = salt.encode("utf-8")
        self._salt: bytes = salt if salt else os.urandom(32)
        self.coarsen = coarsen
        self._secrets = tuple(s for s in secrets if s)
        self._users: dict[str, str] = {}
        self._user_re: re.Pattern[str] | None = None

    @property
    def active(self) -> bool:
        """Whether this redactor changes anything (pseudonyms or coarser times)."""
        return self.pseudonymise or self.coarsen is not None

    def __repr__(self) -> str:  # never show the salt or secrets
        return f"Redactor(pseudonymise={self.pseudonymise}, coarsen={self.coarsen!r})"

    def learn_users(self, user_ids: Iterable[str]) -> None:
        """Register the user ids to replace inside free text (longest first)."""
        for u in user_ids:
            if u and u not in self._users:
                self._users[u] = pseudonym(u, self._salt)
        if self._users:
            alts = "|".join(_id_alternative(u) for u in sorted(self._users, key=len, reverse=True))
            self._user_re = re.compile(alts)

    def user(self, user_id: str) -> str:
        """The exported form of ``user_id``: its pseudonym when pseudonymising, else unchanged."""
        if not self.pseudonymise:
            return user_id
        if user_id not in self._users:
            self.learn_users([user_id])
        return self._users[user_id]

    def text(self, text: str) -> str:
        """``text`` as it may be exported: secrets scrubbed, user ids pseudonymised, times coarsened."""
        text = scrub_secrets(text, self._secrets)
        if self.pseudonymise and self._user_re is not None:
            text = self._pseudonymise_text(text)
        if self.coarsen is not None:
            text = coarsen_text(text, self.coarsen)
        return text

    def _pseudonymise_text(self, text: str) -> str:
        """Every known id in ``text`` replaced by its pseudonym. A second pass catches an id that the
        first pass formed across a replacement (only possible for ids shaped like hex digits);
        :class:`RedactionError` if one still remains, so an export never ships an id silently."""
        assert self._user_re is not None
        for _ in range(3):
            text = self._user_re.sub(lambda m: self._users[m.group(0)], text)
            if self._user_re.search(text) is None:
                return text
        found = self._user_re.search(text)
        raise RedactionError(f"user id {found.group(0) if found else '?'!r} could not be pseudonymised "
                             "(it keeps re-forming inside pseudonyms); nothing was exported")

    def value(self, value: Any) -> Any:
        """A JSON-like value with every string in it (keys included) redacted as :meth:`text` does."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.text(str(k)): self.value(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.value(v) for v in value]
        return value

    def source(self, source: str) -> str:
        """The exported trace path: only the file name when pseudonymising (folders can name people)."""
        if self.pseudonymise:
            source = PurePath(source).name if source else source
        return self.text(source)

    def case(self, case: Case) -> Case:
        """The case as it may be exported."""
        if self.pseudonymise:
            self.learn_users([case.user_id])
        t = self.text
        preds = tuple(CasePrediction(**{k: (self.value(v) if k not in ("model", "field") else v)
                                        for k, v in p.to_dict().items()}) for p in case.predictions)
        return replace(
            case, source=self.source(case.source), user_id=self.user(case.user_id),
            start_ts=t(case.start_ts) if case.start_ts is not None else None,
            end_ts=t(case.end_ts) if case.end_ts is not None else None,
            real_values=self.value(case.real_values), predictions=preds, prompt=t(case.prompt),
            transcript=tuple(Turn(t(x.role), t(x.content)) for x in case.transcript),
            event=self.value(case.event) if case.event is not None else None,
            neighbours=tuple(self.value(n) for n in case.neighbours), note=t(case.note),
            author=t(case.author), created=t(case.created), updated=t(case.updated),
            snapshot_png=None if self.active else case.snapshot_png)

    def cases(self, cases: Iterable[Case]) -> list[Case]:
        """The cases as they may be exported (users learnt first, so pseudonyms replace every mention)."""
        cases = list(cases)
        if self.pseudonymise:
            self.learn_users(c.user_id for c in cases)
        return [self.case(c) for c in cases]
