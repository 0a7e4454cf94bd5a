import { describe, expect, it } from "vitest";
import { ARTIFACTS, ERROR_CODES, harnessContract, MODE_RULES, MODES, REPORTS } from "../src/index.js";

describe("the contract tables", () => {
  it("every artifact key and file is unique", () => {
    expect(new Set(ARTIFACTS.map((a) => a.key)).size).toBe(ARTIFACTS.length);
    expect(new Set(ARTIFACTS.map((a) => a.file)).size).toBe(ARTIFACTS.length);
  });

  it("keeps the seed's artifact keys for the seed's files", () => {
    const byFile = Object.fromEntries(ARTIFACTS.map((a) => [a.file, a.key]));
    expect(byFile).toMatchObject({
      "session.bin": "session_bin",
      "flamegraph.html": "flamegraph",
      "leaks.html": "leaks_flamegraph",
      "temporal.html": "temporal_flamegraph",
      "temp-allocs.html": "temp_allocs_flamegraph",
      "table.txt": "table_report",
      "tree.txt": "tree_report",
    });
  });

  it("each mode's reports exist, its primary report is one of them, and live modes make none", () => {
    const names = new Set(REPORTS.map((r) => r.name));
    for (const mode of MODES) {
      const rule = MODE_RULES[mode];
      expect(rule.mode).toBe(mode);
      for (const report of rule.reports) expect(names.has(report)).toBe(true);
      if (rule.primaryReport) expect(rule.reports).toContain(rule.primaryReport);
      if (rule.live) expect(rule.reports).toEqual([]);
    }
    expect(MODE_RULES.leaks.forces.trace_python_allocators).toBe(true);
    expect(MODE_RULES.stats.reports).toContain("stats");
  });

  it("the harness contract carries every mode, report, artifact and error code", () => {
    const contract = harnessContract() as { modes: { mode: string }[]; reports: unknown[]; artifacts: unknown[]; error_codes: Record<string, unknown> };
    expect(contract.modes.map((m) => m.mode)).toEqual([...MODES]);
    expect(contract.reports).toHaveLength(REPORTS.length);
    expect(contract.artifacts).toHaveLength(ARTIFACTS.length);
    expect(Object.keys(contract.error_codes)).toEqual(Object.keys(ERROR_CODES));
  });
});
