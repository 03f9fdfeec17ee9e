"""A run's exit status and summary tell the truth: every unanswered question counts as failed and is
explained, the exit status is 1 unless every question was answered (or ``--allow-failures N``),
progress never passes the total, report.json is always the report of the rows in predictions.jsonl
(also after a resume with ``--no-cache``), a full or read-only cache is only a warning, and the
concurrency is bounded by the file descriptors the process may open. Faults are injected through the
loopback server and a monkeypatched filesystem."""

from __future__ import annotations

import asyncio
import errno
import json
import sqlite3

import pytest

from tests.evaluate.conftest import big_users, report_of_rows, run_interrupted, write_traces
from tests.evaluate.test_batch import answer
from workbench.cli import main
from workbench.devserver import DevServer, Reply
from workbench.evaluate import sampling as S
from workbench.evaluate.batch import read_rows, run_batch
from workbench.simulate import cache as cache_module
from workbench.simulate.types import ModelSpec


@pytest.fixture
def users():
    return big_users(2)


@pytest.fixture
def trace(tmp_path, users):
    return write_traces(tmp_path / "traces.json", users)


def _eval(path, out, base, *extra):
    return main(["eval", str(path), "--model", "openai/dev-model", "--api-base", base, "--n-per-user", "4",
                 "--out", str(out), "--no-biases", *extra])


class _FullDiskConnection:
    """A real sqlite connection that starts failing as a full disk does after ``ok`` commits."""

    def __init__(self, real: sqlite3.Connection, ok: int) -> None:
        self.real, self.left = real, ok

    def execute(self, sql, *args):
        if sql.lstrip().upper().startswith("INSERT") and self.left <= 0:
            raise sqlite3.OperationalError("database or disk is full")
        return self.real.execute(sql, *args)

    def commit(self):
        self.left -= 1
        return self.real.commit()

    def close(self):
        return self.real.close()


def test_cache_full_mid_run_every_question_answered_one_warning(tmp_path, trace, users, capsys, monkeypatch):
    real_connect = sqlite3.connect
    monkeypatch.setattr(cache_module.sqlite3, "connect",
                        lambda *a, **k: _FullDiskConnection(real_connect(*a, **k), ok=5))
    with DevServer(script=answer) as srv:
        rc = _eval(trace, tmp_path / "o", srv.base_url)
    err = capsys.readouterr().err
    report, rows = report_of_rows(tmp_path / "o", users, 4)
    run = report["run"]
    assert rc == 0 and run["failed"] == 0 and run["answered"] == run["questions"] == len(rows)
    assert err.count("warning: the response cache") == 1 and "the disk is full" in err
    assert run["warnings"] and "running without it" in run["warnings"][0]
    for line in err.splitlines():
        if line.startswith("[predict]"):
            done, total = line.split()[1].split("/")
            assert int(done) <= int(total)


def test_no_space_at_all_for_the_cache_is_a_warning_not_a_traceback(tmp_path, trace, capsys, monkeypatch):
    def full(*a, **k):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(cache_module.sqlite3, "connect", full)
    with DevServer(script=answer) as srv:
        rc = _eval(trace, tmp_path / "o", srv.base_url)
    err = capsys.readouterr().err
    assert rc == 0 and "Traceback" not in err and err.count("warning: the response cache") == 1


def test_predictions_that_cannot_be_written_stop_the_run(tmp_path, trace, capsys, monkeypatch):
    from workbench.evaluate import rows as rows_module

    def full(self, row):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(rows_module.RowWriter, "write", full)
    with DevServer(script=answer) as srv:
        rc = _eval(trace, tmp_path / "o", srv.base_url)
    err = capsys.readouterr().err
    assert rc == 1 and "Traceback" not in err
    assert "predictions.jsonl: the answers cannot be written" in err and "No space left" in err
    assert not (tmp_path / "o" / "report.json").exists()


def test_failures_make_the_exit_status_1_unless_allowed(tmp_path, trace, users, capsys, provider_sleeps):
    def half(req):          # the server fails every continuous question
        return Reply(status=500) if "只输出一个整数" in req.prompt else answer(req)

    with DevServer(script=half) as srv:
        rc = _eval(trace, tmp_path / "o", srv.base_url)
        err = capsys.readouterr().err
        report, rows = report_of_rows(tmp_path / "o", users, 4)
        run = report["run"]
        failed = run["failed"]
        assert rc == 1 and 0 < failed < run["questions"]
        assert failed == sum(1 for r in rows if not r["parse_ok"])
        assert f"{failed} of {run['questions']} questions were not answered" in err
        assert run["failures"][0]["kind"] == "server" and run["failures"][0]["count"] == failed
        assert f"{failed} not answered: server error" in err
        # accepted failures: exit 0 with --allow-failures N >= failed, 1 below (the resumed runs ask
        # the failed questions again and they fail again)
        assert _eval(trace, tmp_path / "o", srv.base_url, "--allow-failures", str(failed)) == 0
        assert _eval(trace, tmp_path / "o", srv.base_url, "--allow-failures", str(failed - 1)) == 1
    report_of_rows(tmp_path / "o", users, 4)


def test_an_event_that_breaks_counts_every_question_as_failed(tmp_path, users, monkeypatch):
    from workbench.simulate import prompts

    real = prompts.build_prompt
    sample = S.sample_events(users, test_length=4)
    bad = sample.events[1]

    def build(profile, history, target, q, **k):
        if target is users[[u.user_id for u in users].index(bad.user_id)].events[bad.event_index]:
            raise RuntimeError("the template broke")
        return real(profile, history, target, q, **k)

    monkeypatch.setattr(prompts, "build_prompt", build)
    seen = []
    with DevServer(script=answer) as srv:
        res = asyncio.run(run_batch(users, sample, [ModelSpec("openai/dev-model", api_base=srv.base_url),
                                                    ModelSpec("baseline:user")],
                                    out_dir=tmp_path / "o", use_cache=False, biases=False,
                                    on_progress=seen.append))
    run = res.report["run"]
    broken = [r for r in res.rows if (r["user_id"], r["event_index"]) == (bad.user_id, bad.event_index)]
    assert broken and all(not r["parse_ok"] and r["error_kind"] == "event" for r in broken)
    assert len(broken) % 2 == 0                      # both models, every question of the event
    assert len(res.rows) == run["questions"] and run["failed"] == sum(1 for r in res.rows if not r["parse_ok"])
    assert {f["kind"]: f["count"] for f in run["failures"]}["event"] == len(broken)
    assert max(p.done for p in seen) == run["questions"] and all(p.done <= p.total for p in seen)
    assert run["errors"] and "the template broke" in run["errors"][0]["error"]


def test_resume_without_cache_report_matches_the_file(tmp_path, trace, users):
    """Interrupted, then resumed with --no-cache against a server that now answers differently:
    the answered questions are kept from the file (not asked again), and report.json is the report
    of exactly the rows in predictions.jsonl."""
    out = tmp_path / "o"
    sample = S.sample_events(users, test_length=4)
    with DevServer(script=answer, latency=0.02) as srv:
        run_interrupted(10, users, sample, [ModelSpec("openai/dev-model", api_base=srv.base_url)],
                        out_dir=out, concurrency=2, use_cache=False, biases=False)
    first = read_rows(out / "predictions.jsonl")
    assert 10 <= len(first)

    def other(req):         # a different model behind the same URL: binary answers flip
        a = answer(req)
        return "No" if a == "Yes" else a

    with DevServer(script=other) as srv2:
        rc = _eval(trace, out, srv2.base_url, "--no-cache")
        asked = len(srv2.completion_requests())
    report, rows = report_of_rows(out, users, 4)
    assert rc == 0 and len(rows) == report["run"]["questions"]
    assert asked == report["run"]["questions"] - report["run"]["resumed"] > 0
    assert report["run"]["resumed"] == sum(1 for r in first if r["parse_ok"])


def test_concurrency_is_bounded_by_the_descriptor_limit(tmp_path, trace, users, capsys, monkeypatch):
    import resource

    monkeypatch.setattr(resource, "getrlimit", lambda which: (256, 256))

    def refuse(which, limits):
        raise ValueError("not allowed")

    monkeypatch.setattr(resource, "setrlimit", refuse)
    with DevServer(script=answer, latency=0.05) as srv:
        rc = _eval(trace, tmp_path / "o", srv.base_url, "--concurrency", "5000")
        peak = srv.max_in_flight
    err = capsys.readouterr().err
    report = json.loads((tmp_path / "o" / "report.json").read_text())
    assert rc == 0 and report["run"]["failed"] == 0
    assert err.count("--concurrency 5000 needs about") == 1 and "ulimit -n" in err
    used = report["settings"]["concurrency"]
    assert used < 5000 and peak <= used


def test_a_full_disk_at_close_is_kept_not_raised(tmp_path):
    """The last buffered rows failing to reach a full disk when the file is closed: the writer keeps
    the error for the run to report (no traceback from a ``finally``)."""
    from workbench.evaluate.rows import RowWriter

    class FullFile:
        def write(self, text):
            return len(text)

        def flush(self):
            raise OSError(errno.ENOSPC, "No space left on device")

        def fileno(self):
            raise OSError(errno.EBADF, "closed")

        def close(self):
            raise OSError(errno.ENOSPC, "No space left on device")

    w = RowWriter(tmp_path / "p.jsonl")
    w._f.close()
    w._f = FullFile()
    with pytest.raises(OSError):
        w.write({"model": "m", "user_id": "u", "event_index": 0, "field": "f"})
    w.close()                                   # does not raise
    assert w.error is not None and w.error.errno == errno.ENOSPC
