import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { execa, type ResultPromise } from "execa";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Summary } from "@alpiq/memray-core";
import { cliBin, runCli, workspaceWithTestCases } from "./cli-runner.js";

// `memray-cli view` in headless Chromium (Debian's chromium package; tools/setup.sh installs it for
// the tests): the list, a run's RSS-per-request chart, the comparison of two runs, and a screenshot
// that must not be blank. Nothing is fetched from outside 127.0.0.1.

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const SCRIPT = "test-cases/example-sequential-requests.py";
const HEADLESS_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

if (!existsSync(CHROMIUM) && process.env.CI) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium (tools/setup.sh does it for the tests)`);

describe.runIf(existsSync(CHROMIUM))("memray-cli view in headless Chromium", () => {
  let cwd: string;
  let server: ResultPromise;
  let url: string;
  let browser: Browser;
  let page: Page;
  const runs: { dir: string; summary: Summary }[] = [];
  const outside: string[] = [];

  beforeAll(async () => {
    cwd = await workspaceWithTestCases();
    for (const name of ["baseline", "candidate"]) {
      const run = await runCli(["profile", "--script", SCRIPT, "--name", name, "--json"], cwd);
      expect(run.exitCode, run.stderr).toBe(0);
      const output = JSON.parse(run.stdout) as { run_dir: string; summary: Summary };
      runs.push({ dir: output.run_dir, summary: output.summary });
    }
    server = execa(process.execPath, [cliBin, "view", "--port", "0", "--json"], { cwd, env: { NO_COLOR: "1" }, buffer: false });
    url = await new Promise<string>((resolve, reject) => {
      let text = "";
      server.stdout!.on("data", (chunk: Buffer) => {
        text += chunk.toString();
        if (text.includes("\n")) resolve((JSON.parse(text.split("\n")[0]!) as { url: string }).url);
      });
      server.catch(reject);
    });
    // playwright gives the browser a new empty profile directory of its own.
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: HEADLESS_ARGS });
    page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    // Nothing leaves 127.0.0.1: requests elsewhere are refused, and recorded when one of our pages made
    // them (memray's own report pages load their scripts from a CDN: that is memray's, not the browser's).
    await page.route("**/*", async (route) => {
      const request = route.request();
      if (request.url().startsWith(url) || request.url().startsWith("data:")) return route.continue();
      if (!request.frame().url().startsWith(`${url}runs/`)) outside.push(request.url());
      return route.abort();
    });
  });

  afterAll(async () => {
    await browser?.close();
    server?.kill("SIGTERM");
    await server?.catch(() => undefined);
  });

  it("listens on 127.0.0.1 only", () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  });

  it("lists the runs, newest first, with the table's columns, and sorts by a column", async () => {
    await page.goto(url);
    const headers = await page.locator("table#runs th").allTextContents();
    expect(headers.map((h) => h.replace(" ↕", "").trim())).toEqual([
      "compare",
      "run",
      "mode",
      "target",
      "peak memory",
      "RSS delta",
      "leak verdict",
      "date",
      "reports",
    ]);
    const names = await page.locator("table#runs tbody tr").evaluateAll((rows) => rows.map((row) => row.getAttribute("data-run")));
    expect(names).toEqual(runs.map((run) => path.basename(run.dir)).reverse());
    expect(await page.locator("table#runs tbody tr").first().locator("td").nth(6).textContent()).toBe("likely leak");
    await page.locator("table#runs th", { hasText: "date" }).click(); // ascending: oldest first
    const sorted = await page.locator("table#runs tbody tr").evaluateAll((rows) => rows.map((row) => row.getAttribute("data-run")));
    expect(sorted).toEqual(runs.map((run) => path.basename(run.dir)));
  });

  it("opens a run: the RSS-per-request chart has one point per request, and a screenshot is not blank", async () => {
    const run = runs[1]!;
    await page.goto(url);
    await page.locator(`tr[data-run="${path.basename(run.dir)}"] a.run-link`).click();
    await page.waitForSelector("svg#rss-chart");
    const points = await page.locator("svg#rss-chart circle.point.rss").evaluateAll((circles) => circles.map((c) => Number(c.getAttribute("data-request"))));
    expect(run.summary.requests.length).toBe(5);
    expect(points).toEqual(run.summary.requests.map((r) => r.request_num));
    const bytes = await page.locator("svg#rss-chart circle.point.rss").evaluateAll((circles) => circles.map((c) => Number(c.getAttribute("data-bytes"))));
    expect(bytes).toEqual(run.summary.requests.map((r) => r.rss_after! * 1024));
    expect(await page.locator(`a[href$="/index.html"]`).count()).toBeGreaterThan(0);

    const shot = await page.locator("svg#rss-chart").screenshot();
    const file = path.join(os.tmpdir(), `memray-cli-run-browser-${Date.now()}.png`);
    await writeFile(file, shot);
    const stats = await page.evaluate(async (base64) => {
      // Runs in the page (the test's tsconfig has no DOM types).
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const { Image, document } = globalThis as any;
      const image = new Image();
      image.src = `data:image/png;base64,${base64}`;
      await image.decode();
      const canvas = document.createElement("canvas");
      canvas.width = image.width;
      canvas.height = image.height;
      const context = canvas.getContext("2d");
      context.drawImage(image, 0, 0);
      const { data } = context.getImageData(0, 0, image.width, image.height) as { data: Uint8ClampedArray };
      let sum = 0;
      let sumSquares = 0;
      let coloured = 0;
      const pixels = data.length / 4;
      for (let i = 0; i < data.length; i += 4) {
        const luminance = 0.299 * data[i]! + 0.587 * data[i + 1]! + 0.114 * data[i + 2]!;
        sum += luminance;
        sumSquares += luminance * luminance;
        if (Math.abs(data[i]! - data[i + 2]!) > 60) coloured += 1; // the blue line and points
      }
      const mean = sum / pixels;
      return { width: image.width as number, height: image.height as number, variance: sumSquares / pixels - mean * mean, coloured };
    }, shot.toString("base64"));
    expect(stats.width).toBeGreaterThan(300);
    expect(stats.variance, `screenshot ${file}`).toBeGreaterThan(100);
    expect(stats.coloured, `screenshot ${file}`).toBeGreaterThan(200);
    await page.screenshot({ path: path.join(os.tmpdir(), `memray-cli-run-page-${Date.now()}.png`), fullPage: true });
  });

  it("serves the run's reports from its directory", async () => {
    const run = runs[0]!;
    const response = await page.goto(`${url}runs/${path.basename(run.dir)}/summary.json`);
    expect(response?.status()).toBe(200);
    expect(JSON.parse(await response!.text()).run_id).toBe(run.summary.run_id);
    const flamegraph = await page.goto(`${url}runs/${path.basename(run.dir)}/flamegraph.html`);
    expect(flamegraph?.status()).toBe(200);
    expect(await readFile(path.join(cwd, run.dir, "flamegraph.html"), "utf8")).toContain(await flamegraph!.text().then((t) => t.slice(0, 200)));
    const escape = await page.goto(`${url}runs/${path.basename(run.dir)}/..%2F..%2Fpackage.json`);
    expect(escape?.status()).toBe(400);
  });

  it("compares two selected runs with the compare library's markdown, rendered", async () => {
    await page.goto(url);
    for (const run of runs) await page.locator(`input[name=run][value="${path.basename(run.dir)}"]`).check();
    await page.getByRole("button", { name: /compare/i }).click();
    await page.waitForURL(/\/compare\?/);
    expect(new URL(page.url()).searchParams.get("a")).toBe(path.basename(runs[0]!.dir));
    expect(await page.locator("#comparison h3").first().textContent()).toMatch(/memray-compare/);
    expect(await page.locator("#comparison table").count()).toBeGreaterThan(0);
  });

  it("fetched nothing from outside 127.0.0.1 (no CDN)", () => {
    expect(outside).toEqual([]);
  });
});
