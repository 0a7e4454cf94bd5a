import { existsSync, readFileSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { buildDebugWheel, installDebugWheel } from "@alpiq/memray-debug-build";
import { createDockerClient, DockerTarget } from "@alpiq/memray-docker";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot, runCli, workspaceWithTestCases } from "../cli-runner.js";
import { engineReady, installMemray, profile, readRunFile } from "./engine-env.js";

/**
 * The "done when": the debug wheel of tools/fixtures/pyo3_demo (a PyO3 crate standing in for
 * py-mando) is built in Docker on memray-rust-base:bookworm, cached, verified and installed into
 * local-forecast-1, and a script-mode run there shows the Rust functions with src/lib.rs:LINE; the
 * same crate built without debug info does not. The demo package is uninstalled afterwards and
 * python3-dbg removed again when it was not there before, so other tests see the container as it was.
 */
const CONTAINER = "local-forecast-1";
const BASE_IMAGE = "memray-rust-base:bookworm";
const CRATE = path.join(repoRoot, "tools/fixtures/pyo3_demo");
const ready = await engineReady([CONTAINER]);

/** Line of `src/lib.rs` marked `// ALLOC-LINE <what>`. */
function allocLine(what: "buffer" | "churn"): number {
  const lines = readFileSync(path.join(CRATE, "src/lib.rs"), "utf8").split("\n");
  const index = lines.findIndex((line) => line.includes(`// ALLOC-LINE ${what}`));
  if (index < 0) throw new Error(`no ALLOC-LINE ${what} in pyo3_demo/src/lib.rs`);
  return index + 1;
}

async function dockerExec(...argv: string[]) {
  return execa("docker", ["exec", CONTAINER, ...argv], { reject: false, timeout: 300_000 });
}

describe.runIf(ready)(`debug build of a PyO3 crate, installed into ${CONTAINER} (real engine)`, () => {
  const bufferSite = `src/lib.rs:${allocLine("buffer")}`;
  const churnSite = `src/lib.rs:${allocLine("churn")}`;
  let cwd: string;
  let cacheDir: string;
  let dbgWasInstalled = true;
  let built: { wheel: string; key: string; debug_sections: Record<string, number>; cached: boolean; build_log: string };

  beforeAll(async () => {
    const base = await execa("bash", [path.join(repoRoot, "tools/images/rust-base.sh")], { reject: false, all: true, timeout: 1_800_000 });
    if (base.exitCode !== 0) throw new Error(`tools/images/rust-base.sh failed:\n${base.all}`);
    cwd = await workspaceWithTestCases();
    await copyFile(path.join(CRATE, "profile_demo.py"), path.join(cwd, "test-cases/profile_demo.py"));
    cacheDir = await mkdtemp(path.join(os.tmpdir(), "memray-cli-debug-build-cache-"));
    await installMemray(CONTAINER, cwd);
    const dbg = await dockerExec("dpkg-query", "-W", "-f", "${db:Status-Abbrev}", "python3-dbg");
    dbgWasInstalled = dbg.exitCode === 0 && String(dbg.stdout).startsWith("ii");
  }, 1_800_000);

  afterAll(async () => {
    if (!ready) return;
    await dockerExec("/opt/venv/bin/python", "-m", "pip", "uninstall", "-y", "pyo3-demo");
    if (!dbgWasInstalled) {
      await dockerExec("env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "remove", "-y", "--auto-remove", "python3-dbg", "libpython3-dbg");
    }
    if (cacheDir) await rm(cacheDir, { recursive: true, force: true });
  }, 300_000);

  it("builds the wheel with full DWARF, verifies it, caches it, installs it with python3-dbg", async () => {
    const started = Date.now();
    const run = await runCli(
      ["debug-build", "--source", CRATE, "--base-image", BASE_IMAGE, "--install-into", CONTAINER, "--cache-dir", cacheDir, "--jobs", "2", "--json"],
      cwd,
    );
    expect(run.exitCode, run.stderr).toBe(0);
    console.info(`debug-build (cold wheel build + install): ${((Date.now() - started) / 1000).toFixed(1)} s`);
    built = JSON.parse(run.stdout);
    expect(built).toMatchObject({ cached: false, project: "pyo3-demo" });
    expect(built.key).toMatch(/^[0-9a-f]{16}$/);
    expect(built.wheel).toBe(path.join(cacheDir, `pyo3-demo-${built.key}`, "pyo3_demo-0.1.0-cp39-abi3-linux_x86_64.whl"));
    expect(existsSync(built.wheel)).toBe(true);
    expect(built.debug_sections[".debug_info"]).toBeGreaterThan(100_000);
    expect(built.debug_sections[".debug_line"]).toBeGreaterThan(10_000);
    const log = await readFile(built.build_log, "utf8");
    expect(path.dirname(built.build_log)).toBe(path.dirname(built.wheel));
    expect(log).toMatch(/Finished `release` profile \[optimized \+ debuginfo\]/);
    expect(log).toMatch(/Built wheel for abi3 Python/);
    // The section sizes are printed.
    expect(run.stderr).toMatch(/debug sections of pyo3_demo\/pyo3_demo\.abi3\.so \(x86-64, [\d.]+ MiB\):\n {4}\.debug_/);
    expect(run.stderr).toMatch(/\.debug_info +[\d.]+ MiB/);
    // Installed with the container's own interpreter; python3-dbg and libpython3-dbg are there afterwards.
    const out = JSON.parse(run.stdout).installed;
    expect(out).toMatchObject({ container: CONTAINER, python: expect.stringMatching(/^\/opt\/venv\/bin\/python/), module: "pyo3_demo.pyo3_demo" });
    if (dbgWasInstalled) {
      expect(out.debugPackages).toEqual({ status: "present", missing: [] });
    } else {
      expect(out.debugPackages).toMatchObject({ status: "reinstalled", missing: expect.arrayContaining(["python3-dbg"]) });
      expect(run.stderr).toMatch(/python3-dbg.* missing on local-forecast-1 \(lost when the container was recreated\); re-installing/);
    }
    const dbg = await dockerExec("dpkg-query", "-W", "-f", "${Package} ${db:Status-Abbrev}\n", "python3-dbg", "libpython3-dbg");
    expect(String(dbg.stdout)).toMatch(/python3-dbg ii/);
    expect(String(dbg.stdout)).toMatch(/libpython3-dbg ii/);
  });

  it("a repeat build returns the cached wheel and says so", async () => {
    const started = Date.now();
    const run = await runCli(["debug-build", "--source", CRATE, "--base-image", BASE_IMAGE, "--cache-dir", cacheDir, "--json"], cwd);
    const seconds = (Date.now() - started) / 1000;
    expect(run.exitCode, run.stderr).toBe(0);
    console.info(`debug-build from the cache: ${seconds.toFixed(2)} s (whole CLI process)`);
    const again = JSON.parse(run.stdout);
    expect(again).toMatchObject({ cached: true, key: built.key, wheel: built.wheel, debug_sections: built.debug_sections });
    expect(run.stderr).toMatch(/cached wheel for /);
    expect(run.stderr).toMatch(/from the cache\)/);
  });

  it("a script-mode run shows the Rust functions with src/lib.rs:LINE in tree.txt and the flamegraphs", async () => {
    const run = await profile(["--target", CONTAINER, "--mode", "script", "--script", "test-cases/profile_demo.py"], cwd);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.summary.profiling).toMatchObject({ native_traces: true });
    const tree = await readRunFile(run.dir, "tree.txt");
    // e.g. "64.0 MiB (99.53%) pyo3_demo::fill_buffer::h2aebabfa18137722 src/lib.rs:30  [1 allocs]"
    expect(tree).toMatch(new RegExp(`pyo3_demo::fill_buffer(::h[0-9a-f]{16})? ${bufferSite.replace(/[./]/g, "\\$&")}\\b`));
    const rustFrames = tree.split("\n").filter((line) => / pyo3_demo::/.test(line));
    expect(rustFrames.length).toBeGreaterThan(0);
    for (const line of rustFrames) expect(line, "every pyo3_demo frame is resolved to a file and line").toMatch(/ src\/lib\.rs:\d+ /);
    expect(tree).not.toMatch(/pyo3_demo::\S+ (<unknown>|\?\?|0x[0-9a-f]+)/);

    const flamegraph = await readRunFile(run.dir, "flamegraph.html");
    expect(flamegraph).toMatch(new RegExp(`pyo3_demo::fill_buffer(::h[0-9a-f]{16})? at ${bufferSite.replace(/[./]/g, "\\$&")}"`));
    const tempAllocs = await readRunFile(run.dir, "temp-allocs.html");
    expect(tempAllocs).toMatch(new RegExp(`pyo3_demo::churn_once(::h[0-9a-f]{16})? at ${churnSite.replace(/[./]/g, "\\$&")}"`));

    // table.txt files a Rust allocation under the debug-built extension's own line, not the Python caller.
    const table = await readRunFile(run.dir, "table.txt");
    expect(table).toMatch(new RegExp(`${bufferSite.replace(/[./]/g, "\\$&")} +pyo3_demo::fill_buffer`));
  });

  it("a failing cargo build exits 1: the tail of the build log printed, the whole log saved, the cache untouched", async () => {
    const source = await mkdtemp(path.join(os.tmpdir(), "broken-crate-"));
    await mkdir(path.join(source, "src"));
    await writeFile(path.join(source, "Cargo.toml"), '[package]\nname = "broken_demo"\nversion = "0.1.0"\nedition = "2021"\n');
    await writeFile(
      path.join(source, "pyproject.toml"),
      '[build-system]\nrequires = ["maturin>=1.9,<2.0"]\nbuild-backend = "maturin"\n\n[project]\nname = "broken-demo"\nversion = "0.1.0"\n\n[tool.maturin]\nbindings = "bin"\n',
    );
    await writeFile(path.join(source, "src/main.rs"), 'fn main() {\n    let x: u32 = "not a number";\n    println!("{x}");\n}\n');
    const before = await readdir(cacheDir);
    const run = await runCli(["debug-build", "--source", source, "--base-image", BASE_IMAGE, "--cache-dir", cacheDir], cwd);
    expect(run.exitCode, run.stderr).toBe(1);
    expect(run.stderr).toMatch(/The debug build failed: maturin build --release --skip-auditwheel failed: the build step exited with code 1/);
    expect(run.stderr, run.stderr).toMatch(/│ error\[E0308\]: mismatched types/);
    const logFile = /whole build log: (\S+)/.exec(run.stderr)?.[1];
    expect(logFile).toMatch(new RegExp(`^${cacheDir}/failed/broken-demo-[0-9a-f]{16}/build\\.log$`));
    expect(await readFile(logFile!, "utf8")).toMatch(/Step 1\/\d+ : FROM memray-debug-build\/toolchain:/);
    expect((await readdir(cacheDir)).filter((name) => name !== "failed").sort()).toEqual(before.filter((name) => name !== "failed").sort());
    expect(run.stdout).toBe("");
  });

  it("a base image that is neither local nor pullable exits 3, naming it and how to provide one", async () => {
    const run = await runCli(["debug-build", "--source", CRATE, "--base-image", "memray-test-no-such/rust:1.88.0-bookworm", "--cache-dir", cacheDir], cwd);
    expect(run.exitCode).toBe(3);
    expect(run.stderr).toMatch(
      /The base image memray-test-no-such\/rust:1\.88\.0-bookworm is not on this Docker engine and cannot be pulled: docker pull failed/,
    );
    expect(run.stderr).toMatch(/bash tools\/images\/rust-base\.sh` and pass `--base-image memray-rust-base:bookworm/);
  });

  it("the same crate built without debug info: verification fails (exit 1) and reports show no file:line", async () => {
    const docker = createDockerClient();
    const control = await buildDebugWheel({ source: CRATE, config: { baseImage: BASE_IMAGE, debugInfo: 0 }, cacheDir, docker, jobs: 2 });
    expect(control.debugSections).toEqual({});

    const verify = await runCli(["debug-build", "--verify", control.wheel], cwd);
    expect(verify.exitCode).toBe(1);
    expect(verify.stderr).toMatch(/has no \.debug_info section: memray cannot resolve its Rust frames/);

    const target = await DockerTarget.connect({ docker, container: CONTAINER });
    await installDebugWheel({ target, wheel: control.wheel, debugSymbols: false });
    const run = await profile(["--target", CONTAINER, "--mode", "script", "--script", "test-cases/profile_demo.py"], cwd);
    expect(run.exitCode, run.stderr).toBe(0);
    const tree = await readRunFile(run.dir, "tree.txt");
    // The symbol name survives (it is in .symtab); its file and line do not.
    expect(tree).toMatch(/pyo3_demo::fill_buffer(::h[0-9a-f]{16})? <unknown>/);
    for (const report of ["tree.txt", "table.txt", "flamegraph.html", "temp-allocs.html"]) {
      expect(await readRunFile(run.dir, report), report).not.toMatch(/src\/lib\.rs:\d+/);
    }
  });
});
