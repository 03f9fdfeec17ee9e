"""The Evaluation panel's blind-test chart: can people tell each model from real users? Layer: app (Qt).

:class:`EvalBlindMixin` is mixed into :class:`workbench.app.eval_panel.EvaluationPanel`. From the blind
items and picks of a case store (the window names it: the store of the last blind session, else the
Cases panel's store) it draws, per model and per scenario, the detection rate (the share of picks that
found the real side) with its Wilson 95% interval as whiskers and the 50% chance line
(:func:`workbench.annotate.blind.detection_rates`). When the store holds items drawn from the run the
panel shows, only those count; otherwise all of the store's items, and the line under the chart says
which. It is redrawn when results are shown and whenever the window reports a new pick.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Callable, Sequence

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from widgets.metric_charts import IntervalChart
from workbench.app.eval_models import scenario_en

if TYPE_CHECKING:
    from workbench.annotate.blind import BlindItem, DetectionRate
    from workbench.annotate.store import CaseStore


def items_of_run(items: Sequence[BlindItem], run_dir: Path | None) -> list[BlindItem]:
    """The items drawn from the evaluation run in ``run_dir`` (their source is the run's folder or a
    file in it); [] when there is no run or none matches."""
    if run_dir is None:
        return []
    run = run_dir.resolve()
    out = []
    for item in items:
        if not item.source:
            continue
        src = Path(item.source).resolve()
        if src == run or src.parent == run:
            out.append(item)
    return out


def chart_rows(rates: Sequence[DetectionRate]) -> list[tuple[str, str, DetectionRate]]:
    """(label, model, rate) rows: each model over all scenarios, then indented per scenario."""
    rows = []
    for model in dict.fromkeys(r.model for r in rates):
        mine = [r for r in rates if r.model == model]
        rows += [(f"{model} · all", model, r) for r in mine if r.scenario == ""]
        rows += [(f"    {scenario_en(r.scenario)}", model, r) for r in mine if r.scenario != ""]
    return rows


class EvalBlindMixin:
    """The "Blind test" chart tab of the Evaluation panel (a QWidget subclass)."""

    #: set by the window: the store to read, as the open CaseStore the window already holds (never a
    #: second connection to a file this process has open: closing one drops SQLite's file locks) or a path
    blind_store_path: Callable[[], CaseStore | Path | None] | None = None

    def _build_blind_tab(self) -> QWidget:
        """The detection-rate chart and the line saying which store and items it shows."""
        self.blind_chart = IntervalChart("Blind test: how often people found the real user", self)
        self.blind_label = QLabel("No blind picks yet: File ▸ Blind test…, or Predict ▸ Blind test these "
                                  "predictions…", self)
        self.blind_label.setWordWrap(True)
        box = QWidget(self)
        lay = QVBoxLayout(box)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.blind_chart, 1)
        lay.addWidget(self.blind_label)
        return box

    def refresh_blind(self) -> None:
        """Read the blind store again and redraw the chart (errors are shown under the chart)."""
        from workbench.annotate.blind import detection_rates
        from workbench.annotate.store import CaseStore

        source = self.blind_store_path() if self.blind_store_path is not None else None
        if source is not None and not isinstance(source, (str, Path)):
            path = Path(source.path)
            try:
                items, picks = source.blind_items(), source.blind_picks()
            except Exception as exc:  # noqa: BLE001 - a store that cannot be read is reported, never raised into Qt
                self._draw_blind([], f"Cannot read the blind test in {path}: {exc}")
                return
        else:
            path = None if source is None else Path(source)
            if path is None or not path.exists():
                self._draw_blind([], "No case store with blind items yet.")
                return
            try:
                with CaseStore(path, readonly=True) as store:
                    items, picks = store.blind_items(), store.blind_picks()
            except Exception as exc:  # noqa: BLE001 - a store that cannot be read is reported, never raised into Qt
                self._draw_blind([], f"Cannot read the blind test in {path}: {exc}")
                return
        of_run = items_of_run(items, self.out_dir)
        shown = of_run or items
        ids = {i.id for i in shown}
        picks = [p for p in picks if p.item_id in ids]
        which = (f"the {len(shown)} item(s) drawn from this run" if of_run else
                 f"all {len(shown)} blind item(s) of the store (none drawn from this run)")
        annotators = sorted({p.annotator for p in picks})
        self._draw_blind(detection_rates(shown, picks),
                         f"{len(picks)} pick(s) by {', '.join(annotators) or 'nobody yet'} on {which}, in "
                         f"{Path(path).name}. Whiskers: Wilson 95% interval; dashed: 50%, guessing. A row "
                         "whose whisker stays right of the line: people tell that model from real users.")

    def _draw_blind(self, rates: Sequence[DetectionRate], text: str) -> None:
        rows = chart_rows(rates)
        self.blind_chart.set_data([label for label, _, _ in rows], [r.rate for _, _, r in rows],
                                  [r.low for _, _, r in rows], [r.high for _, _, r in rows],
                                  counts=[f"{r.correct}/{r.picks}" for _, _, r in rows],
                                  groups=[m for _, m, _ in rows], value_label="found the real user")
        self.blind_label.setText(text)
