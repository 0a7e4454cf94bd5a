import { execFile } from "node:child_process";
import { copyFile, mkdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { compareReportSchema } from "@alpiq/memray-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fakeSummary, fakeTableFor, cleanupTmpDirs, tmpDir, writeRun } from "./fake-runs.js";

const exec = promisify(execFile);
const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const bundle = path.join(packageDir, "dist", "memray-compare.mjs");

/** Run `node memray-compare.mjs ...` in `cwd`; returns exit code and output. */
async function node(cwd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, ["memray-compare.mjs", ...args], { cwd, env: { PATH: process.env["PATH"] ?? "" } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

let dir: string;

beforeAll(async () => {
  // The bundle is built by `npm run build` (nx runs it before `test`); build it here when missing.
  const built = await stat(bundle).catch(() => null);
  if (!built) await exec("npx", ["tsup"], { cwd: packageDir });
  // A directory with no node_modules anywhere above it that could resolve zod or core.
  dir = path.join(await tmpDir("memray-compare-bundle-"), "ci");
  await mkdir(dir);
  await copyFile(bundle, path.join(dir, "memray-compare.mjs"));
  await writeRun(dir, "a", { summary: fakeSummary(20), table: fakeTableFor(20) });
  await writeRun(dir, "b", { summary: fakeSummary(26), table: fakeTableFor(26) });
  await writeRun(dir, "c", { summary: fakeSummary(22), table: fakeTableFor(22) });
}, 120_000);

async function nodeModulesAbove(start: string): Promise<string[]> {
  const found: string[] = [];
  for (let d = start; ; d = path.dirname(d)) {
    if (await stat(path.join(d, "node_modules")).catch(() => null)) found.push(d);
    if (path.dirname(d) === d) return found;
  }
}

afterAll(cleanupTmpDirs);

describe("the single-file bundle dist/memray-compare.mjs", () => {
  it("starts with a node shebang", async () => {
    expect((await readFile(bundle, "utf8")).startsWith("#!/usr/bin/env node\n")).toBe(true);
  });

  it("runs with plain node from a directory without node_modules", async () => {
    expect(await nodeModulesAbove(dir)).toEqual([]);
    const regression = await node(dir, ["a", "b"]);
    expect(regression.stderr).toBe("");
    expect(regression.code).toBe(1);
    expect(regression.stdout).toContain("tracemalloc_peak grew +30.0%");
    expect(regression.stdout).toContain("workload.py:4");

    const fine = await node(dir, ["a", "c"]);
    expect(fine.code).toBe(0);

    const json = await node(dir, ["a", "a", "--format", "json"]);
    expect(json.code).toBe(0);
    expect(compareReportSchema.parse(JSON.parse(json.stdout))).toMatchObject({ same_run: true, changed: false });
  });

  it("exits 2 on bad input", async () => {
    const missing = await node(dir, ["a", "nowhere"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("nowhere does not exist");
    const threshold = await node(dir, ["a", "b", "--threshold", "x%"]);
    expect(threshold.code).toBe(2);
    expect(threshold.stderr).toContain("--threshold");
  });
});
