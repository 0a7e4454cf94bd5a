import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import type { Summary } from "@alpiq/memray-core";
import { repoRoot, runCli, type CliRun } from "../cli-runner.js";

/**
 * Engine tests need the Docker engine and the fixture stack (`tools/stack up`, which tools/test.sh
 * runs first). Without them they are skipped locally, but fail in CI, where they must run.
 */
export async function engineReady(containers: string[]): Promise<boolean> {
  const result = await execa("docker", ["inspect", "-f", "{{.State.Running}}", ...containers], { reject: false });
  const ready = result.exitCode === 0 && String(result.stdout).split("\n").every((line) => line.trim() === "true");
  if (!ready && process.env.CI) {
    throw new Error(`engine tests need ${containers.join(", ")} running: run tools/stack up (${String(result.stderr).trim()})`);
  }
  if (!ready) console.warn(`skipping engine tests: ${containers.join(", ")} not running (tools/stack up)`);
  return ready;
}

/** Install memray with our own install command (idempotent), failing loudly if it cannot. */
export async function installMemray(container: string, cwd: string): Promise<void> {
  const run = await runCli(["install", "--target", container], cwd);
  if (run.exitCode !== 0) throw new Error(`memray-cli install --target ${container} failed (${run.exitCode}):\n${run.stderr}`);
}

/** Line number of the code line marked `# LEAK-LINE` in a fixture service (not the docstring's mention). */
export function leakLine(service: "forecast_service" | "optimization_service"): number {
  const lines = readFileSync(path.join(repoRoot, "tools/fixtures", service, "app.py"), "utf8").split("\n");
  const index = lines.findIndex((line) => /^\s+\S.*# LEAK-LINE\s*$/.test(line) && !line.includes("``"));
  if (index < 0) throw new Error(`no # LEAK-LINE in ${service}/app.py`);
  return index + 1;
}

export interface ProfiledRun extends CliRun {
  dir: string;
  summary: Summary;
}

/** `memray-cli profile ...` with --json; returns the run directory and its summary.json. */
export async function profile(args: string[], cwd: string): Promise<ProfiledRun> {
  const run = await runCli(["profile", ...args], cwd);
  const dir = path.join(cwd, run.lastLine.startsWith("{") ? JSON.parse(run.lastLine).run_dir : run.lastLine);
  let summary: Summary;
  try {
    summary = JSON.parse(await readFile(path.join(dir, "summary.json"), "utf8"));
  } catch (error) {
    throw new Error(`no summary.json after: profile ${args.join(" ")}\nexit ${run.exitCode}\n${run.stderr}`, { cause: error });
  }
  return { ...run, dir, summary };
}

/** A file of a run directory, as text. */
export async function readRunFile(dir: string, file: string): Promise<string> {
  return readFile(path.join(dir, file), "utf8");
}
