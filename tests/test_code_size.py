"""The size guide for newcomers: no module over 600 lines, no function over 80 lines.

Data tables are the one exception (a module that is mostly literal data, listed below with why).
A failure names the module or function and its size, so the fix is obvious: split it by concern.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 80
# Modules that are data tables, not logic (exempt from the module limit only).
DATA_TABLES: dict[str, str] = {}


def _sources() -> list[Path]:
    return sorted(p for pkg in ("workbench", "widgets") for p in (ROOT / pkg).rglob("*.py"))


@pytest.mark.parametrize("path", _sources(), ids=lambda p: str(p.relative_to(ROOT)))
def test_module_and_functions_within_the_guide(path: Path) -> None:
    """Every module and function of the application stays within the size guide."""
    rel = str(path.relative_to(ROOT))
    source = path.read_text(encoding="utf-8")
    lines = source.count("\n")
    problems = []
    if lines > MAX_MODULE_LINES and rel not in DATA_TABLES:
        problems.append(f"{rel}: {lines} lines (guide {MAX_MODULE_LINES})")
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            size = (node.end_lineno or node.lineno) - node.lineno + 1
            if size > MAX_FUNCTION_LINES:
                problems.append(f"{rel}:{node.lineno} {node.name}: {size} lines "
                                f"(guide {MAX_FUNCTION_LINES})")
    assert not problems, "\n".join(problems)
