"""A run spread over several loopback servers of one model (litellm's Router): one server stopped
mid-run loses nothing and nothing is asked twice past its retries; each server's share is in the
report; per-server limits hold; credentials in server URLs never show; one --api-base takes the old
path; bad deployment files give one-line errors."""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest

from tests.evaluate.conftest import big_users, report_of_rows, write_traces
from tests.evaluate.test_batch import answer

MODEL = "openai/dev-model"
RETRIES = 4       # RetryPolicy.max_retries: the Router's retries of one call


@pytest.fixture
def users():
    return big_users(3)


@pytest.fixture
def traces(tmp_path, users):
    return write_traces(tmp_path / "traces.json", users)


def _eval(*args):
    from workbench.cli import main

    return main(["eval", *map(str, args)])


def _stop_when(srv, n_requests):
    """Stop ``srv`` (from another thread) once it has received ``n_requests`` completion requests."""
    def watch():
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(srv.completion_requests()) < n_requests:
            time.sleep(0.005)
        srv.stop()

    t = threading.Thread(target=watch, daemon=True)
    t.start()
    return t


def test_three_servers_one_stopped_mid_run_loses_nothing(tmp_path, traces, users, capsys, dev_servers):
    servers = [dev_servers(answer, latency=0.05) for _ in range(3)]
    shown = [s.base_url for s in servers]
    dying = servers[0]
    watcher = _stop_when(dying, 4)
    out = tmp_path / "run"
    rc = _eval(traces, "--model", MODEL, "--api-base", shown[0], "--api-base", shown[1],
               "--api-base", shown[2], "--concurrency", "2",
               "--n-per-user", "8", "--out", out, "--no-biases", "--no-cache")
    watcher.join(5)
    err = capsys.readouterr().err
    assert rc == 0, err
    report, rows = report_of_rows(out, users, 8)
    run = report["run"]
    assert run["failed"] == 0 and run["answered"] == run["questions"] == len(rows) > 30
    # which server answered each question is in its row; the dying server answered some, not all
    by_server = Counter(r["server"] for r in rows)
    assert set(by_server) <= set(shown) and 0 < by_server[shown[0]] < len(rows) / 3
    assert by_server[shown[1]] + by_server[shown[2]] > 2 * len(rows) / 3 - by_server[shown[0]]
    shares = report["servers"][MODEL]
    assert {k: v["questions"] for k, v in shares.items()} == dict(by_server)
    assert abs(sum(v["share"] for v in shares.values()) - 1) < 1e-3
    assert report["settings"]["servers"][MODEL] == [{"api_base": u, "max_concurrency": 2} for u in shown]
    assert "share" in err and shown[1] in err          # the terminal summary shows the shares
    # nothing is asked twice past its retries: every request beyond one per question is one that
    # the stopped server received and never answered, and no question was asked more than 1 + retries
    asked = Counter(r.prompt for s in servers for r in s.completion_requests())
    lost = len(dying.completion_requests()) - by_server[shown[0]]
    assert sum(asked.values()) - len(rows) == lost >= 1
    assert max(asked.values()) <= 1 + RETRIES
    assert len(asked) == len(rows)
    # per-server concurrency: never more than --concurrency requests at once on one server
    assert max(s.max_in_flight for s in servers) <= 2


def test_deployment_file_limits_each_server_and_hides_credentials(tmp_path, traces, users, capsys, dev_servers):
    a, b = dev_servers(answer, latency=0.03), dev_servers(answer, latency=0.03)
    a_url = a.base_url
    secret = "pw-very-secret-1234"
    with_creds = a.base_url.replace("http://", f"http://alice:{secret}@")
    dep = tmp_path / "servers.yaml"
    dep.write_text(f"model: {MODEL}\nservers:\n  - api_base: {with_creds}\n    max_concurrency: 1\n"
                   f"  - api_base: {b.base_url}\n    max_concurrency: 3\n")
    out = tmp_path / "run"
    rc = _eval(traces, "--model", MODEL, "--deployment", dep, "--n-per-user", "6", "--out", out,
               "--no-biases", "--no-cache")
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    assert a.max_in_flight == 1 and 1 <= b.max_in_flight <= 3
    assert len(a.completion_requests()) > 0 and len(b.completion_requests()) > 0
    report, rows = report_of_rows(out, users, 6)
    assert report["run"]["failed"] == 0
    files = "".join(p.read_text() for p in out.iterdir() if p.is_file())
    for text in (files, captured.err, captured.out):
        assert secret not in text
    assert report["settings"]["servers"][MODEL][0] == {"api_base": a_url.replace("http://", "http://***@"),
                                                       "max_concurrency": 1}
    assert report["settings"]["concurrency"] == 4          # the sum of the servers' limits


def test_one_api_base_takes_the_single_server_path(tmp_path, traces, users, monkeypatch, dev_servers):
    from workbench.simulate import servers as servers_mod

    def no_router(*a, **k):
        raise AssertionError("a Router was built for one server")

    monkeypatch.setattr(servers_mod.ServerPool, "__init__", no_router)
    out = tmp_path / "run"
    srv = dev_servers(answer)
    rc = _eval(traces, "--model", MODEL, "--api-base", srv.base_url, "--n-per-user", "3", "--out", out,
               "--no-biases", "--no-cache")
    asked = len(srv.completion_requests())
    assert rc == 0
    report, rows = report_of_rows(out, users, 3)
    assert asked == len(rows)                      # one request per question, as before
    assert all("server" not in r for r in rows)
    assert "servers" not in report and "servers" not in report["settings"]
    assert "server" not in (out / "predictions.jsonl").read_text()


@pytest.mark.parametrize("text, expect", [
    ("servers:\n  - api_base: http://127.0.0.1:1/v1\n    api_key: sk-abcdef123456\n",
     "servers[0]: field 'api_key' looks like a secret"),
    ("token: abc\nservers: [http://127.0.0.1:1/v1]\n", "field 'token' looks like a secret"),
    ("servers:\n  - api_base: http://127.0.0.1:1/v1\n   max_concurrency: 2\n", "at line 3, column"),
    ("servers: http://127.0.0.1:1/v1\n", "servers must be a list"),
    ("servers:\n  - api_base: ftp://x/v1\n", "servers[0]: api_base 'ftp://x/v1' is not an http(s) URL"),
    ("servers:\n  - api_base: http://127.0.0.1:1/v1\n    max_concurrency: 0\n",
     "servers[0]: max_concurrency must be a whole number of 1 or more"),
    ("servers:\n  - api_base: http://127.0.0.1:1/v1\n    weight: 2\n", "servers[0]: unknown field 'weight'"),
    ("model: openai/other\nservers: [http://127.0.0.1:1/v1]\n", "serve model openai/other"),
    ("- a\n- b\n", "must be a mapping"),
])
def test_bad_deployment_file_is_one_located_line(tmp_path, traces, capsys, text, expect):
    dep = tmp_path / "dep.yaml"
    dep.write_text(text)
    rc = _eval(traces, "--model", MODEL, "--deployment", dep, "--n-per-user", "1", "--out", tmp_path / "o")
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2
    assert len(err) == 1 and str(dep) in err[0] and expect in err[0], err
    assert "sk-abcdef123456" not in err[0]


def test_bad_api_base_lists_are_refused(tmp_path, traces, capsys):
    url = "http://127.0.0.1:1/v1"
    assert _eval(traces, "--model", MODEL, "--api-base", url, "--api-base", url, "--out", tmp_path / "o") == 2
    assert "listed twice" in capsys.readouterr().err
    dep = tmp_path / "d.yaml"
    dep.write_text(f"servers: [{url}]\n")
    assert _eval(traces, "--model", MODEL, "--api-base", url, "--deployment", dep, "--out", tmp_path / "o") == 2
    assert "not both" in capsys.readouterr().err
