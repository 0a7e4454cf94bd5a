import { mkdtemp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { LATE_SIGNALS_WARNING, settleSummary } from "../src/settle-summary.js";
import { fallbackSummary, writeSummary } from "../src/summary-io.js";
import type { HostSections } from "../src/host-sections.js";

/** A run directory holding a valid summary.json from the harness, without signals. */
async function runWithSummary() {
  const dir = await mkdtemp(path.join(os.tmpdir(), "memray-settle-"));
  const runDir = { runId: "r-20260101-000000", path: dir, artifactPrefix: "runs/r-20260101-000000" };
  const summary = fallbackSummary({ runId: runDir.runId, mode: "script", script: "x.py", timestamp: new Date(0), error: "x", errorCode: "WORKLOAD_FAILED" });
  await writeSummary(dir, { ...summary, error: null, error_code: null, exit_code: 0 });
  return runDir;
}

const skipped = { status: "skipped" as const, files: [], reason: "run on this host: no containers", duration_seconds: 0, error: null };

async function settleLate(signals: HostSections["signals"]) {
  const runDir = await runWithSummary();
  return settleSummary({
    runDir,
    mode: "script",
    script: "x.py",
    targetInfo: { kind: "local", name: "local", python: "python3", service_port: null },
    startedAt: new Date(0),
    failure: undefined,
    harnessFailure: undefined,
    sections: { signals, artifacts: {}, warnings: [] },
    hostArtifacts: [],
  });
}

describe("settleSummary: signals that came after the harness's summary", () => {
  it("adds them without a warning when nothing was collected (a run on this host without WireMock)", async () => {
    const { summary, error } = await settleLate({ wiremock: skipped, container_logs: skipped, container_stats: skipped });
    expect(error).toBeUndefined();
    expect(summary.signals?.wiremock?.status).toBe("skipped");
    expect(summary.warnings ?? []).not.toContain(LATE_SIGNALS_WARNING);
  });

  it("adds them with a warning when a collector ran", async () => {
    const { summary } = await settleLate({
      wiremock: { status: "ok", files: ["wiremock-requests.json"], duration_seconds: 0.1, error: null },
      container_logs: skipped,
    });
    expect(summary.signals?.wiremock?.status).toBe("ok");
    expect(summary.warnings).toContain(LATE_SIGNALS_WARNING);
  });
});
