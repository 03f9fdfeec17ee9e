"""The self-contained HTML report's template and style sheet (used by workbench.annotate.report)."""
