import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createDockerClient } from "@alpiq/memray-docker";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { buildDebugWheel } from "../../src/build-debug-wheel.js";
import { BaseImageUnavailableError, DebugBuildFailedError } from "../../src/errors.js";

const baseImage = inject("rustBaseImage");
const skipReason = inject("engineSkipReason");
if (!baseImage) console.warn(`skipping debug-build engine tests: ${skipReason}`);

/** A maturin project whose cargo build fails fast (a `bin` crate with a type error, no dependencies). */
async function brokenCrate(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "broken-crate-"));
  await mkdir(path.join(dir, "src"));
  await writeFile(path.join(dir, "Cargo.toml"), '[package]\nname = "broken_demo"\nversion = "0.1.0"\nedition = "2021"\n');
  await writeFile(
    path.join(dir, "pyproject.toml"),
    '[build-system]\nrequires = ["maturin>=1.9,<2.0"]\nbuild-backend = "maturin"\n\n[project]\nname = "broken-demo"\nversion = "0.1.0"\n\n[tool.maturin]\nbindings = "bin"\n',
  );
  await writeFile(path.join(dir, "src/main.rs"), 'fn main() {\n    let x: u32 = "not a number";\n    println!("{x}");\n}\n');
  return dir;
}

describe.runIf(baseImage)("buildDebugWheel against the real engine", () => {
  const docker = createDockerClient();
  let cacheDir: string;

  beforeAll(async () => {
    cacheDir = await mkdtemp(path.join(os.tmpdir(), "debug-build-engine-cache-"));
  });
  afterAll(() => rm(cacheDir, { recursive: true, force: true }));

  it("a failing cargo build: DEBUG_BUILD_FAILED with cargo's error in the tail, the whole log saved, no cache entry", async () => {
    const source = await brokenCrate();
    const lines: string[] = [];
    const error = await buildDebugWheel({
      source,
      config: { baseImage: baseImage! },
      cacheDir,
      docker,
      jobs: 1,
      onProgress: (e) => e.type === "output" && lines.push(e.line),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DebugBuildFailedError);
    const failure = error as DebugBuildFailedError;
    expect(failure.exitCode).toBe(1);
    expect(failure.message).toContain("error[E0308]: mismatched types");
    expect(failure.message).toContain("the build step exited with code 1");
    expect(failure.buildLog).toMatch(new RegExp(`^${cacheDir}/failed/broken-demo-[0-9a-f]{16}/build\\.log$`));
    const log = await readFile(failure.buildLog!, "utf8");
    expect(log).toContain("Step 1/");
    expect(log).toContain("Compiling broken_demo v0.1.0 (/src)");
    expect(log).toContain("error[E0308]: mismatched types");
    expect(lines).toContain("   Compiling broken_demo v0.1.0 (/src)");
    expect(await readdir(cacheDir)).toEqual(["failed"]);
    // No wheel image of this key is left, tagged or dangling.
    const key = /broken-demo-([0-9a-f]{16})/.exec(failure.buildLog!)![1]!;
    const left = await docker.listImages({ all: true, filters: { label: [`org.memray-cli.debug-build.wheel=${key}`] } });
    expect(left).toEqual([]);
  });

  it("a base image that is neither local nor pullable: BASE_IMAGE_UNAVAILABLE (exit 3) naming it and how to provide one", async () => {
    const source = await brokenCrate();
    const image = "memray-test-no-such/rust:0.0.0-bookworm";
    const error = await buildDebugWheel({ source, config: { baseImage: image }, cacheDir, docker, pullTimeoutMs: 60_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BaseImageUnavailableError);
    expect(error).toMatchObject({ exitCode: 3, image });
    expect((error as Error).message).toContain(`The base image ${image} is not on this Docker engine and cannot be pulled`);
    expect((error as Error).message).toContain("bash tools/images/rust-base.sh");
    expect(existsSync(path.join(cacheDir, "failed", "broken-demo"))).toBe(false);
  });
});
