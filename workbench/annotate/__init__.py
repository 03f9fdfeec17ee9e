"""Annotated bias cases: model, store, queues, redaction, exports and the HTML report. Layer: pure.

    from workbench.annotate.model import Case, CasePrediction, new_case
    from workbench.annotate.store import CaseStore          # SQLite per project (WAL, synchronous=FULL)
    from workbench.annotate.context import case_from_trace  # a case from a loaded TraceSet
    from workbench.annotate.queue import mismatch_queue     # review queues from predictions
    from workbench.annotate.export import export_cases      # jsonl | csv | parquet | html
    from workbench.annotate.redact import Redactor          # pseudonymise, coarsen, scrub secrets

No Qt here (the GUI panel lives in ``workbench.app.cases_panel``).
"""
