import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { compareReportSchema } from "@alpiq/memray-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatGithubOutput, runCompareCommand } from "../src/index.js";
import { captureIo, cleanupTmpDirs, fakeSummary, fakeTableFor, tmpDir, writeRun } from "./fake-runs.js";
import { parseGithubOutput } from "./github-files.js";

let root: string;

beforeAll(async () => {
  root = await tmpDir("memray-compare-github-");
  for (const [name, mb] of [
    ["a1", 20],
    ["a2", 22],
    ["a3", 19],
    ["b1", 26],
    ["b2", 27],
    ["b3", 25],
    ["same", 20],
  ] as const) {
    await writeRun(root, name, { summary: fakeSummary(mb, { run_id: name }), table: fakeTableFor(mb) });
  }
});

afterAll(cleanupTmpDirs);

async function run(argv: string[], env: Record<string, string>, appendFile?: (file: string, text: string) => Promise<void>) {
  const { io, out } = captureIo(root, { env });
  const code = await runCompareCommand(argv, { ...io, ...(appendFile ? { appendFile } : {}) });
  return { code, ...out };
}

async function githubFiles(name: string) {
  const dir = path.join(root, name);
  await mkdir(dir, { recursive: true });
  const summary = path.join(dir, "step-summary.md");
  const output = path.join(dir, "output.txt");
  // GitHub's runner hands each step files that other steps may have written to already: append, never truncate.
  await writeFile(summary, "## earlier step\n");
  await writeFile(output, "earlier=kept\n");
  return { summary, output, env: { GITHUB_STEP_SUMMARY: summary, GITHUB_OUTPUT: output } };
}

describe("GitHub Actions conventions", () => {
  it("appends the markdown report to GITHUB_STEP_SUMMARY and the outputs to GITHUB_OUTPUT, whatever --format", async () => {
    const files = await githubFiles("regression");
    const argv = ["--baseline", "a1", "a2", "a3", "--candidate", "b1", "b2", "b3"];
    const r = await run([...argv, "--format", "json"], files.env);
    expect(r.code).toBe(1);
    const report = compareReportSchema.parse(JSON.parse(r.stdout));

    const summary = await readFile(files.summary, "utf8");
    expect(summary.startsWith("## earlier step\n### memray-compare: ❌ memory regression\n")).toBe(true);
    const markdown = await run([...argv, "--format", "markdown"], {});
    expect(summary).toBe(`## earlier step\n${markdown.stdout}\n`);

    const text = await readFile(files.output, "utf8");
    const outputs = parseGithubOutput(text);
    const gatedPcts = report.metrics.filter((m) => m.gated && m.delta_pct !== null).map((m) => m.delta_pct!);
    expect(outputs).toEqual({
      earlier: "kept",
      regression: "true",
      max_growth_percent: Math.max(...gatedPcts).toFixed(1),
      baseline: ["a1", "a2", "a3"].map((n) => path.join(root, n)).join("\n"),
      candidate: ["b1", "b2", "b3"].map((n) => path.join(root, n)).join("\n"),
    });
    // The multi-line values use the heredoc form, each with its own delimiter.
    expect(text).toMatch(/^baseline<<ghadelimiter_[0-9a-f-]{36}$/m);
    expect(Number(outputs["max_growth_percent"])).toBeGreaterThan(20);
  });

  it("two runs: single-line outputs, regression=false when none", async () => {
    const files = await githubFiles("fine");
    const r = await run(["a1", "same"], files.env);
    expect(r.code).toBe(0);
    const text = await readFile(files.output, "utf8");
    expect(text).toBe(`earlier=kept\nregression=false\nmax_growth_percent=0.0\nbaseline=${path.join(root, "a1")}\ncandidate=${path.join(root, "same")}\n`);
    expect(await readFile(files.summary, "utf8")).toContain("### memray-compare: ✅ no change");
  });

  it("outside Actions (variables unset or empty) nothing is written", async () => {
    const appended: string[] = [];
    const spy = async (file: string) => void appended.push(file);
    expect((await run(["a1", "b1"], {}, spy)).code).toBe(1);
    expect((await run(["a1", "b1"], { GITHUB_OUTPUT: "", GITHUB_STEP_SUMMARY: "" }, spy)).code).toBe(1);
    expect(appended).toEqual([]);
  });

  it("bad input writes no outputs; an unwritable GITHUB_OUTPUT exits 2 naming the variable", async () => {
    const files = await githubFiles("bad");
    expect((await run(["a1", "nowhere"], files.env)).code).toBe(2);
    expect(await readFile(files.output, "utf8")).toBe("earlier=kept\n");
    const r = await run(["a1", "b1"], { GITHUB_OUTPUT: path.join(root, "no-such-dir", "out.txt") });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^memray-compare: GITHUB_OUTPUT: cannot append to .*no-such-dir\/out\.txt/);
  });

  it("formats GitHub's two output forms, choosing a delimiter absent from the value", () => {
    expect(formatGithubOutput("regression", "true")).toBe("regression=true\n");
    const delimiters = ["EOF", "EOF", "X"];
    expect(formatGithubOutput("dirs", "a\nEOF\nb", () => delimiters.shift()!)).toBe("dirs<<X\na\nEOF\nb\nX\n");
  });
});
