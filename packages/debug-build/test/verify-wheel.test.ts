import { mkdtemp, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { DebugInfoMissingError, WheelInvalidError } from "../src/errors.js";
import { importNameOf, inspectWheel, isExtensionModulePath, verifyWheel } from "../src/verify-wheel.js";
import { buildZip, demoWheel, extensionModule } from "@alpiq/memray-test-support";

let dir: string;
const file = async (name: string, data: Buffer | string) => {
  const p = path.join(dir, name);
  await writeFile(p, data);
  return p;
};

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "verify-wheel-"));
});

describe("verifyWheel", () => {
  it.each(["deflate", "store"] as const)("reads the debug sections of the extension module in a %sd wheel", async (method) => {
    const wheel = await file(`debug-${method}.whl`, demoWheel(extensionModule(true), method));
    const result = await verifyWheel(wheel);
    expect(result.modules).toHaveLength(1);
    expect(result.modules[0]).toMatchObject({ path: "pyo3_demo/pyo3_demo.abi3.so", importName: "pyo3_demo", machine: "x86-64", hasDebugInfo: true });
    expect(result.debugSections).toEqual({ ".debug_abbrev": 100, ".debug_info": 4000, ".debug_line": 1500, ".debug_str": 2500 });
  });

  it("fails with DEBUG_INFO_MISSING (exit 1) for a wheel without .debug_info, saying why frames will not resolve", async () => {
    const wheel = await file("nodebug.whl", demoWheel(extensionModule(false)));
    const error = await verifyWheel(wheel).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DebugInfoMissingError);
    expect(error).toMatchObject({ code: "DEBUG_INFO_MISSING", exitCode: 1 });
    expect((error as Error).message).toContain("pyo3_demo/pyo3_demo.abi3.so");
    expect((error as Error).message).toMatch(/no \.debug_info section/);
    expect((error as Error).message).toMatch(/memray cannot resolve its Rust frames/);
    expect((error as Error).message).toContain("CARGO_PROFILE_RELEASE_DEBUG=2");
    // inspectWheel reports the same wheel without failing.
    expect((await inspectWheel(wheel)).modules[0]!.hasDebugInfo).toBe(false);
  });

  it.each([
    ["a missing file", async () => path.join(dir, "missing.whl"), /does not exist/],
    ["a file that is not a zip", async () => file("text.whl", "hello"), /not a zip archive/],
    ["a wheel without extension module", async () => file("pure.whl", buildZip([{ name: "pkg/__init__.py", data: "" }])), /holds no extension module/],
    [
      "an extension module that is not ELF",
      async () => file("macos.whl", buildZip([{ name: "pkg/mod.abi3.so", data: "\xcf\xfa\xed\xfe".padEnd(100, "\0") }])),
      /not a readable ELF shared object/,
    ],
  ])("rejects %s with WHEEL_INVALID (exit 2)", async (_, make, message) => {
    const error = await inspectWheel(await make()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WheelInvalidError);
    expect(error).toMatchObject({ exitCode: 2 });
    expect((error as Error).message).toMatch(message);
  });
});

describe("extension modules in a wheel", () => {
  it.each([
    ["pyo3_demo/pyo3_demo.abi3.so", true],
    ["fast.cpython-311-x86_64-linux-gnu.so", true],
    ["pyo3_demo.libs/libduckdb-1a2b3c.so", false],
    ["pkg/libfoo.so.1", false],
    ["pkg-1.0.dist-info/RECORD", false],
  ])("%s → %s", (name, expected) => {
    expect(isExtensionModulePath(name)).toBe(expected);
  });

  it("takes the import name from the first path component", () => {
    expect(importNameOf("pyo3_demo/pyo3_demo.abi3.so")).toBe("pyo3_demo");
    expect(importNameOf("fast.cpython-311-x86_64-linux-gnu.so")).toBe("fast");
  });
});
