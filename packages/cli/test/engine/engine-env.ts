import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import { skipOrFail } from "@alpiq/memray-test-support";
import { profileRun, repoRoot, runCli, type ProfiledRun } from "../cli-runner.js";

/**
 * Engine tests need the Docker engine and the fixture stack (`tools/stack up`, which tools/test.sh
 * runs first). Without them they are skipped locally, but fail in CI, where they must run.
 */
export async function engineReady(containers: string[]): Promise<boolean> {
  const result = await execa("docker", ["inspect", "-f", "{{.State.Running}}", ...containers], { reject: false });
  const ready =
    result.exitCode === 0 &&
    String(result.stdout)
      .split("\n")
      .every((line) => line.trim() === "true");
  const stderr = String(result.stderr).trim();
  return ready || skipOrFail("engine tests", `${containers.join(", ")} not running${stderr ? ` (${stderr})` : ""}`, "tools/stack up");
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

/** `memray-cli profile ...` against the engine; returns the run directory and its summary.json. */
export function profile(args: string[], cwd: string): Promise<ProfiledRun> {
  return profileRun(args, cwd);
}

/** A file of a run directory, as text. */
export async function readRunFile(dir: string, file: string): Promise<string> {
  return readFile(path.join(dir, file), "utf8");
}
