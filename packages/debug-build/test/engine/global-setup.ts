import path from "node:path";
import { fileURLToPath } from "node:url";
import { spawn } from "node:child_process";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    /** The local Rust base image engine tests build in, or null when they are skipped. */
    rustBaseImage: string | null;
    /** Why engine tests are skipped. */
    engineSkipReason: string | null;
  }
}

export const RUST_BASE_IMAGE = "memray-rust-base:bookworm";
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../..");

/**
 * Engine tests need `docker info` and memray-rust-base:bookworm, which tools/images/rust-base.sh
 * builds (about a minute cold, a fraction of a second when up to date). Without an engine they are
 * skipped locally; in CI (CI set) a missing engine or a failed image build fails the run.
 */
export default async function setup(project: TestProject) {
  const skip = (reason: string) => {
    if (process.env.CI) throw new Error(`debug-build engine tests cannot run: ${reason}`);
    project.provide("rustBaseImage", null);
    project.provide("engineSkipReason", reason);
  };
  const info = await run("docker", ["info"], 20_000);
  if (info.code !== 0) return skip(`\`docker info\` failed (${info.output.trim().split("\n").at(-1)}); start one with bash tools/docker-engine.sh`);
  const built = await run("bash", [path.join(repoRoot, "tools/images/rust-base.sh")], 1_800_000);
  if (built.code !== 0) return skip(`tools/images/rust-base.sh failed:\n${built.output.trim().split("\n").slice(-15).join("\n")}`);
  project.provide("rustBaseImage", RUST_BASE_IMAGE);
  project.provide("engineSkipReason", null);
}

/** A command's exit code and combined output (no shell), killed after `timeoutMs`. */
export function run(command: string, args: string[], timeoutMs: number): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], timeout: timeoutMs });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.on("error", (error) => resolve({ code: -1, output: `${output}${error.message}` }));
    child.on("close", (code) => resolve({ code: code ?? -1, output }));
  });
}
