"""``workbench info`` and ``workbench convert`` through the CLI dispatcher and a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import polars as pl
from polars.testing import assert_frame_equal

from workbench.cli import main
from workbench.traces import load_traces

FIX = Path(__file__).resolve().parents[1] / "fixtures"
ROOT = Path(__file__).resolve().parents[2]


def test_info_json(capsys):
    assert main(["info", str(FIX / "quirks_en.json"), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [u["user_id"] for u in data["users"]] == ["user_0001", "user_0002", "user_0003"]
    u = data["users"][0]
    assert u["events"] == 18 and u["scenarios"]["Advertisement"] == 3
    assert u["actions"]["Search Behavior/search"] == 3
    assert data["warnings"] == []


def test_info_json_lists_warnings(capsys):
    assert main(["info", str(FIX / "bad_types.json"), "--json", "--no-cache"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert any(w["user_id"] == "user_0001" and w["event_index"] == 4 and w["field"] == "type"
               for w in data["warnings"])
    assert data["users"][0]["scenarios"]["Other"] == 2


def test_info_table(capsys):
    assert main(["info", str(FIX / "quirks_zh.json")]) == 0
    out = capsys.readouterr().out
    assert "user_0101" in out and "Video Browsing 1" in out and "2025-09-03 21:14:05" in out


def test_invalid_input_exit_2_one_line(capsys):
    assert main(["info", str(FIX / "bad_top_list.json")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "bad_top_list.json" in err and "expected" in err
    assert main(["convert", str(FIX / "missing.json"), "x.parquet"]) == 2
    assert "missing.json" in capsys.readouterr().err


def test_convert(tmp_path, capsys):
    out = tmp_path / "out.parquet"
    assert main(["convert", str(FIX / "folder"), str(out)]) == 0
    assert "21 events" in capsys.readouterr().out
    back = load_traces(out)
    ref = load_traces(FIX / "folder", use_cache=False)
    assert_frame_equal(back.with_payload(), ref.events)
    assert back.profile("user_0001") == ref.profile("user_0001")
    assert pl.read_parquet(out).height == 21


def test_real_subprocess(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-m", "workbench", "info", str(FIX / "quirks.jsonl"), "--json"],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["users"][1]["events"] == 3
    bad = subprocess.run([sys.executable, "-m", "workbench", "info", str(FIX / "bad_garbage.json")],
                         capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "bad_garbage.json" in bad.stderr
