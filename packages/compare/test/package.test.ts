import { execFile } from "node:child_process";
import { mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { VERSION } from "../src/index.js";
import { fakeSummary, cleanupTmpDirs, tmpDir, writeRun } from "./fake-runs.js";

const exec = promisify(execFile);
const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

afterAll(cleanupTmpDirs);

describe("the @alpiq/memray-compare package", () => {
  it("declares the bin and its version", async () => {
    const pkg = JSON.parse(await readFile(path.join(packageDir, "package.json"), "utf8"));
    expect(pkg.version).toBe(VERSION);
    // bin/ is a launcher that loads dist/ (so `npx memray-compare` works in a fresh clone before a build says why);
    // written without "./", which npm publish would otherwise "correct" by dropping the bin.
    expect(pkg.bin).toEqual({ "memray-compare": "bin/memray-compare.mjs" });
    expect(pkg.files).toEqual(expect.arrayContaining(["bin", "dist"]));
  });

  it("the packed tarball's bin works when installed alone (no dependencies present)", async () => {
    const work = await tmpDir("memray-compare-pack-");
    const { stdout } = await exec("npm", ["pack", "--json", "--pack-destination", work], { cwd: packageDir });
    const [packed] = JSON.parse(stdout) as [{ filename: string; files: { path: string }[] }];
    expect(packed.files.map((f) => f.path)).toEqual(expect.arrayContaining(["dist/memray-compare.mjs", "dist/index.js", "package.json"]));
    // The standalone executable (~100 MB, a Node binary) is built on demand and never published.
    expect(packed.files.filter((f) => f.path.startsWith("dist/standalone"))).toEqual([]);
    const installed = path.join(work, "node_modules", "@alpiq", "memray-compare");
    await mkdir(installed, { recursive: true });
    await exec("tar", ["-xzf", path.join(work, packed.filename), "-C", installed, "--strip-components=1"]);
    await writeRun(work, "a", { summary: fakeSummary(20) });
    const bin = path.join(installed, "dist", "memray-compare.mjs");
    const result = await exec(process.execPath, [bin, "a", "a"], { cwd: work });
    expect(result.stdout).toContain("No change");
    expect((await exec(process.execPath, [bin, "--version"], { cwd: work })).stdout.trim()).toBe(VERSION);
  });
});
