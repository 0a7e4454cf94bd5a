import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { fallbackSummary } from "@alpiq/memray-core";
import { renderRunIndex, writeRunIndex } from "../src/index.js";

describe("run index", () => {
  const summary = {
    ...fallbackSummary({
      runId: "demo-20260101-000000",
      mode: "script",
      script: "<b>x</b>.py",
      timestamp: new Date(0),
      error: "x",
      errorCode: "WORKLOAD_FAILED",
    }),
    error: null,
    error_code: null,
    top_allocators: [{ file: "demo.py:3", size_kb: 2048, count: 2, function: "main" }],
    leak_indicators: { rss_growth_mb: 12.5, monotonic_growth: true, likely_leak: true },
  };

  it("links only the files present, escapes text, shows the verdict", () => {
    const html = renderRunIndex(summary, ["summary.json", "flamegraph.html", "table.txt", "logs-forecast.txt", "harness.log"]);
    expect(html).not.toContain('href="leaks.html"');
    for (const part of [
      'href="flamegraph.html"',
      'href="table.txt"',
      'href="logs-forecast.txt"',
      "The workload&#39;s own stdout and stderr",
      "&lt;b&gt;x&lt;/b&gt;.py",
      "likely leak",
      "demo.py:3",
      "2.0 MiB",
    ]) {
      expect(html).toContain(part);
    }
  });

  it("writes index.html listing the run directory", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "memray-index-"));
    await writeFile(path.join(dir, "leaks.html"), "<html></html>");
    await writeRunIndex(dir, summary);
    expect(await readFile(path.join(dir, "index.html"), "utf8")).toContain('href="leaks.html"');
  });
});
