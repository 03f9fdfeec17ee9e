"""Behavior Trace Workbench: see where LLM user simulators fail to behave like real people.

The version lives here and only here (pyproject reads it, the About dialog shows it).
"""

__version__ = "0.1.0"
