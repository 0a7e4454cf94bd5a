import { cp, mkdir, mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { expect } from "vitest";
import { repoRoot } from "../cli-runner.js";

/** The packages a user can install: every workspace package that is not private, by directory name. */
export async function publicPackages(): Promise<string[]> {
  const names: string[] = [];
  for (const entry of await readdir(path.join(repoRoot, "packages"), { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const manifest = JSON.parse(await readFile(path.join(repoRoot, "packages", entry.name, "package.json"), "utf8"));
    if (!manifest.private) names.push(entry.name); // private ones (test-support) never reach users
  }
  return names;
}

/**
 * The packages as users get them: `npm pack` of every public package, installed from the tarballs into
 * an empty ESM project outside the workspace (their dependencies from the registry), with a copy of
 * test-cases/. Returns the project's directory. Needs the packages built (dist/).
 */
export async function installPackedTarballs(): Promise<string> {
  const scratch = await mkdtemp(path.join(os.tmpdir(), "memray-tarballs-"));
  const tarballs = path.join(scratch, "tarballs");
  const project = path.join(scratch, "project");
  await mkdir(tarballs);
  await mkdir(project);
  const packages = await publicPackages();
  for (const name of packages) {
    await execa("npm", ["pack", "--pack-destination", tarballs, "--silent"], { cwd: path.join(repoRoot, "packages", name) });
  }
  await writeFile(path.join(project, "package.json"), JSON.stringify({ name: "tarball-check", private: true, type: "module" }));
  const files = (await readdir(tarballs)).map((file) => path.join(tarballs, file));
  expect(files.map((file) => path.basename(file)).sort()).toEqual(packages.map((name) => `alpiq-memray-${name}-0.1.0.tgz`).sort());
  const install = await execa("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", ...files], { cwd: project, reject: false });
  expect(install.exitCode, String(install.stderr)).toBe(0);
  await cp(path.join(repoRoot, "test-cases"), path.join(project, "test-cases"), { recursive: true });
  return project;
}

/** Run `node FILE` in the project; the last line of stdout parsed as JSON (the script's report). */
export async function runProjectScript(project: string, file: string, source: string): Promise<Record<string, unknown>> {
  await writeFile(path.join(project, file), source);
  const result = await execa(process.execPath, [file], { cwd: project, reject: false, env: { NO_COLOR: "1" } });
  expect(result.exitCode, `${file}: ${result.stderr}`).toBe(0);
  return JSON.parse(String(result.stdout).trim().split("\n").at(-1)!);
}
