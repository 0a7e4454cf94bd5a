import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { cacheKey, parseBuildConfig, sourceRevision, WheelCache } from "@alpiq/memray-debug-build";
import { beforeAll, describe, expect, it } from "vitest";
import { syntheticWheel } from "./helpers/synthetic-wheel.js";
import { runCli } from "./cli-runner.js";
import { RECIPES, translateRecipe, parseRecipeVars } from "../src/recipes.js";

const NO_ENGINE = { DOCKER_HOST: "unix:///nonexistent.sock" };
let cwd: string;

async function crate(dir: string): Promise<string> {
  await mkdir(path.join(dir, "src"), { recursive: true });
  await writeFile(
    path.join(dir, "pyproject.toml"),
    '[build-system]\nrequires = ["maturin>=1.9,<2.0"]\nbuild-backend = "maturin"\n\n[project]\nname = "pyo3-demo"\nversion = "0.1.0"\n',
  );
  await writeFile(path.join(dir, "Cargo.toml"), '[package]\nname = "pyo3_demo"\nversion = "0.1.0"\n');
  await writeFile(path.join(dir, "src/lib.rs"), "// demo\n");
  return dir;
}

beforeAll(async () => {
  cwd = await mkdtemp(path.join(os.tmpdir(), "memray-cli-debug-build-"));
  await writeFile(path.join(cwd, "debug.whl"), syntheticWheel(true));
  await writeFile(path.join(cwd, "nodebug.whl"), syntheticWheel(false));
});

describe("memray-cli debug-build: bad input without an engine", () => {
  it("a source without pyproject.toml or Cargo.toml exits 2 and says what is missing", async () => {
    await mkdir(path.join(cwd, "empty"), { recursive: true });
    const run = await runCli(["debug-build", "--source", "empty"], cwd, NO_ENGINE);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(/empty is not a maturin\/PyO3 project: it has neither pyproject.toml nor Cargo.toml/);
    const onlyCargo = path.join(cwd, "only-cargo");
    await mkdir(onlyCargo, { recursive: true });
    await writeFile(path.join(onlyCargo, "Cargo.toml"), "[package]\n");
    const second = await runCli(["debug-build", "--source", onlyCargo], cwd, NO_ENGINE);
    expect(second.exitCode).toBe(2);
    expect(second.stderr).toMatch(/has a Cargo.toml but no pyproject.toml/);
  });

  it("no --source, or a malformed --base-image / --apt-package, exits 2 naming the flag", async () => {
    const none = await runCli(["debug-build"], cwd);
    expect(none.exitCode).toBe(2);
    expect(none.stderr).toMatch(/debug-build needs --source DIR/);
    await crate(path.join(cwd, "demo"));
    const image = await runCli(["debug-build", "--source", "demo", "--base-image", "Bad Image"], cwd, NO_ENGINE);
    expect(image.exitCode).toBe(2);
    expect(image.stderr).toMatch(/--base-image expects a Docker image reference.*received "Bad Image"/);
    const apt = await runCli(["debug-build", "--source", "demo", "--apt-package", "libssl-dev", "--apt-package", "a;b"], cwd, NO_ENGINE);
    expect(apt.exitCode).toBe(2);
    expect(apt.stderr).toMatch(/--apt-package expects Debian package names/);
    const lib = await runCli(["debug-build", "--source", "demo", "--copy-lib", "libduckdb.so"], cwd, NO_ENGINE);
    expect(lib.exitCode).toBe(2);
    expect(lib.stderr).toMatch(/--copy-lib: libduckdb.so does not exist/);
  });

  it("no engine exits 3 naming the endpoint, and leaves no cache entry", async () => {
    await crate(path.join(cwd, "demo"));
    const run = await runCli(["debug-build", "--source", "demo", "--cache-dir", "cache-no-engine"], cwd, NO_ENGINE);
    expect(run.exitCode).toBe(3);
    expect(run.stderr).toMatch(/No Docker engine answers at unix:\/\/\/nonexistent\.sock/);
    expect(run.stdout).toBe("");
  });

  it("a cached wheel comes back without an engine, with --json {wheel, cached, key, debug_sections}", async () => {
    const source = await crate(path.join(cwd, "cached-demo"));
    const config = parseBuildConfig({ baseImage: "memray-rust-base:bookworm" });
    const key = cacheKey(await sourceRevision(source), config);
    const cache = new WheelCache(path.join(cwd, "cache"));
    const staging = await cache.stage(key);
    await writeFile(path.join(staging, "pyo3_demo-0.1.0-cp39-abi3-linux_x86_64.whl"), syntheticWheel(true));
    await writeFile(path.join(staging, "build.log"), "built earlier\n");
    const entry = await cache.commit(staging, {
      format: 1,
      key,
      project: "pyo3-demo",
      wheel: "pyo3_demo-0.1.0-cp39-abi3-linux_x86_64.whl",
      revision: { kind: "files", hash: "x", files: 3, id: "files:x" },
      config,
      debugSections: {},
      builtAt: new Date().toISOString(),
      buildSeconds: 60,
    });
    const run = await runCli(
      ["debug-build", "--source", "cached-demo", "--base-image", "memray-rust-base:bookworm", "--cache-dir", "cache", "--json"],
      cwd,
      NO_ENGINE,
    );
    expect(run.exitCode, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out).toMatchObject({ wheel: entry.wheel, cached: true, key, build_log: entry.buildLog, project: "pyo3-demo" });
    expect(out.debug_sections).toEqual({ ".debug_info": 4000, ".debug_line": 1500 });
    expect(run.stderr).toMatch(/cached .*pyo3_demo-0\.1\.0-cp39-abi3-linux_x86_64\.whl \(key [0-9a-f]{16}, [\d.]+s, from the cache\)/);
    expect(run.stderr).toMatch(/\.debug_info +3\.9 KiB/);
    // Without --json the last stdout line is the wheel.
    const plain = await runCli(["debug-build", "--source", "cached-demo", "--base-image", "memray-rust-base:bookworm", "--cache-dir", "cache"], cwd, NO_ENGINE);
    expect(plain.lastLine).toBe(entry.wheel);
    // Through the seed-style recipe.
    const recipe = await runCli(
      ["run", "debug/memray-debug-build", "-e", "source_dir=cached-demo", "-e", "base_image=memray-rust-base:bookworm", "-e", "cache_dir=cache"],
      cwd,
      NO_ENGINE,
    );
    expect(recipe.exitCode, recipe.stderr).toBe(0);
    expect(recipe.lastLine).toBe(entry.wheel);
  });
});

describe("memray-cli debug-build --verify", () => {
  it("prints the debug sections of a wheel with DWARF (exit 0)", async () => {
    const run = await runCli(["debug-build", "--verify", "debug.whl", "--json"], cwd);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      debug_sections: { ".debug_info": 4000 },
      modules: [{ path: "pyo3_demo/pyo3_demo.abi3.so", machine: "x86-64" }],
    });
    expect(run.stderr).toMatch(/has DWARF debug info: memray can resolve its Rust frames/);
  });

  it("a wheel without .debug_info exits 1 and says why the frames will not resolve", async () => {
    const run = await runCli(["debug-build", "--verify", "nodebug.whl"], cwd);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(/debug sections of pyo3_demo\/pyo3_demo\.abi3\.so \(x86-64, [\d.]+ (B|KiB)\): none/);
    expect(run.stderr).toMatch(
      /has no \.debug_info section: memray cannot resolve its Rust frames to function names with src\/<file>\.rs:LINE, so reports show them as bare addresses, \?\? or <unknown>/,
    );
  });

  it("a file that is not a wheel exits 2", async () => {
    await writeFile(path.join(cwd, "notes.txt"), "hello");
    const run = await runCli(["debug-build", "--verify", "notes.txt"], cwd);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(/notes.txt is not a usable wheel: it is not a zip archive/);
  });
});

describe("run debug/memray-debug-build", () => {
  it("maps the seed-style -e keys onto the debug-build flags", () => {
    expect(RECIPES["debug/memray-debug-build"]).toBeDefined();
    expect(
      translateRecipe(
        "debug/memray-debug-build",
        parseRecipeVars(["source_dir=../py-mando", "install_into=local-forecast-1", "base_image=memray-rust-base:bookworm"]),
      ),
    ).toEqual({
      kind: "debug-build",
      options: { source: "../py-mando", installInto: "local-forecast-1", baseImage: "memray-rust-base:bookworm" },
    });
    expect(() => translateRecipe("debug/memray-debug-build", parseRecipeVars(["install_into=x"]))).toThrow(/needs -e source_dir=<dir>/);
    expect(() => translateRecipe("debug/memray-debug-build", parseRecipeVars(["source_dir=x", "profile_mode=leaks"]))).toThrow(
      /has no -e profile_mode; it takes: source_dir, install_into, base_image, cache_dir, rebuild/,
    );
  });

  it("the other recipes keep their behaviour", () => {
    expect(translateRecipe("debug/memray-install", parseRecipeVars(["container_target=c"]))).toEqual({ kind: "install", options: { target: "c" } });
    expect(translateRecipe("debug/memray-container", parseRecipeVars(["container_target=c"]))).toMatchObject({
      kind: "profile",
      flags: { mode: "snapshot", target: "c" },
    });
  });
});
