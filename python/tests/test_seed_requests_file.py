"""The seed's requests-file contract: a script written against the seed writes its per-request data to the
fixed path /tmp/memray-run-requests.json; memray-cli gives each run its own file ($MEMRAY_RUN_REQUESTS_FILE).
Both are read (the run's own file first), and a run never reads another run's data: the fixed path is read
only by the run holding its lock, only when written during that run's workload, and consumed once read."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

from conftest import Result, check_outputs, env_with, harness_argv, write_config, write_script
from schema_check import assert_summary

from memray_harness.contract import contract
from memray_harness.workloads.requests_file import SEED_PATH_ENV

SEED_SCRIPT = """
import json, time
requests = [{"request_num": i + 1, "status": 200, "duration_s": 0.01, "rss_before": 100, "rss_after": 101 + i, "marker": %(marker)r}
            for i in range(%(count)d)]
time.sleep(%(before)s)
with open(%(path)r, "w") as f:
    json.dump(requests, f)
time.sleep(%(after)s)
"""


def _seed_script(dir_: Path, name: str, path: str, marker: str, count: int = 3, before: float = 0, after: float = 0) -> Path:
    return write_script(dir_, name, SEED_SCRIPT % {"path": path, "marker": marker, "count": count, "before": before, "after": after})


def _start(tmp: Path, script: Path, seed: Path) -> subprocess.Popen:
    tmp.mkdir(parents=True, exist_ok=True)
    config = write_config(tmp, {"mode": "script", "script_path": str(script), "reports": []})
    env = dict(env_with(), **{SEED_PATH_ENV: str(seed)})
    return subprocess.Popen(harness_argv(config), cwd=str(tmp), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _finish(proc: subprocess.Popen, tmp: Path, timeout: float = 120) -> Result:
    out, err = proc.communicate(timeout=timeout)
    result = Result(proc.returncode, tmp / "out", out, err)
    check_outputs(result.out_dir)
    return result


def _run(tmp: Path, script: Path, seed: Path) -> Result:
    return _finish(_start(tmp, script, seed), tmp)


def _markers(summary: dict[str, Any]) -> set[str]:
    return {r.get("marker") for r in summary["requests"]}


def test_a_seed_script_writing_the_fixed_path_has_its_requests_merged(tmp_path: Path) -> None:
    """The seed's own path (contract.json's default), as a seed-era script hard-codes it."""
    fixed = contract().defaults.requests_file
    assert fixed == "/tmp/memray-run-requests.json"
    script = _seed_script(tmp_path, "seed_era.py", fixed, "seed", count=4)
    res = _finish(_start(tmp_path / "run", script, Path(fixed)), tmp_path / "run")
    assert res.rc == 0, res.stderr
    s = res.summary
    assert_summary(s)
    assert [r["request_num"] for r in s["requests"]] == [1, 2, 3, 4]
    assert _markers(s) == {"seed"}
    assert s["requests_source"] == {"file": fixed, "kind": "seed", "entries": 4}
    assert not os.path.exists(fixed), "consumed once read: the next run never sees it"
    assert s["leak_indicators"]["monotonic_growth"] is True  # merged like the run's own file


def test_the_runs_own_file_comes_first(tmp_path: Path) -> None:
    seed = tmp_path / "seed.json"
    script = write_script(
        tmp_path,
        "both.py",
        """
        import json, os
        json.dump([{"request_num": 1, "status": 200, "marker": "own"}], open(os.environ["MEMRAY_RUN_REQUESTS_FILE"], "w"))
        json.dump([{"request_num": 1, "status": 200, "marker": "seed"}], open(%r, "w"))
        """
        % str(seed),
    )
    res = _run(tmp_path / "run", script, seed)
    assert res.rc == 0, res.stderr
    s = res.summary
    assert _markers(s) == {"own"}
    assert s["requests_source"]["kind"] == "run" and s["requests_source"]["entries"] == 1
    assert s["requests_source"]["file"] == str(tmp_path / "run" / "requests.json")
    assert any("also wrote the seed's" in w for w in s["warnings"])
    assert not seed.exists()


def test_no_requests_written_is_a_null_source(tmp_path: Path) -> None:
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps([{"request_num": 9, "status": 200, "marker": "stale"}]))  # an earlier run's
    script = write_script(tmp_path, "quiet.py", "x = 1\n")
    res = _run(tmp_path / "run", script, seed)
    assert res.rc == 0, res.stderr
    assert res.summary["requests"] == [] and res.summary["requests_source"] is None
    assert not seed.exists(), "a stale file at the fixed path is removed before the workload"


def test_concurrent_runs_never_read_each_others_requests(tmp_path: Path) -> None:
    """A (a seed script) holds the fixed path's lock while its workload runs. B, started meanwhile and not
    naming the fixed path, never reads it, even though it was written during B's workload. C, a seed script
    too, waits for A's lock, then reads only its own data."""
    seed = tmp_path / "seed.json"
    # Steps the scripts wait for, named so that B's script never names the fixed path.
    a_started, b_started, a_wrote = tmp_path / "a-started", tmp_path / "b-started", tmp_path / "a-wrote"
    wait = (
        "import json, os, pathlib, time\n"
        "def wait_for(path):\n"
        "    deadline = time.time() + 60\n"
        "    while not os.path.exists(path) and time.time() < deadline:\n"
        "        time.sleep(0.05)\n"
    )
    a_script = write_script(
        tmp_path,
        "a.py",
        wait
        + "pathlib.Path(%r).touch()\n" % str(a_started)
        + "wait_for(%r)\n" % str(b_started)  # B's workload runs
        + "json.dump([{'request_num': i, 'status': 200, 'marker': 'A'} for i in (1, 2, 3)], open(%r, 'w'))\n" % str(seed)
        + "pathlib.Path(%r).touch()\n" % str(a_wrote)
        + "time.sleep(3)\n",
    )
    b_script = write_script(tmp_path, "b.py", wait + "pathlib.Path(%r).touch()\nwait_for(%r)\n" % (str(b_started), str(a_wrote)))
    c_script = _seed_script(tmp_path, "c.py", str(seed), "C", count=2)
    a = _start(tmp_path / "a", a_script, seed)
    deadline = time.time() + 60
    while not a_started.exists() and time.time() < deadline:  # A holds the lock: its workload runs
        time.sleep(0.05)
    b = _start(tmp_path / "b", b_script, seed)
    c = _start(tmp_path / "c", c_script, seed)
    ra, rb, rc = _finish(a, tmp_path / "a"), _finish(b, tmp_path / "b"), _finish(c, tmp_path / "c")
    assert (ra.rc, rb.rc, rc.rc) == (0, 0, 0), (ra.stderr, rb.stderr, rc.stderr)
    assert _markers(ra.summary) == {"A"} and len(ra.summary["requests"]) == 3
    assert ra.summary["requests_source"]["kind"] == "seed"
    assert rb.summary["requests"] == [] and rb.summary["requests_source"] is None
    assert any("while another run held its lock: not read" in w for w in rb.summary["warnings"])
    assert _markers(rc.summary) == {"C"} and len(rc.summary["requests"]) == 2
    waited = [e for e in rc.events() if e["event"] == "step" and e.get("step") == "requests-file"]
    assert waited and "waiting for another run" in waited[0]["message"]
    assert not seed.exists()
