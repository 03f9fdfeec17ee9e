"""Extra request fields in the Predict panel's model list and the Evaluation panel's judge settings."""

from __future__ import annotations

from tests.app.test_predict_panel import loaded_state, make_panel, script  # noqa: F401 - fixture
from workbench.app.eval_panel import EvaluationPanel
from workbench.app.llm_fields import ExtraBodyEdit, JudgeSettings
from workbench.app.state import AppState
from workbench.devserver import DevServer

NO_THINK = '{"chat_template_kwargs": {"enable_thinking": false}}'


def test_extra_body_edit_validates(qtbot):
    edit = ExtraBodyEdit()
    qtbot.addWidget(edit)
    assert edit.value() is None and edit.error() == ""
    edit.setText("[1, 2]")
    assert "JSON object" in edit.error() and edit.property("invalid") is True and "JSON object" in edit.toolTip()
    edit.setText("{bad")
    assert edit.error().startswith("extra request fields must be a JSON object")
    edit.setText(NO_THINK)
    assert edit.value() == {"chat_template_kwargs": {"enable_thinking": False}} and not edit.property("invalid")


def test_model_entry_keeps_its_extra_fields_and_sends_them(qtbot, qasync_loop, loaded_state):  # noqa: F811
    state = loaded_state
    panel = make_panel(qtbot, state)
    state.select_event("u1", 6)
    with DevServer(script=script) as srv:
        panel.extra_body.setText(NO_THINK)
        panel.model_edit.setText("openai/qwen3-local")
        panel.add_model_button.click()
        panel.extra_body.clear()
        panel.model_edit.setText("openai/plain")
        panel.add_model_button.click()
        assert panel.extra_body_of("openai/qwen3-local") == {"chat_template_kwargs": {"enable_thinking": False}}
        assert panel.extra_body_of("openai/plain") is None
        panel.api_base.setText(srv.base_url)
        panel.predict_button.click()
        qasync_loop.run_until_complete(panel.task)
        bodies = [r.body for r in srv.completion_requests()]
    qwen = [b for b in bodies if b["model"] == "qwen3-local"]
    plain = [b for b in bodies if b["model"] == "plain"]
    assert qwen and plain
    assert all(b["chat_template_kwargs"] == {"enable_thinking": False} for b in qwen)
    assert all("chat_template_kwargs" not in b for b in plain)


def test_bad_extra_fields_do_not_add_a_model(qtbot, loaded_state):  # noqa: F811
    panel = make_panel(qtbot, loaded_state)
    panel.extra_body.setText("{nope")
    panel.model_edit.setText("openai/x")
    panel.add_model_button.click()
    assert "Extra fields" in panel.status.text()
    assert all(panel.models.item(i).text() != "openai/x" for i in range(panel.models.count()))


def test_judge_settings_build_their_own_spec(qtbot):
    box = JudgeSettings()
    qtbot.addWidget(box)
    assert box.spec() is None
    box.model_edit.setText("anthropic/claude-sonnet-4-5-20250929")
    spec = box.spec()
    assert spec.api_base is None and spec.max_tokens is None
    box.api_base_edit.setText("https://judge.example/v1")
    box.max_tokens_spin.setValue(512)
    spec = box.spec()
    assert spec.api_base == "https://judge.example/v1" and spec.max_tokens == 512


def test_evaluation_panel_uses_judge_and_extra_fields(qtbot):
    panel = EvaluationPanel(AppState())
    qtbot.addWidget(panel)
    panel.models_edit.setText("openai/a, baseline:user")
    panel.api_base_edit.setText("http://127.0.0.1:9/v1")
    panel.extra_body_edit.setText(NO_THINK)
    specs = panel.specs()
    assert specs[0].extra_body == {"chat_template_kwargs": {"enable_thinking": False}}
    assert specs[1].extra_body is None and specs[1].api_base is None
    panel.judge_settings.model_edit.setText("openai/judge")
    judge = panel.judge_settings.spec()
    assert judge.api_base is None          # the models' API base is not the judge's
    assert panel.judge_edit is panel.judge_settings.model_edit


def test_dropped_parameters_reach_the_status_line(qtbot, qasync_loop, loaded_state):  # noqa: F811
    state = loaded_state
    panel = make_panel(qtbot, state)
    state.select_event("u1", 6)
    with DevServer(script=script) as srv:
        panel.add_model("openai/gpt-5")        # litellm sends GPT-5 no logprobs and no temperature 0.1
        panel.logprobs.setChecked(True)
        panel.api_base.setText(srv.base_url)
        panel.predict_button.click()
        qasync_loop.run_until_complete(panel.task)
    assert "litellm does not send" in panel.status.text() and "openai/gpt-5" in panel.status.text()
