"""The Evaluation panel's bias charts. Layer: app (Qt).

:class:`EvalChartsMixin` is mixed into :class:`workbench.app.eval_panel.EvaluationPanel`: per model,
the predicted against the real positive rate per action field (hyper-activity; a bar click lists its
answers), the intra/inter-user behaviour distances (homogenisation), the dialogue-tone marker shares
and the rare actions' rates, all read from the run's ``report.json`` biases.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QTabWidget, QVBoxLayout, QWidget

from widgets.metric_charts import DistributionChart, GroupedBarChart


class EvalChartsMixin:
    """The bias chart tabs of the Evaluation panel (a QWidget subclass)."""

    def _build_charts(self) -> QWidget:
        """Create the model picker and the chart tabs; returns the widget holding them."""
        self.model_combo = QComboBox(self)
        self.model_combo.currentTextChanged.connect(self._on_model_combo_changed)
        self.rate_chart = GroupedBarChart("Positive rate per action field: real vs predicted", self)
        self.rate_chart.bar_clicked.connect(self._on_rate_chart_bar_clicked)
        self.distance_chart = DistributionChart("Persona homogenisation: behaviour distances", self)
        self.distance_label = QLabel(self)
        self.tone_chart = GroupedBarChart("Customer-service messages with each marker", self)
        self.tail_chart = GroupedBarChart("Rare actions: real vs predicted rate", self)
        charts = QTabWidget(self)
        charts.addTab(self.rate_chart, "Hyper-activity")
        dist = QWidget(self)
        dl = QVBoxLayout(dist)
        dl.setContentsMargins(0, 0, 0, 0)
        dl.addWidget(self.distance_chart, 1)
        dl.addWidget(self.distance_label)
        charts.addTab(dist, "Homogenisation")
        charts.addTab(self.tone_chart, "Dialogue tone")
        charts.addTab(self.tail_chart, "Long tail")
        charts.addTab(self._build_blind_tab(), "Blind test")
        self.chart_tabs = charts
        right = QWidget(self)
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        top.addWidget(QLabel("Model"))
        top.addWidget(self.model_combo, 1)
        rl.addLayout(top)
        rl.addWidget(charts, 1)
        return right

    def _on_model_combo_changed(self, model: str) -> None:
        self._draw_charts(model)

    def _draw_charts(self, model: str) -> None:
        biases = self.report.get("biases") or {}
        ha = (biases.get("hyperactivity") or {}).get("fields", {}).get(model) or []
        fields = [f["field"] for f in ha]
        self.rate_chart.set_data(fields, {"real": [f["real_rate"] for f in ha],
                                          model or "model": [f["predicted_rate"] for f in ha]},
                                 value_label="positive rate", value_range=(0.0, 1.0))
        hom = (biases.get("homogenisation") or {}).get("sources", {})
        real, sim = hom.get("real") or {}, hom.get(model) or {}
        self.distance_chart.set_data({"real intra-user": real.get("intra", []),
                                      "real inter-user": real.get("inter", []),
                                      f"{model} intra-user": sim.get("intra", []),
                                      f"{model} inter-user": sim.get("inter", [])},
                                     x_label="RMS distance between behaviour vectors",
                                     colors={"real intra-user": "#e8e8e8", "real inter-user": "#e8e8e8",
                                             f"{model} intra-user": "#E69F00",
                                             f"{model} inter-user": "#E69F00"},
                                     styles={"real inter-user": Qt.PenStyle.DotLine,
                                             f"{model} inter-user": Qt.PenStyle.DotLine})
        self.distance_label.setText(
            f"intra/inter ratio: real {_fmt_ratio(real.get('ratio'))} · {model} {_fmt_ratio(sim.get('ratio'))}"
            "  (low = distinct, stable personas; near 1 = interchangeable users)")
        ut = (biases.get("utopian_tendency") or {}).get("summaries", {})
        cats = ["politeness", "hedging", "complaint", "positive", "negative"]
        series = {}
        for name in ("real", model):
            s = ut.get(name)
            if s and s.get("n_messages"):
                series[name] = [s["share_with"].get(c) for c in cats]
        self.tone_chart.set_data(cats if series else [], series, value_label="share of messages", value_range=(0.0, 1.0))
        lt = (biases.get("long_tail") or {}).get("fields", {}).get(model) or []
        self.tail_chart.set_data([f["field"] for f in lt], {"real": [f["real_rate"] for f in lt],
                                                           model or "model": [f["predicted_rate"] for f in lt]},
                                 value_label="positive rate")

    def _on_rate_chart_bar_clicked(self, field: str, series: str) -> None:
        model = self.model_combo.currentText()
        cases = [r for r in self.rows if r["model"] == model and r["field"] == field and r.get("parse_ok")]
        cases.sort(key=lambda r: -(int(r.get("predicted_label") or 0)))
        self.cases_model.set_cases(cases)
        self.mark_button.setEnabled(False)
        self.cases_label.setText(f"{model} · {field}: {len(cases)} answers (predicted Yes first)")


def _fmt_ratio(v: Any) -> str:
    return "–" if v is None else f"{float(v):.2f}"
