import { InvalidOptionError } from "@alpiq/memray-core";
import { describe, expect, it } from "vitest";
import { InvalidThresholdError, parseByteSize, parseCompareArgs, parseThresholds } from "../src/index.js";

describe("parseCompareArgs", () => {
  it("parses runs and defaults", () => {
    expect(parseCompareArgs(["a", "b"])).toEqual({
      kind: "compare",
      baseline: "a",
      candidate: "b",
      baselines: ["a"],
      candidates: ["b"],
      format: "text",
      color: undefined,
      options: { metricThresholds: {} },
    });
  });

  it("parses every flag", () => {
    const parsed = parseCompareArgs([
      "a",
      "--threshold",
      "25",
      "--threshold=rss_delta=30%",
      "--threshold",
      "duration_seconds=50",
      "--min-bytes",
      "512KiB",
      "--top",
      "3",
      "-f",
      "json",
      "--no-color",
      "b",
    ]);
    expect(parsed).toEqual({
      kind: "compare",
      baseline: "a",
      candidate: "b",
      baselines: ["a"],
      candidates: ["b"],
      format: "json",
      color: false,
      options: { thresholdPct: 25, metricThresholds: { rss_delta: 30, duration_seconds: 50 }, minBytes: 512 * 1024, siteLimit: 3 },
    });
    expect(parseCompareArgs(["--help"])).toEqual({ kind: "help" });
    expect(parseCompareArgs(["-V"])).toEqual({ kind: "version" });
  });

  it("rejects malformed thresholds, naming the flag", () => {
    for (const bad of ["abc", "-5", "20%%", "rss_delta=", "=30", "rss_delta=x"]) {
      expect(() => parseThresholds([bad]), bad).toThrow(InvalidThresholdError);
      expect(() => parseThresholds([bad]), bad).toThrow(/--threshold/);
    }
    expect(() => parseThresholds(["nope=30"])).toThrow(/unknown metric "nope"/);
    expect(() => parseCompareArgs(["a", "b", "--threshold"])).toThrow(/--threshold/);
  });

  it("rejects other bad usage", () => {
    expect(() => parseCompareArgs(["a"])).toThrow(/expected two runs/);
    expect(() => parseCompareArgs(["a", "b", "c"])).toThrow(InvalidOptionError);
    expect(() => parseCompareArgs(["a", "b", "--format", "html"])).toThrow(/--format: expected one of text, markdown, json, received "html"/);
    expect(() => parseCompareArgs(["a", "b", "--min-bytes", "lots"])).toThrow(/--min-bytes/);
    expect(() => parseCompareArgs(["a", "b", "--top", "-1"])).toThrow(/--top/);
    expect(() => parseCompareArgs(["a", "b", "--bogus"])).toThrow(/--bogus/);
    expect(() => parseCompareArgs(["a", "b", "--color", "--no-color"])).toThrow(/--color and --no-color/);
  });

  it("parses several runs per side: the values after --baseline / --candidate, up to the next option", () => {
    const parsed = parseCompareArgs(["--threshold", "10", "--baseline", "a1", "a2", "a3", "--candidate", "b1", "b2", "b3", "-f", "json"]);
    expect(parsed).toMatchObject({
      kind: "compare",
      baselines: ["a1", "a2", "a3"],
      candidates: ["b1", "b2", "b3"],
      baseline: "a1",
      candidate: "b1",
      format: "json",
    });
    expect(parseCompareArgs(["--baseline=a1", "--baseline", "a2", "--candidate", "b1"])).toMatchObject({ baselines: ["a1", "a2"], candidates: ["b1"] });
    expect(parseCompareArgs(["--candidate", "b1", "b2", "--baseline", "a1"])).toMatchObject({ baselines: ["a1"], candidates: ["b1", "b2"] });
  });

  it("rejects mixing the forms, a missing side and a flag without a run, naming the flag", () => {
    expect(() => parseCompareArgs(["a", "--baseline", "a1", "--candidate", "b1"])).toThrow(/--baseline\/--candidate: runs given both positionally \(a\)/);
    expect(() => parseCompareArgs(["--baseline", "a1", "--threshold", "5", "a2", "--candidate", "b1"])).toThrow(/positionally \(a2\)/);
    expect(() => parseCompareArgs(["--baseline", "a1", "a2"])).toThrow(/--candidate: expected at least one run/);
    expect(() => parseCompareArgs(["--candidate", "b1"])).toThrow(/--baseline: expected at least one run/);
    expect(() => parseCompareArgs(["--baseline", "--candidate", "b1"])).toThrow(/--baseline/);
    expect(() => parseCompareArgs(["a1", "--candidate"])).toThrow(/--candidate/);
  });

  it("parses sizes in binary units", () => {
    expect(parseByteSize("1048576")).toBe(1048576);
    expect(parseByteSize("2MiB")).toBe(2 * 1024 * 1024);
    expect(parseByteSize("2 mb")).toBe(2 * 1024 * 1024);
    expect(parseByteSize("1.5K")).toBe(1536);
    expect(parseByteSize("1GiB")).toBe(1024 ** 3);
  });
});
