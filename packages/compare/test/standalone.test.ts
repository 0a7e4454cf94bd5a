import { execFile } from "node:child_process";
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { compareReportSchema } from "@alpiq/memray-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VERSION } from "../src/index.js";
import { cleanupTmpDirs, fakeSummary, fakeTableFor, tmpDir, writeRun } from "./fake-runs.js";
import { parseGithubOutput } from "./github-files.js";
import { ALLOC_LINE, harnessAvailable, makeHarnessRun, writeWorkload } from "./harness-runs.js";

// The standalone executable (Node's single executable application support): built by the package's own
// script (which skips when it is newer than its inputs), run under `env -i` — no PATH, so no node — and
// held to the npm bin: same stdout, stderr and exit code for the same arguments.

const exec = promisify(execFile);
const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const executable = path.join(packageDir, "dist", "standalone", "memray-compare");
const npmBin = path.join(packageDir, "bin", "memray-compare.mjs");
const supported = process.platform === "linux" && process.arch === "x64";

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

async function capture(file: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<Result> {
  try {
    const { stdout, stderr } = await exec(file, args, { ...options, encoding: "utf8" });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: unknown; stdout: string; stderr: string };
    if (typeof e.code !== "number") throw error;
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** `env -i [NAME=VALUE ...] memray-compare ARGS` in `cwd`: an empty environment, no node reachable. */
const standalone = (cwd: string, args: string[], env: Record<string, string> = {}) =>
  capture("/usr/bin/env", ["-i", ...Object.entries(env).map(([k, v]) => `${k}=${v}`), executable, ...args], { cwd });
/** The npm bin as npm links it, with node. */
const viaNpmBin = (cwd: string, args: string[]) => capture(process.execPath, [npmBin, ...args], { cwd, env: {} });

let root: string;

afterAll(cleanupTmpDirs);

describe.skipIf(!supported)("the standalone executable dist/standalone/memray-compare", () => {
  beforeAll(async () => {
    await exec(process.execPath, [path.join(packageDir, "scripts", "build-standalone.mjs")], { cwd: packageDir });
    root = await tmpDir("memray-compare-standalone-");
    await writeRun(root, "base", { summary: fakeSummary(20), table: fakeTableFor(20) });
    await writeRun(root, "plus30", { summary: fakeSummary(26), table: fakeTableFor(26) });
    await writeRun(root, "plus10", { summary: fakeSummary(22), table: fakeTableFor(22) });
    // Three noisy baseline runs, three candidates within their spread, three with a +50 MiB step.
    for (const [name, mb] of [
      ["a1", 20],
      ["a2", 14],
      ["a3", 28],
      ["n1", 25],
      ["n2", 17],
      ["n3", 27],
      ["s1", 70],
      ["s2", 64],
      ["s3", 78],
    ] as const) {
      await writeRun(root, name, { summary: fakeSummary(mb, { run_id: name }), table: fakeTableFor(mb) });
    }
    await writeRun(root, "seq", { summary: fakeSummary(20, { mode: "sequence" }), table: fakeTableFor(20) });
  }, 180_000);

  it("is an executable file that needs no Node installed: `env -i` has no PATH", async () => {
    const info = await stat(executable);
    expect(info.mode & 0o111).not.toBe(0);
    // An ELF file, not a script with a shebang that would need node.
    expect((await readFile(executable)).subarray(0, 4)).toEqual(Buffer.from([0x7f, 0x45, 0x4c, 0x46]));
    const version = await standalone(root, ["--version"]);
    expect(version).toEqual({ code: 0, stdout: `${VERSION}\n`, stderr: "" });
  });

  it.each([
    ["a regression: exit 1", ["base", "plus30"], 1],
    ["10% growth: exit 0", ["base", "plus10"], 0],
    ["markdown", ["base", "plus30", "--format", "markdown"], 1],
    ["json", ["base", "plus10", "--format", "json"], 0],
    ["a missing run: exit 2", ["base", "nowhere"], 2],
    ["a malformed flag: exit 2", ["base", "plus30", "--threshold", "lots"], 2],
    ["no runs: exit 2", [], 2],
    ["three runs a side, noise within the baseline's spread: exit 0", ["--baseline", "a1", "a2", "a3", "--candidate", "n1", "n2", "n3"], 0],
    ["three runs a side, a +50 MiB step: exit 1", ["--baseline", "a1", "a2", "a3", "--candidate", "s1", "s2", "s3", "-f", "markdown"], 1],
    ["runs of two modes in one side: exit 2", ["--baseline", "a1", "seq", "--candidate", "s1"], 2],
    ["both forms at once: exit 2", ["a1", "--baseline", "a2", "--candidate", "s1"], 2],
    ["help", ["--help"], 0],
  ])("%s — the same output and exit code as the npm bin", async (_name, args, code) => {
    const [alone, bin] = await Promise.all([standalone(root, args as string[]), viaNpmBin(root, args as string[])]);
    expect(alone.code).toBe(code);
    expect(alone).toEqual(bin);
    if (code === 2) {
      expect(alone.stdout).toBe("");
      expect(alone.stderr).toMatch(/^memray-compare: /);
    } else {
      expect(alone.stderr).toBe("");
    }
  });

  it("names the flag or the run in its exit-2 messages", async () => {
    expect((await standalone(root, ["base", "nowhere"])).stderr).toContain("candidate run nowhere does not exist");
    expect((await standalone(root, ["base", "plus30", "--threshold", "lots"])).stderr).toContain("--threshold");
  });

  it("in GitHub Actions (only GITHUB_OUTPUT and GITHUB_STEP_SUMMARY in its environment) it writes the outputs", async () => {
    const output = path.join(root, "github-output");
    const summary = path.join(root, "step-summary");
    const r = await standalone(root, ["--baseline", "a1", "a2", "a3", "--candidate", "s1", "s2", "s3"], {
      GITHUB_OUTPUT: output,
      GITHUB_STEP_SUMMARY: summary,
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("every candidate run above every baseline run");
    const outputs = parseGithubOutput(await readFile(output, "utf8"));
    expect(outputs).toMatchObject({ regression: "true", candidate: ["s1", "s2", "s3"].map((n) => path.join(root, n)).join("\n") });
    expect(await readFile(summary, "utf8")).toMatch(/^### memray-compare: ❌ memory regression/);
  });

  it("its JSON report validates against core's schema", async () => {
    const r = await standalone(root, ["base", "plus30", "--format", "json"]);
    const report = compareReportSchema.parse(JSON.parse(r.stdout));
    expect(report).toMatchObject({ regression: true, exit_code: 1 });
    expect(report.regressions.map((x) => x.metric)).toContain("tracemalloc_peak");
  });
});

const realRuns = supported && (await harnessAvailable());

describe.skipIf(!realRuns)("the standalone executable on runs made by the real harness", () => {
  let real: string;
  beforeAll(async () => {
    real = await tmpDir("memray-compare-standalone-real-");
    await writeWorkload(real);
    await Promise.all([makeHarnessRun(real, "base", 20), makeHarnessRun(real, "plus30", 26), makeHarnessRun(real, "again", 20)]);
  }, 180_000);

  it("exit 1 naming the allocation line that grew; exit 0 for the same workload again", async () => {
    const regression = await standalone(real, ["base", "plus30"]);
    expect(regression.code).toBe(1);
    expect(regression.stdout).toMatch(new RegExp(`grew most at \\S*workload\\.py:${ALLOC_LINE} \\(allocate\\) \\+6\\.0 MiB`));
    expect(regression).toEqual(await viaNpmBin(real, ["base", "plus30"]));
    const again = await standalone(real, ["base", "again"]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("No change");
  });
});
