import { mkdtemp, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { ExecOptions, ExecResult, Target } from "@alpiq/memray-core";
import { beforeAll, describe, expect, it } from "vitest";
import { dottedModule, installDebugWheel, type InstallDebugWheelProgress } from "../src/install-debug-wheel.js";
import { demoWheel, extensionModule } from "@alpiq/memray-test-support";

const PY = "/opt/venv/bin/python";
let wheel: string;

beforeAll(async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "install-debug-wheel-"));
  wheel = path.join(dir, "pyo3_demo-0.1.0-cp39-abi3-linux_x86_64.whl");
  await writeFile(wheel, demoWheel(extensionModule(true)));
});

interface FakeState {
  dbgInstalled: string[];
  hasDpkg?: boolean;
  externallyManaged?: boolean;
  unsupportedWheel?: boolean;
  importFails?: boolean;
}

/** A container that answers the commands installDebugWheel (and installMemray) run. */
function fakeTarget(state: FakeState) {
  const commands: string[][] = [];
  const copies: Array<[string, string]> = [];
  const ok = (stdout = ""): ExecResult => ({ exitCode: 0, stdout, stderr: "" });
  const fail = (exitCode: number, stderr: string): ExecResult => ({ exitCode, stdout: "", stderr });
  const target: Target = {
    kind: "docker",
    name: "local-forecast-1",
    place: { kind: "container", name: "local-forecast-1", execPrefix: ["docker", "exec", "local-forecast-1"] },
    sharesHostFilesystem: false,
    oomKills: async () => null,
    async scratchDir() {
      return "/tmp/memray-cli-xyz";
    },
    async copyIn(hostPath, dir) {
      copies.push([hostPath, dir]);
    },
    async copyOut() {},
    async exec(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
      commands.push([...argv]);
      const line = argv.join(" ");
      if (argv[0] === "dpkg-query") {
        if (state.hasDpkg === false) return fail(127, "dpkg-query: command not found");
        const wanted = argv.slice(4);
        const out = wanted
          .filter((p) => state.dbgInstalled.includes(p))
          .map((p) => `${p} ii `)
          .join("\n");
        return { exitCode: out.split("\n").filter(Boolean).length === wanted.length ? 0 : 1, stdout: out, stderr: "" };
      }
      if (line.includes("-m pip install")) {
        if (state.unsupportedWheel) return fail(1, "ERROR: pyo3_demo-0.1.0-cp312-cp312-linux_x86_64.whl is not a supported wheel on this platform.");
        if (state.externallyManaged && !argv.includes("--break-system-packages")) return fail(1, "error: externally-managed-environment");
        await options.onStdout?.("Processing /tmp/memray-cli-xyz/pyo3_demo.whl\nSuccessfully installed pyo3-demo-0.1.0\n");
        return ok();
      }
      if (argv[1] === "-c" && argv[2]!.includes("importlib.import_module")) {
        return state.importFails
          ? fail(1, "ImportError: /lib/x86_64-linux-gnu/libc.so.6: version `GLIBC_2.39' not found")
          : ok("/opt/venv/lib/python3.11/site-packages/pyo3_demo/pyo3_demo.abi3.so\n");
      }
      if (argv[1] === "-c" && argv[2]!.includes("memray.__version__")) return ok("1.20.0\n");
      if (line === "apt-get --version") return ok("apt 2.6.1");
      if (line === "apt-get update") return ok();
      if (line.startsWith("apt-get install")) {
        state.dbgInstalled = ["python3-dbg", "libpython3-dbg"];
        return ok();
      }
      if (argv[0] === "rm") return ok();
      return fail(127, `${argv[0]}: command not found`);
    },
  };
  return { target, commands, copies };
}

describe("installDebugWheel", () => {
  it("copies the wheel in, pip installs it with the container's interpreter, imports it; debug packages present", async () => {
    const fake = fakeTarget({ dbgInstalled: ["python3-dbg", "libpython3-dbg"] });
    const events: InstallDebugWheelProgress[] = [];
    const result = await installDebugWheel({ target: fake.target, wheel, python: PY, onProgress: (e) => events.push(e) });
    expect(fake.copies).toEqual([[wheel, "/tmp/memray-cli-xyz"]]);
    expect(fake.commands).toContainEqual([
      PY,
      "-m",
      "pip",
      "install",
      "--force-reinstall",
      "--no-deps",
      "--no-index",
      "--progress-bar",
      "off",
      "/tmp/memray-cli-xyz/pyo3_demo-0.1.0-cp39-abi3-linux_x86_64.whl",
    ]);
    expect(fake.commands).toContainEqual(["rm", "-rf", "/tmp/memray-cli-xyz"]);
    expect(result).toEqual({
      container: "local-forecast-1",
      python: PY,
      wheel: "pyo3_demo-0.1.0-cp39-abi3-linux_x86_64.whl",
      module: "pyo3_demo.pyo3_demo",
      moduleFile: "/opt/venv/lib/python3.11/site-packages/pyo3_demo/pyo3_demo.abi3.so",
      debugPackages: { status: "present", missing: [] },
    });
    expect(events).toContainEqual({ type: "output", stream: "stdout", line: "Successfully installed pyo3-demo-0.1.0" });
    expect(fake.commands.some((argv) => argv[0] === "apt-get")).toBe(false);
  });

  it("says when python3-dbg / libpython3-dbg are missing (a recreated container) and re-installs them", async () => {
    const fake = fakeTarget({ dbgInstalled: [] });
    const steps: string[] = [];
    const result = await installDebugWheel({
      target: fake.target,
      wheel,
      python: PY,
      hostCaBundle: null,
      onProgress: (e) => e.type === "step" && steps.push(e.message),
    });
    expect(steps).toContain("python3-dbg and libpython3-dbg missing on local-forecast-1 (lost when the container was recreated); re-installing");
    expect(fake.commands).toContainEqual(["apt-get", "install", "-y", "--no-install-recommends", "python3-dbg"]);
    expect(result.debugPackages).toEqual({ status: "reinstalled", missing: ["python3-dbg", "libpython3-dbg"] });
    expect(result.memray).toEqual({ version: "1.20.0", alreadyInstalled: true, method: "already-installed" });
  });

  it("reports debug packages as unavailable without dpkg, and skips them when not requested", async () => {
    const noDpkg = await installDebugWheel({ target: fakeTarget({ dbgInstalled: [], hasDpkg: false }).target, wheel, python: PY });
    expect(noDpkg.debugPackages).toMatchObject({ status: "unavailable", reason: "dpkg is not available on local-forecast-1 (not a Debian-based image)" });
    const fake = fakeTarget({ dbgInstalled: [] });
    const skipped = await installDebugWheel({ target: fake.target, wheel, python: PY, debugSymbols: false });
    expect(skipped.debugPackages.status).toBe("not-requested");
    expect(fake.commands.some((argv) => argv[0] === "dpkg-query")).toBe(false);
  });

  it("retries an externally managed Python with --break-system-packages", async () => {
    const fake = fakeTarget({ dbgInstalled: ["python3-dbg", "libpython3-dbg"], externallyManaged: true });
    await installDebugWheel({ target: fake.target, wheel, python: "python3" });
    expect(fake.commands.filter((argv) => argv.includes("install") && argv.includes("pip"))).toHaveLength(2);
    expect(fake.commands.some((argv) => argv.includes("--break-system-packages"))).toBe(true);
  });

  it("a wheel pip refuses, or an import that fails: INSTALL_FAILED (exit 3) with what to do", async () => {
    const unsupported = await installDebugWheel({ target: fakeTarget({ dbgInstalled: [], unsupportedWheel: true }).target, wheel, python: PY }).catch(
      (e: unknown) => e,
    );
    expect(unsupported).toMatchObject({ code: "INSTALL_FAILED", exitCode: 3 });
    expect((unsupported as Error).message).toMatch(/not a supported wheel[\s\S]*--base-image/);
    const broken = await installDebugWheel({ target: fakeTarget({ dbgInstalled: [], importFails: true }).target, wheel, python: PY }).catch((e: unknown) => e);
    expect(broken).toMatchObject({ code: "INSTALL_FAILED", exitCode: 3 });
    expect((broken as Error).message).toMatch(/import pyo3_demo.pyo3_demo" fails[\s\S]*GLIBC_2.39/);
  });

  it("rejects a file that is not a wheel before touching the container (exit 2)", async () => {
    const fake = fakeTarget({ dbgInstalled: [] });
    await expect(installDebugWheel({ target: fake.target, wheel: "/nonexistent.whl", python: PY })).rejects.toMatchObject({
      code: "WHEEL_INVALID",
      exitCode: 2,
    });
    expect(fake.commands).toEqual([]);
  });

  it("names the extension module as Python imports it", () => {
    expect(dottedModule("pyo3_demo/pyo3_demo.abi3.so")).toBe("pyo3_demo.pyo3_demo");
    expect(dottedModule("fast.cpython-311-x86_64-linux-gnu.so")).toBe("fast");
  });
});
