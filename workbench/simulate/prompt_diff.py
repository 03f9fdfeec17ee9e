"""Our prompt beside the benchmark's: line pairs with the differing ones marked. Layer: simulate (pure).

:func:`prompt_pairs` builds, for each question of one event, our prompt and the benchmark's (from a
reference checkout) over the same history candidates, budget and token counter;
:func:`diff_rows` aligns two prompts line by line (``difflib``); :func:`side_by_side` prints them
in two columns. Used by ``workbench prompt-diff`` and the Predict panel's diff dialog.
"""

from __future__ import annotations

import difflib
import unicodedata
from dataclasses import dataclass
from typing import Any, Sequence

from workbench.simulate.types import Prompt

#: Row tags: same line, changed line, only in ours, only in the benchmark's.
SAME, CHANGED, OURS_ONLY, THEIRS_ONLY = " ", "|", "<", ">"


@dataclass(frozen=True)
class PromptPair:
    """Our prompt and the benchmark's for one question."""

    field: str
    ours: Prompt
    theirs: Prompt

    @property
    def equal(self) -> bool:
        """Whether both prompts are the same text."""
        return self.ours.text == self.theirs.text


def prompt_pairs(profile: str, events: Sequence[tuple[int, dict[str, Any]]], target_index: int,
                 history_indices: Sequence[int], reference: Any, *, max_history_tokens: int = 32000,
                 lang: str = "zh", tokenizer: str = "approx", fields: Sequence[str] | None = None
                 ) -> list[PromptPair]:
    """One :class:`PromptPair` per question of the target (only ``fields`` when given). Raises
    ValueError for an unknown event or field, CheckoutError when the checkout fails."""
    from workbench.simulate.prompts import build_prompt
    from workbench.simulate.questions import questions_for_event
    from workbench.simulate.runner import split_history

    target, history = split_history(events, target_index, history_indices)
    questions = questions_for_event(target)
    if fields:
        unknown = sorted(set(fields) - {q.field for q in questions})
        if unknown:
            raise ValueError(f"event {target_index} has no question {', '.join(unknown)} "
                             f"(it has {', '.join(q.field for q in questions) or 'none'})")
        questions = [q for q in questions if q.field in set(fields)]
    out = []
    for q in questions:
        ours = build_prompt(profile, history, target, q, lang=lang, max_history_tokens=max_history_tokens,
                            tokenizer=tokenizer)
        theirs = build_prompt(profile, history, target, q, reference=reference,
                              max_history_tokens=max_history_tokens, tokenizer=tokenizer)
        out.append(PromptPair(q.field, ours, theirs))
    return out


def diff_rows(left: str, right: str) -> list[tuple[str, str, str]]:
    """(tag, left line, right line) rows aligning two texts line by line."""
    a, b = left.split("\n"), right.split("\n")
    rows: list[tuple[str, str, str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            rows += [(SAME, a[i], b[j]) for i, j in zip(range(i1, i2), range(j1, j2))]
        elif op == "delete":
            rows += [(OURS_ONLY, a[i], "") for i in range(i1, i2)]
        elif op == "insert":
            rows += [(THEIRS_ONLY, "", b[j]) for j in range(j1, j2)]
        else:
            n = max(i2 - i1, j2 - j1)
            for k in range(n):
                la = a[i1 + k] if i1 + k < i2 else ""
                lb = b[j1 + k] if j1 + k < j2 else ""
                tag = CHANGED if i1 + k < i2 and j1 + k < j2 else (OURS_ONLY if i1 + k < i2 else THEIRS_ONLY)
                rows.append((tag, la, lb))
    return rows


def _fit(s: str, width: int) -> str:
    out, w = [], 0
    for ch in s:
        cw = 2 if unicodedata.east_asian_width(ch) in "WF" else 1
        if w + cw > width:
            break
        out.append(ch)
        w += cw
    return "".join(out) + " " * (width - w)


def side_by_side(rows: Sequence[tuple[str, str, str]], width: int = 160, only_changes: bool = False) -> str:
    """Two columns (ours | the benchmark's) with the tag between them; lines longer than a column
    are cut. ``only_changes``: leave out the equal rows."""
    col = max(20, (width - 3) // 2)
    lines = []
    for tag, a, b in rows:
        if only_changes and tag == SAME:
            continue
        lines.append(f"{_fit(a, col)} {tag} {_fit(b, col)}".rstrip())
    return "\n".join(lines)
