"""Evaluate: benchmark sampling, metrics, bias analyses, batch runs and reports. Layer: pure.

    from workbench.evaluate.sampling import load_users, sample_events   # docs/benchmark.md#test-samples
    from workbench.evaluate.metrics import compute_metrics, format_report  # docs/benchmark.md#metrics
    from workbench.evaluate.biases import all_biases                     # hyper-activity, tone, ...
    from workbench.evaluate.batch import run_batch                       # async, resumable
    from workbench.evaluate.matrix import metric_matrix, cases_for       # model x scenario x metric

Nothing here imports Qt; litellm is imported only when a model is actually called.
"""
