"""``workbench predict`` through the real dispatcher, traces loader and dev server."""

from __future__ import annotations

import json

import pytest

from tests.simulate import events as E
from workbench.cli import main
from workbench.devserver import DevServer, Reply


@pytest.fixture
def trace_file(tmp_path):
    evs = E.trace(2) + [E.video(ts="2025-09-10 08:00:00", caption="目标视频", play=40, actions=("like",)),
                        E.search(ts="2025-09-11 08:00:00", keyword="猫粮"), E.service(ts="2025-09-12 08:00:00")]
    path = tmp_path / "traces.json"
    data = {"u1": {"user_profile": "女，31-40岁。已婚", "action_history": evs},
            "u2": {"user_profile": "男", "action_history": E.trace(3)}}
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def script(req):
    task = req.prompt.split("## 预测任务")[-1]
    if "多少秒" in task:
        return Reply("25")
    if "关键词" in task:
        return Reply("狗粮")
    if "客服对话" in req.prompt or "customer-service conversation" in req.prompt:
        return Reply("快点发货好吗")
    return Reply("Yes" if "点赞" in task else "No")


def test_predict_json(trace_file, capsys):
    with DevServer(script=script) as srv:
        rc = main(["predict", str(trace_file), "--user", "u1", "--event", "6", "--model", "openai/dev-model",
                   "--model", "baseline:user", "--model", "baseline:population", "--api-base", srv.base_url,
                   "--json"])
    out = capsys.readouterr().out
    assert rc == 0
    data = json.loads(out)
    assert data["history_event_indices"] == [0, 1, 2, 3, 4, 5]
    fields = [q["field"] for q in data["questions"]]
    assert fields[0] == "video_watch_seconds" and "video_liked" in fields
    q = next(x for x in data["questions"] if x["field"] == "video_liked")
    assert q["kind"] == "binary" and q["true_value"] == 1
    models = [p["model"] for p in q["predictions"]]
    assert models == ["openai/dev-model", "baseline:user", "baseline:population"]
    llm = q["predictions"][0]
    assert llm == {"model": "openai/dev-model", "predicted_value": 1.0, "predicted_label": 1,
                   "raw_output": "Yes", "parse_ok": True}
    watch = next(x for x in data["questions"] if x["field"] == "video_watch_seconds")
    assert watch["true_value"] == 40.0 and watch["predictions"][0]["predicted_value"] == 25.0


def test_predict_text_output_prompt_and_dialogue(trace_file, capsys):
    with DevServer(script=script) as srv:
        rc = main(["predict", str(trace_file), "--user", "u1", "--event", "8", "--model", "openai/dev-model",
                   "--api-base", srv.base_url, "--show-prompt", "--memory", "retrieve", "--lang", "en",
                   "--max-history-tokens", "4000"])
    out = capsys.readouterr().out
    assert rc == 0
    assert "next_user_message (text)  real: 我的快递怎么还没到" in out
    assert "openai/dev-model" in out and "快点发货好吗" in out and "tokens " in out and "cost unknown" in out
    assert "## Input 3: Current customer-service conversation" in out and "memory retrieve" in out


def test_predict_search_baseline_only_offline(trace_file, capsys):
    rc = main(["predict", str(trace_file), "--user", "u1", "--event", "7", "--model", "baseline:user"])
    out, err = capsys.readouterr()
    assert "search_keyword (text)  real: 猫粮" in out
    assert "FAILED" in out                                        # no earlier search in u1's history
    # a failed answer is not a success: exit 1, how many and why on stderr (as workbench eval)
    assert rc == 1
    assert "1 of 1 questions were not answered" in err
    assert "1 not answered: the baseline had no history for the field" in err
    assert "--allow-failures 1 accepts this" in err
    assert main(["predict", str(trace_file), "--user", "u1", "--event", "7", "--model", "baseline:user",
                 "--allow-failures", "1"]) == 0
    capsys.readouterr()
    assert main(["predict", str(trace_file), "--user", "u1", "--event", "7", "--model", "baseline:user",
                 "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert (data["answers"], data["failed"]) == (1, 1) and data["failures"][0]["kind"] == "no_history"


@pytest.mark.parametrize("argv,needle", [
    (["--user", "nobody", "--event", "0"], "no user 'nobody'"),
    (["--user", "u1", "--event", "99"], "no event 99"),
    (["--user", "u1", "--event", "0", "--max-history-tokens", "100"], "--max-history-tokens"),
])
def test_bad_input_exit_2(trace_file, capsys, argv, needle):
    rc = main(["predict", str(trace_file), *argv, "--model", "baseline:user"])
    err = capsys.readouterr().err
    assert rc == 2 and needle in err and len(err.strip().splitlines()) == 1


def test_missing_file_and_bad_baseline(tmp_path, capsys, trace_file):
    assert main(["predict", str(tmp_path / "nope.json"), "--user", "u", "--event", "0", "--model", "baseline:user"]) == 2
    assert main(["predict", str(trace_file), "--user", "u1", "--event", "0", "--model", "baseline:mean"]) == 2
    assert "unknown baseline" in capsys.readouterr().err


def test_predict_summary_memory_prints_the_summary(tmp_path, capsys):
    many = [E.video(caption=f"视频{i}" + "长" * 300, ts=f"2025-09-{1 + i // 20:02d} {i % 20:02d}:00:00") for i in range(60)]
    path = tmp_path / "many.json"
    path.write_text(json.dumps({"u": {"user_profile": "", "action_history": many}}, ensure_ascii=False))

    def answer(req):
        return Reply("爱看长视频的用户。" if "行为概要：" in req.prompt else "No")

    with DevServer(script=answer) as srv:
        rc = main(["predict", str(path), "--user", "u", "--event", "59", "--model", "openai/dev-model",
                   "--api-base", srv.base_url, "--memory", "summary", "--max-history-tokens", "4000"])
    out, err = capsys.readouterr()
    # the server answers "No" to the watch-time question too: that one answer fails, and says so
    assert rc == 1 and "1 not answered: the answer could not be parsed" in err
    assert "summary of " in out and "爱看长视频的用户。" in out and "cost unknown" in out
