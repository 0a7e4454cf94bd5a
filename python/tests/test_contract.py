"""contract.json drives the harness; the harness keeps no copy of core's tables; configs and
outputs match core's checked-in schemas."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest
from conftest import PYTHON_DIR, base_config, write_script
from schema_check import UnknownKeyword, errors, load_schema

from memray_harness.config import Config, Endpoint
from memray_harness.contract import contract
from memray_harness.reports import generators, table_tree
from memray_harness.workloads import workload

HARNESS_SOURCES = sorted((PYTHON_DIR / "memray_harness").rglob("*.py")) + [PYTHON_DIR / "memray-runner.py"]
ENV_NAMES = {"MEMRAY_RUN_REQUESTS_FILE", "MEMRAY_CLI_AGENT", "MEMRAY_CLI_ATTACH_METHOD", "VIRTUAL_ENV", "LD_LIBRARY_PATH", "MEMRAY_HARNESS_SEED_REQUESTS_FILE"}


# -- the config: one set of keys in the schema, the dataclasses and the tests' base_config --------
def test_config_keys_match_the_schema() -> None:
    schema = load_schema("harness-config")
    keys = set(base_config("script", Path("/tmp/x"), Path("/tmp/r.json")))
    assert keys == set(schema["required"]) == set(schema["properties"])
    assert {f.name for f in dataclasses.fields(Config)} == keys
    endpoint = schema["properties"]["endpoint"]
    assert {f.name for f in dataclasses.fields(Endpoint)} == set(endpoint["required"]) == set(endpoint["properties"])


@pytest.mark.parametrize("mode", sorted(contract().modes))
def test_base_config_is_valid_for_every_mode(mode: str) -> None:
    assert errors(base_config(mode, Path("/tmp/x"), Path("/tmp/r.json")), load_schema("harness-config")) == []


# -- no copy of core's tables -------------------------------------------------------------------
def test_no_table_of_its_own() -> None:
    """The CI hook: no MODES/REPORTS/ARTIFACT(S) assignment in python/ outside the tests."""
    pattern = re.compile(r"^(MODES|REPORTS|ARTIFACTS?)\s*=", re.M)
    offenders = [str(p) for p in HARNESS_SOURCES if pattern.search(p.read_text())]
    assert offenders == []


def _calls(source: str, name: str):
    """The text of every `name(...)` call (parentheses balanced)."""
    for match in re.finditer(re.escape(name) + r"\(", source):
        depth, i = 0, match.end() - 1
        for i in range(match.end() - 1, len(source)):
            depth += {"(": 1, ")": -1}.get(source[i], 0)
            if depth == 0:
                break
        yield source[match.start() : i + 1]


def test_every_json_dump_refuses_nan() -> None:
    for path in HARNESS_SOURCES:
        source = path.read_text()
        for call in list(_calls(source, "json.dump")) + list(_calls(source, "json.dumps")):
            assert "allow_nan=False" in call, "%s: %s" % (path.name, call)


def test_every_error_code_used_is_in_the_contract() -> None:
    used = set()
    for path in HARNESS_SOURCES:
        used |= set(re.findall(r'"([A-Z]+_[A-Z_]+)"', path.read_text())) - ENV_NAMES
    assert used and used <= set(contract().error_codes), used - set(contract().error_codes)


# -- every rule of the contract has an implementation ---------------------------------------------
def test_every_mode_rule_is_implemented() -> None:
    for rule in contract().modes.values():
        assert rule.workload in workload.WORKLOAD_KINDS, rule
        assert set(rule.reports) <= set(contract().reports), rule
        assert rule.primary_report is None or rule.primary_report in rule.reports, rule
        for flag in rule.forces:
            assert flag in {f.name for f in dataclasses.fields(Config)}, rule


def test_every_report_is_implemented_and_its_files_are_artifacts() -> None:
    artifacts = {a.key: a for a in contract().artifacts.values()}
    for spec in contract().reports.values():
        assert spec.generator in (generators.FLAMEGRAPH, generators.TABLE_TREE, generators.STATS, generators.REQUESTS_VERDICT), spec
        if spec.generator == generators.TABLE_TREE:
            assert spec.name in table_tree.RENDERERS, spec
        for key, file in [(spec.artifact_key, spec.file)] + [(e.artifact_key, e.file) for e in spec.extra_files]:
            assert artifacts[key].file == file and artifacts[key].producer == "harness", spec


# -- the contract drives a run --------------------------------------------------------------------
def _harness_files(out_dir: Path):
    return {p.name for p in out_dir.iterdir()} - {"summary.json"}


def test_reports_and_artifacts_come_from_the_contract(tmp_path: Path, harness) -> None:
    """The mode with the most reports, all of them: exactly their files (names from the contract)
    are made, each listed under its contract key, plus the host's artifacts."""
    rule = max(contract().modes.values(), key=lambda r: (len(r.reports), r.mode))
    assert rule.script != "none"
    script = write_script(tmp_path, "job.py", "blob = [bytes(1000) for _ in range(2000)]\n")
    res = harness({"mode": rule.mode, "script_path": str(script), "reports": list(rule.reports), "host_artifacts": ["harness_log", "index_html"]})
    assert res.rc == 0, res.stderr
    specs = [contract().report(name) for name in rule.reports]
    made = {spec.artifact_key: spec.file for spec in specs}
    made.update({e.artifact_key: e.file for spec in specs for e in spec.extra_files})
    made[contract().artifact("session_bin").key] = contract().artifact("session_bin").file
    assert _harness_files(res.out_dir) == set(made.values())
    expected = dict(made, harness_log="harness.log", index_html="index.html")
    assert res.summary["artifacts"] == {key: "runs/test-run/" + file for key, file in expected.items()}
    report_events = {e["name"] for e in res.events() if e["event"] == "report" and e["ok"]}
    flamegraphs = {s.name for s in specs if s.generator == generators.FLAMEGRAPH}
    assert flamegraphs and flamegraphs <= report_events


def test_only_the_configs_reports_are_made(tmp_path: Path, harness) -> None:
    script = write_script(tmp_path, "job.py", "blob = bytearray(1 << 20)\n")
    tree = contract().report("tree")
    res = harness({"mode": "script", "script_path": str(script), "reports": [tree.name], "host_artifacts": []})
    assert res.rc == 0, res.stderr
    assert _harness_files(res.out_dir) == {tree.file, contract().artifact("session_bin").file}
    assert set(res.summary["artifacts"]) == {tree.artifact_key, "session_bin"}
    assert res.summary["memray_stats"]["peak_memory"] >= 1 << 20  # headline numbers whatever the reports


def test_an_unknown_host_artifact_is_a_warning(tmp_path: Path, harness) -> None:
    script = write_script(tmp_path, "job.py", "x = 1\n")
    res = harness({"mode": "script", "script_path": str(script), "reports": [], "host_artifacts": ["harness_log", "nope"]})
    assert res.rc == 0, res.stderr
    assert "harness_log" in res.summary["artifacts"] and "nope" not in res.summary["artifacts"]
    assert any("'nope'" in w for w in res.summary["warnings"])


def test_forced_flags_come_from_the_rule(tmp_path: Path, harness) -> None:
    forcing = [r for r in contract().modes.values() if r.forces and r.script != "none"]
    assert forcing
    script = write_script(tmp_path, "job.py", "x = 1\n")
    for rule in forcing:
        overrides = {flag: not value for flag, value in rule.forces.items()}
        res = harness(dict(overrides, mode=rule.mode, script_path=str(script), reports=[]))
        assert res.rc == 0, res.stderr
        for flag, value in rule.forces.items():
            assert res.summary["profiling"][flag] is value


# -- the schema validator cannot pass a file by ignoring a constraint ------------------------------
def test_schema_check_fails_loudly_on_an_unknown_keyword() -> None:
    with pytest.raises(UnknownKeyword):
        errors({"a": 1}, {"type": "object", "properties": {"a": {"type": "integer", "multipleOf": 2}}})
    with pytest.raises(UnknownKeyword):  # even in a branch the value never reaches
        errors(1, {"anyOf": [{"type": "integer"}, {"type": "string", "maxLength": 2}]})


def test_schema_check_keywords() -> None:
    schema = {
        "type": "object",
        "required": ["v"],
        "additionalProperties": False,
        "properties": {
            "v": {"type": "number", "const": 1},
            "e": {"type": "string", "enum": ["a", "b"]},
            "p": {"type": "string", "pattern": "^/"},
            "n": {"anyOf": [{"type": "integer", "minimum": 0, "maximum": 9}, {"type": "null"}]},
            "t": {"type": "number", "exclusiveMinimum": 0},
            "h": {"type": "object", "propertyNames": {"type": "string", "minLength": 2}, "additionalProperties": {"type": "string"}},
        },
    }
    assert errors({"v": 1.0, "e": "a", "p": "/x", "n": None, "t": 0.5, "h": {"ab": "c"}}, schema) == []
    problems = errors({"v": 2, "e": "c", "p": "x", "n": 10, "t": 0, "h": {"a": 1}, "x": 1}, schema)
    for needle in (
        "$.v: 2 is not 1",
        "$.e: 'c' is not one of",
        "$.p: 'x' does not match",
        "$.n: matches no anyOf",
        "$.t: 0 <= exclusiveMinimum",
        "$.h.a (name): shorter than 2",
        "$.h.a: expected string",
        "$.x: not allowed",
    ):
        assert any(p.startswith(needle) for p in problems), (needle, problems)
    assert errors({}, schema) == ["$.v: required"]
    assert errors(True, {"type": ["boolean", "integer"], "enum": [1]}) != []  # true is not 1


def test_every_checked_in_schema_uses_only_known_keywords() -> None:
    for name in ("harness-config", "summary", "table", "stats", "objects"):
        errors(json.loads("null"), load_schema(name))  # check_keywords runs first, whatever the value
