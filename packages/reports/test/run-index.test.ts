import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { fallbackSummary, type Summary } from "@alpiq/memray-core";
import { renderRunIndex, wireMockCalls, writeRunIndex } from "../src/run-index.js";

const MiB = 1024 * 1024;
const base = fallbackSummary({
  runId: "endpoint-20260101-000000",
  mode: "endpoint",
  script: null,
  timestamp: new Date(0),
  error: "x",
  errorCode: "WORKLOAD_FAILED",
});
const summary: Summary = {
  ...base,
  error: null,
  error_code: null,
  signals: {
    wiremock: {
      status: "ok",
      files: ["wiremock-requests.json", "wiremock-unmatched.json"],
      duration_seconds: 0.1,
      error: null,
      url: "http://127.0.0.1:8089",
      source: "discovered",
      requests: 3,
      unmatched: 1,
    },
    container_logs: {
      status: "failed",
      files: ["logs-local-forecast.txt"],
      duration_seconds: 0.2,
      error: "1 of 2 containers failed: local-gone-1: no such container (removed during the run?)",
    },
    container_stats: {
      status: "failed",
      files: ["container-stats-before.json", "container-stats-after.json"],
      duration_seconds: 2.1,
      error: "1 of 2 containers failed",
      containers: {
        "local-forecast-1": {
          status: "ok",
          error: null,
          service: "forecast",
          project: "local",
          memory_before: 100 * MiB,
          memory_after: 236.5 * MiB,
          memory_limit: 2048 * MiB,
        },
        "local-gone-1": {
          status: "failed",
          error: "after: local-gone-1: no such container (removed during the run?)",
          service: "gone",
          project: "local",
          memory_before: 5 * MiB,
          memory_after: null,
          memory_limit: 2048 * MiB,
        },
      },
    },
  },
};

/** WireMock's journal shape (newest first), as GET /__admin/requests answers. */
const journal = {
  requests: [
    {
      request: { url: "/api/nope<x>", method: "GET", loggedDate: 3000, loggedDateString: "1970-01-01T00:00:03Z" },
      response: { status: 404 },
      wasMatched: false,
    },
    {
      request: { url: "/api/prices", method: "POST", loggedDate: 2000, loggedDateString: "1970-01-01T00:00:02Z" },
      response: { status: 200 },
      wasMatched: true,
    },
    {
      request: { url: "/api/weather?probe=1", method: "GET", loggedDate: 1000, loggedDateString: "1970-01-01T00:00:01Z" },
      responseDefinition: { status: 200 },
      wasMatched: true,
    },
  ],
  meta: { total: 3 },
};

describe("index.html: signals", () => {
  it("tabulates WireMock's calls in the order they were made (method, URL, status), unmatched marked", () => {
    expect(wireMockCalls(journal)).toEqual([
      { method: "GET", url: "/api/weather?probe=1", status: 200, matched: true, at: "1970-01-01T00:00:01Z" },
      { method: "POST", url: "/api/prices", status: 200, matched: true, at: "1970-01-01T00:00:02Z" },
      { method: "GET", url: "/api/nope<x>", status: 404, matched: false, at: "1970-01-01T00:00:03Z" },
    ]);
    expect(wireMockCalls({ not: "a journal" })).toEqual([]);
    const html = renderRunIndex(summary, ["summary.json", "wiremock-requests.json", "logs-local-forecast.txt"], wireMockCalls(journal));
    const table = html.slice(html.indexOf("<h3>WireMock calls"), html.indexOf("<h3>Container memory"));
    expect(table.match(/<tr><td>(GET|POST)<\/td><td><code>[^<]*<\/code><\/td><td class="n[^"]*">[^<]*<\/td>/g)).toEqual([
      '<tr><td>GET</td><td><code>/api/weather?probe=1</code></td><td class="n ">200</td>',
      '<tr><td>POST</td><td><code>/api/prices</code></td><td class="n ">200</td>',
      '<tr><td>GET</td><td><code>/api/nope&lt;x&gt;</code></td><td class="n bad">404 (unmatched)</td>',
    ]);
  });

  it("shows each container's memory before → after with the change, and why a container failed", () => {
    const html = renderRunIndex(summary, ["summary.json"], []);
    expect(html).toContain(
      '<tr><td>local-forecast-1</td><td>forecast</td><td class="n">100.0 MiB</td><td class="n">236.5 MiB</td><td class="n">+136.5 MiB</td><td class="n">2.0 GiB</td><td class=""></td></tr>',
    );
    expect(html).toContain(
      '<tr><td>local-gone-1</td><td>gone</td><td class="n">5.0 MiB</td><td class="n">n/a</td><td class="n">n/a</td><td class="n">2.0 GiB</td><td class="bad">after: local-gone-1: no such container (removed during the run?)</td></tr>',
    );
    expect(html).toContain("<p>none: the service made no call to WireMock during the run</p>");
  });

  it("lists each collector with its status and files (linked when present), the reason of a failure", () => {
    const html = renderRunIndex(summary, ["summary.json", "wiremock-requests.json", "wiremock-unmatched.json", "logs-local-forecast.txt"]);
    expect(html).toContain(
      '<tr><td>wiremock</td><td class="ok">ok</td><td><a href="wiremock-requests.json">wiremock-requests.json</a><br><a href="wiremock-unmatched.json">wiremock-unmatched.json</a></td><td class="n">0.1</td><td>http://127.0.0.1:8089</td></tr>',
    );
    expect(html).toContain(
      '<td>container_logs</td><td class="bad">failed</td><td><a href="logs-local-forecast.txt">logs-local-forecast.txt</a></td><td class="n">0.2</td><td>1 of 2 containers failed: local-gone-1: no such container (removed during the run?)</td>',
    );
    // Not in the directory: named, not linked.
    expect(html).toContain("<td>container-stats-before.json<br>container-stats-after.json</td>");
    // The generic file list still links and explains every signal file present.
    expect(html).toContain(
      '<tr><td><a href="logs-local-forecast.txt">logs-local-forecast.txt</a></td><td colspan="2">Container logs of one service (docker logs --since, with timestamps)</td></tr>',
    );
    // Without a journal read (too large, unreadable), no calls table.
    expect(html).not.toContain("<h3>WireMock calls");
  });

  it("skipped collectors show their reason; a run without signals has no Signals section", () => {
    const skipped: Summary = {
      ...base,
      signals: {
        wiremock: {
          status: "skipped",
          files: [],
          duration_seconds: null,
          error: null,
          reason: "no WireMock URL given (--wiremock URL); a run on this host discovers none",
        },
        container_logs: { status: "skipped", files: [], duration_seconds: null, error: null, reason: "run on this host: no containers" },
      },
    };
    const html = renderRunIndex(skipped, ["summary.json"]);
    expect(html).toContain(
      '<td>wiremock</td><td class="">skipped</td><td></td><td class="n">n/a</td><td>no WireMock URL given (--wiremock URL); a run on this host discovers none</td>',
    );
    expect(html).not.toContain("<h3>Container memory");
    expect(renderRunIndex(base, ["summary.json"])).not.toContain("<h2>Signals</h2>");
  });

  it("writeRunIndex reads wiremock-requests.json of the run directory for the calls table", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "memray-index-signals-"));
    await writeFile(path.join(dir, "wiremock-requests.json"), JSON.stringify(journal));
    await writeRunIndex(dir, summary);
    const html = await readFile(path.join(dir, "index.html"), "utf8");
    expect(html).toContain('<td>POST</td><td><code>/api/prices</code></td><td class="n ">200</td>');
    await writeFile(path.join(dir, "wiremock-requests.json"), "{ truncated");
    await writeRunIndex(dir, summary);
    const broken = await readFile(path.join(dir, "index.html"), "utf8");
    expect(broken).not.toContain("<h3>WireMock calls");
    expect(broken).toContain('<a href="wiremock-requests.json">wiremock-requests.json</a>');
  });
});
