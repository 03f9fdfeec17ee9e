"""Code and documents cite sections of docs/ that exist, and never a document outside the repository."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [p for d in ("workbench", "widgets", "tests", "bench", "packaging", "resources", "docs")
           for p in (ROOT / d).rglob("*") if p.suffix in (".py", ".md") and "fixtures" not in p.parts]
SOURCES.append(ROOT / "README.md")
LINK = re.compile(r"docs/([a-z_]+\.md)(?:#([a-z0-9-]+))?")


def anchors(doc: Path) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens."""
    out = set()
    for line in doc.read_text(encoding="utf-8").splitlines():
        m = re.match(r"#{1,6}\s+(.*)", line)
        if m:
            text = re.sub(r"[^\w\- ]", "", m.group(1).strip().lower())
            out.add(text.replace(" ", "-"))
    return out


def test_every_docs_link_points_at_an_existing_section():
    known = {p.name: anchors(p) for p in (ROOT / "docs").glob("*.md")}
    bad = []
    for src in SOURCES:
        for n, line in enumerate(src.read_text(encoding="utf-8").splitlines(), 1):
            for doc, anchor in LINK.findall(line):
                if doc not in known or (anchor and anchor not in known[doc]):
                    bad.append(f"{src.relative_to(ROOT)}:{n}: docs/{doc}#{anchor}")
    assert not bad, "\n".join(bad)


def test_no_citation_of_an_outside_document_or_a_tracker_issue():
    outside = re.compile(r"PROTOCOL(?:\.md)?\s*§?\d|(?<!HIGHEST_)PROTOCOL\.md|\.\./shared|DESIGN(?:\.md| habit)"
                         r"|\b[Ii]ssue \d+ point|§\d")
    bad = [f"{src.relative_to(ROOT)}:{n}: {line.strip()[:100]}"
           for src in SOURCES if src.name != "test_docs_links.py"
           for n, line in enumerate(src.read_text(encoding="utf-8").splitlines(), 1) if outside.search(line)]
    assert not bad, "\n".join(bad)
