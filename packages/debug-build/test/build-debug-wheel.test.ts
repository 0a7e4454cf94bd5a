import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createDockerClient } from "@alpiq/memray-docker";
import { beforeEach, describe, expect, it } from "vitest";
import { buildDebugWheel, type DebugBuildProgress } from "../src/build-debug-wheel.js";
import { demoWheel, extensionModule } from "@alpiq/memray-test-support";
import { fakeDocker } from "./helpers/fake-docker.js";

const BASE = "memray-rust-base:bookworm";
const WHEEL = "pyo3_demo-0.1.0-cp39-abi3-linux_x86_64.whl";
let source: string;
let cacheDir: string;

beforeEach(async () => {
  const root = await mkdtemp(path.join(os.tmpdir(), "build-debug-wheel-"));
  source = path.join(root, "pyo3_demo");
  cacheDir = path.join(root, "cache");
  const files: Record<string, string> = {
    "pyproject.toml": '[build-system]\nbuild-backend = "maturin"\n[project]\nname = "pyo3-demo"\n',
    "Cargo.toml": '[package]\nname = "pyo3_demo"\n',
    "src/lib.rs": "// demo\n",
    ".gitignore": "/target/\n",
    "target/release/libpyo3_demo.so": "not sent",
  };
  for (const [name, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(source, name)), { recursive: true });
    await writeFile(path.join(source, name), text);
  }
});

const wheelFiles = { wheel: { name: WHEEL, data: demoWheel(extensionModule(true)) } };

describe("buildDebugWheel", () => {
  it("builds the toolchain image once and the wheel in Docker, saves build.log next to the wheel, verifies and caches it", async () => {
    const fake = fakeDocker({ images: { [BASE]: "sha256:base" }, ...wheelFiles });
    const events: DebugBuildProgress[] = [];
    const result = await buildDebugWheel({
      source,
      config: { baseImage: BASE },
      cacheDir,
      docker: fake.docker,
      caBundle: null,
      jobs: 1,
      onProgress: (e) => events.push(e),
    });

    expect(fake.builds).toHaveLength(2);
    const [toolchain, wheel] = fake.builds;
    expect(toolchain!.dockerfileText).toContain(`FROM ${BASE}\n`);
    expect(toolchain!.files).toEqual([".memray-debug-build/Dockerfile"]);
    expect(toolchain!.tag).toMatch(/^memray-debug-build\/toolchain:[0-9a-f]{16}$/);
    expect(wheel!.dockerfileText).toContain(`FROM ${toolchain!.tag}\n`);
    expect(wheel!.files.sort()).toEqual([".gitignore", ".memray-debug-build/Dockerfile", "Cargo.toml", "pyproject.toml", "src/lib.rs"]);
    expect(wheel!).toMatchObject({ platform: "linux/amd64", networkmode: "host", buildargs: { MEMRAY_BUILD_ID: result.key, CARGO_BUILD_JOBS: "1" } });

    expect(result).toMatchObject({ cached: false, project: "pyo3-demo", debugSections: { ".debug_info": 4000, ".debug_line": 1500 } });
    expect(result.key).toMatch(/^[0-9a-f]{16}$/);
    expect(result.wheel).toBe(path.join(cacheDir, `pyo3-demo-${result.key}`, WHEEL));
    expect(result.buildLog).toBe(path.join(cacheDir, `pyo3-demo-${result.key}`, "build.log"));
    const log = await readFile(result.buildLog, "utf8");
    expect(log).toContain(`Successfully tagged ${wheel!.tag}`);
    expect(log).toContain(" ---> 0123456789ab");
    const outputs = events.filter((e) => e.type === "output").map((e) => (e as { line: string }).line);
    expect(outputs).toContain("Step 1/9 : FROM base");
    expect(outputs).toContain("   Compiling pyo3 v0.26.0"); // the builder's ANSI colours are dropped
    expect(outputs.some((line) => line.startsWith(" ---> "))).toBe(false);
    expect(events.filter((e) => e.type === "step").map((e) => (e as { step: string }).step)).toEqual(
      expect.arrayContaining(["source", "cache", "engine", "base-image", "toolchain", "build", "extract", "verify"]),
    );
    // The wheel image is removed after the wheel was copied out; the toolchain stays for the next build.
    expect(fake.removed).toEqual([wheel!.tag]);
    expect(fake.images.has(toolchain!.tag)).toBe(true);
    expect((await readdir(cacheDir)).sort()).toEqual([`pyo3-demo-${result.key}`]);
  });

  it("returns the cached wheel for the same source and config without touching the engine; --rebuild builds again", async () => {
    const fake = fakeDocker({ images: { [BASE]: "sha256:base" }, ...wheelFiles });
    const first = await buildDebugWheel({ source, config: { baseImage: BASE }, cacheDir, docker: fake.docker, caBundle: null });
    const pings = fake.calls.ping;

    const second = await buildDebugWheel({ source, config: { baseImage: BASE }, cacheDir, docker: fake.docker, caBundle: null });
    expect(second).toMatchObject({ cached: true, key: first.key, wheel: first.wheel, debugSections: first.debugSections });
    expect(fake.calls.ping).toBe(pings);
    expect(fake.builds).toHaveLength(2);

    const rebuilt = await buildDebugWheel({ source, config: { baseImage: BASE }, cacheDir, docker: fake.docker, caBundle: null, rebuild: true });
    expect(rebuilt).toMatchObject({ cached: false, key: first.key, wheel: first.wheel });
    expect(fake.builds).toHaveLength(3); // the toolchain image was reused
    expect(fake.builds[2]!.buildargs.MEMRAY_BUILD_ID).toMatch(new RegExp(`^${first.key}-[0-9a-f]{8}$`));

    // Another config or changed source: another key, another build.
    await writeFile(path.join(source, "src/lib.rs"), "// changed\n");
    const changed = await buildDebugWheel({ source, config: { baseImage: BASE }, cacheDir, docker: fake.docker, caBundle: null });
    expect(changed.cached).toBe(false);
    expect(changed.key).not.toBe(first.key);
    // A target/ change is not a source change.
    await writeFile(path.join(source, "target/release/libpyo3_demo.so"), "rebuilt");
    expect((await buildDebugWheel({ source, config: { baseImage: BASE }, cacheDir, docker: fake.docker, caBundle: null })).cached).toBe(true);
  });

  it("a failing cargo build: exit 1 with the log's tail, the whole log saved, the cache untouched", async () => {
    const fake = fakeDocker({ images: { [BASE]: "sha256:base" }, ...wheelFiles });
    const cached = await buildDebugWheel({ source, config: { baseImage: BASE }, cacheDir, docker: fake.docker, caBundle: null });
    const cargoError = Array.from({ length: 60 }, (_, i) => `   Compiling crate${i} v0.1.0`).concat([
      "error[E0425]: cannot find value `x` in this scope",
      " --> src/lib.rs:2:5",
    ]);
    const failing = fakeDocker({
      images: Object.fromEntries(fakeImages(fake)),
      failBuild: { when: "maturin build", lines: cargoError, error: "The command '/bin/sh -c set -eu; ...' returned a non-zero code: 1" },
    });
    const error = await buildDebugWheel({ source, config: { baseImage: BASE }, cacheDir, docker: failing.docker, caBundle: null, rebuild: true }).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: "DEBUG_BUILD_FAILED", exitCode: 1 });
    const message = (error as Error).message;
    expect(message).toContain("the build step exited with code 1");
    expect(message).toContain("error[E0425]: cannot find value `x` in this scope");
    expect(message).not.toContain("crate0 v0.1.0"); // only the tail
    const logPath = path.join(cacheDir, "failed", `pyo3-demo-${cached.key}`, "build.log");
    expect(message).toContain(`whole build log: ${logPath}`);
    expect(await readFile(logPath, "utf8")).toContain("Compiling crate0 v0.1.0");
    // The cached wheel of this key is still there, nothing else was added.
    expect(existsSync(cached.wheel)).toBe(true);
    expect((await readdir(cacheDir)).sort()).toEqual(["failed", `pyo3-demo-${cached.key}`]);
    expect(failing.calls.prune).toBe(1);
    const again = await buildDebugWheel({ source, config: { baseImage: BASE }, cacheDir, docker: failing.docker, caBundle: null });
    expect(again.cached).toBe(true);
  });

  it("a base image that is not local and cannot be pulled: exit 3, naming the image and how to provide one", async () => {
    const fake = fakeDocker({ images: {}, ...wheelFiles });
    const error = await buildDebugWheel({ source, config: { baseImage: "rust:1.88.0-bookworm" }, cacheDir, docker: fake.docker, caBundle: null }).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: "BASE_IMAGE_UNAVAILABLE", exitCode: 3 });
    expect((error as Error).message).toMatch(
      /base image rust:1\.88\.0-bookworm is not on this Docker engine and cannot be pulled: docker pull failed: .*no such host/,
    );
    expect((error as Error).message).toContain("tools/images/rust-base.sh");
    expect((error as Error).message).toContain("--base-image memray-rust-base:bookworm");
    expect(fake.calls.pull).toEqual(["rust:1.88.0-bookworm"]);
    expect(await readdir(cacheDir)).toEqual([]);
  });

  it("no engine: exit 3 (a fake that cannot ping, and a real client at a socket that does not exist)", async () => {
    const fake = fakeDocker({ noEngine: true });
    await expect(buildDebugWheel({ source, cacheDir, docker: fake.docker, caBundle: null })).rejects.toMatchObject({
      code: "DOCKER_ENGINE_UNAVAILABLE",
      exitCode: 3,
    });
    const real = createDockerClient({ DOCKER_HOST: "unix:///nonexistent.sock" });
    const error = await buildDebugWheel({ source, cacheDir, docker: real, caBundle: null }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "DOCKER_ENGINE_UNAVAILABLE", exitCode: 3 });
    expect((error as Error).message).toContain("unix:///nonexistent.sock");
  });

  it("a source without pyproject.toml or Cargo.toml: exit 2 before anything runs", async () => {
    const fake = fakeDocker();
    const empty = await mkdtemp(path.join(os.tmpdir(), "not-a-crate-"));
    await expect(buildDebugWheel({ source: empty, cacheDir, docker: fake.docker })).rejects.toMatchObject({ code: "DEBUG_BUILD_SOURCE_INVALID", exitCode: 2 });
    expect(fake.calls.ping).toBe(0);
  });

  it("a built wheel without .debug_info is not cached: exit 1, the wheel and log kept under failed/", async () => {
    const fake = fakeDocker({ images: { [BASE]: "sha256:base" }, wheel: { name: WHEEL, data: demoWheel(extensionModule(false)) } });
    const error = await buildDebugWheel({ source, config: { baseImage: BASE }, cacheDir, docker: fake.docker, caBundle: null }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "DEBUG_INFO_MISSING", exitCode: 1 });
    expect((error as Error).message).toMatch(/failed\/pyo3-demo-[0-9a-f]{16}\/pyo3_demo-0\.1\.0-cp39-abi3-linux_x86_64\.whl/);
    expect(await readdir(cacheDir)).toEqual(["failed"]);
    // A control build (debugInfo 0) is inspected, not required to carry DWARF.
    const control = await buildDebugWheel({ source, config: { baseImage: BASE, debugInfo: 0 }, cacheDir, docker: fake.docker, caBundle: null });
    expect(control).toMatchObject({ cached: false, debugSections: {} });
    expect(fake.builds.at(-1)!.dockerfileText).toContain("CARGO_PROFILE_RELEASE_DEBUG=0");
  });

  it("copies the CA bundle and the libraries into the toolchain context; a missing library is exit 2", async () => {
    const fake = fakeDocker({ images: { [BASE]: "sha256:base" }, ...wheelFiles });
    const lib = path.join(path.dirname(source), "libduckdb.so");
    const ca = path.join(path.dirname(source), "ca.crt");
    await writeFile(lib, "ELF");
    await writeFile(ca, "-----BEGIN CERTIFICATE-----\n");
    await buildDebugWheel({ source, config: { baseImage: BASE, copyLibs: [lib] }, cacheDir, docker: fake.docker, caBundle: ca });
    expect(fake.builds[0]!.files.sort()).toEqual([
      ".memray-debug-build/Dockerfile",
      ".memray-debug-build/ca-bundle.crt",
      ".memray-debug-build/lib/libduckdb.so",
    ]);
    expect(fake.builds[0]!.dockerfileText).toContain("COPY .memray-debug-build/lib/ /usr/local/lib/");
    await expect(buildDebugWheel({ source, config: { copyLibs: ["/nonexistent/libduckdb.so"] }, cacheDir, docker: fake.docker })).rejects.toMatchObject({
      code: "INVALID_OPTION",
      exitCode: 2,
    });
  });
});

function fakeImages(fake: ReturnType<typeof fakeDocker>): Array<[string, string]> {
  return [...fake.images.entries()];
}
