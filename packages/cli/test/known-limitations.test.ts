import { describe, expect, it } from "vitest";
import { fallbackSummary, type ProfileResult } from "@alpiq/memray-core";
import { capturedIo, captureStream } from "@alpiq/memray-test-support";
import { installNote } from "../src/install-command.js";
import { outputNote } from "../src/output-notes.js";
import { printRunOutcome } from "../src/print-run-outcome.js";
import { ProgressReporter } from "../src/progress-reporter.js";

// The seed's "Known limitations" that the CLI itself speaks about (the README's table lists them all).

/** What polars prints at import on a CPU without AVX (Rosetta, QEMU). */
const POLARS_AVX = [
  "/opt/venv/lib/python3.11/site-packages/polars/_cpu_check.py:259: RuntimeWarning: Missing required CPU features.",
  "The following required CPU features were not detected:",
  "    avx, avx2, fma, bmi1, bmi2, lzcnt, movbe",
  "Continuing to use this version of Polars on this processor will likely result in a crash.",
  "Install the `polars-lts-cpu` package instead of `polars` to run Polars with better compatibility.",
];

describe("polars' AVX warning under emulation", () => {
  it("is recognised in a run's output, and only it", () => {
    expect(outputNote(POLARS_AVX[0]!)?.id).toBe("polars-avx");
    expect(outputNote("polars: AVX2 not available, falling back")?.id).toBe("polars-avx");
    for (const line of ["handled 5 requests", "RuntimeWarning: deprecated", "AVX is a CPU feature", "Memray WARNING: Correcting symbol for malloc"]) {
      expect(outputNote(line), line).toBeNull();
    }
  });

  it("the progress says it is safe to ignore, once, beside the echoed output", () => {
    const err = captureStream();
    const reporter = new ProgressReporter(err.stream);
    for (const line of [...POLARS_AVX, ...POLARS_AVX]) reporter.handle({ type: "output", stream: "stderr", line });
    reporter.finish(true);
    const text = err.text();
    expect(text.match(/safe to ignore/g)).toHaveLength(1);
    expect(text).toMatch(/note: polars' warning about missing CPU features \(AVX, \.\.\.\) is expected under CPU emulation \(Rosetta, QEMU\)/);
    expect(text).toContain("Missing required CPU features.");
  });

  it("--quiet echoes no output and no note", () => {
    const err = captureStream();
    const reporter = new ProgressReporter(err.stream, true);
    reporter.handle({ type: "output", stream: "stderr", line: POLARS_AVX[0]! });
    expect(err.text()).not.toContain("Missing required CPU features");
    expect(err.text()).not.toContain("safe to ignore");
  });
});

describe("debug symbols lost with the container", () => {
  it("install --debug-symbols into a container says python3-dbg goes with it, and how to install both again", () => {
    const note = installNote(
      "memray was installed into the container's writable layer ...",
      true,
      "memray-cli install --target local-forecast-1 --debug-symbols",
    );
    expect(note).toMatch(
      /^memray was installed into the container's writable layer \.\.\. The debug symbols \(python3-dbg\) live there too and are lost with it/,
    );
    expect(note).toContain("run `memray-cli install --target local-forecast-1 --debug-symbols` again");
    expect(installNote("runtime note", false, "x")).toBe("runtime note");
    expect(installNote(undefined, false, "x")).toBeUndefined();
  });
});

describe("the run says where its requests and its endpoint came from", () => {
  it("prints the requests file and a chosen endpoint", () => {
    const summary = {
      ...fallbackSummary({ runId: "r", mode: "endpoint", script: null, timestamp: new Date(0), error: "unused", errorCode: "UNEXPECTED" }),
      error: null,
      error_code: null,
      requests: [{ request_num: 1, status: 200, duration_s: 0.1, rss_before: 1, rss_after: 2, rss_delta: 1 }],
      requests_source: { file: "/tmp/memray-run-requests.json", kind: "seed" as const, entries: 1 },
      endpoint: { path: "/health", method: "GET", chosen_by: "health route" as const },
    };
    const io = capturedIo();
    printRunOutcome(io, { summary, exitCode: 0, warnings: [] } as unknown as ProfileResult, new Set());
    expect(io.err()).toMatch(/per-request data: 1 entries read from \/tmp\/memray-run-requests\.json \(the seed's fixed path\)/);
    expect(io.err()).toMatch(/endpoint: GET \/health \(health route, no --endpoint given\)/);
  });
});
