import { describe, expect, it } from "vitest";
import type { CliIo } from "../src/cli-io.js";
import { main } from "../src/main.js";
import { fakeDeps } from "./fake-deps.js";
import { capturedIo } from "@alpiq/memray-test-support";

// The program in-process with fake clients: which command reaches which client, with which flags.

const io = (extra: Partial<CliIo> = {}) => capturedIo(extra);

describe("memray-cli (in-process)", () => {
  it("bare on a terminal opens the menu; elsewhere prints the help", async () => {
    const { deps, calls } = fakeDeps();
    expect(await main([], io({ interactive: true }), deps)).toBe(0);
    expect(calls).toEqual([{ client: "menu", args: {} }]);
    const plain = io();
    expect(await main([], plain, fakeDeps().deps)).toBe(0);
    expect(plain.out()).toMatch(/^Usage: memray-cli/);
  });

  it("run debug/menu passes --out, --name and --json to the menu", async () => {
    const { deps, calls } = fakeDeps();
    expect(await main(["run", "debug/menu", "--out", "o", "--name", "n", "--json"], io(), deps)).toBe(0);
    expect(calls).toEqual([{ client: "menu", args: { out: "o", name: "n", json: true } }]);
  });

  it("run debug/memray-install maps the seed's keys (debug_symbols=1 read as True, with a note)", async () => {
    const { deps, calls } = fakeDeps();
    const out = io();
    expect(await main(["run", "debug/memray-install", "-e", "container_target=c", "-e", "debug_symbols=1", "--json"], out, deps)).toBe(0);
    expect(calls).toEqual([{ client: "install", args: { target: "c", debugSymbols: "True", json: true } }]);
    expect(out.err()).toMatch(/note: -e debug_symbols=1 read as True/);
  });

  it("run debug/memray-debug-build with --out says it writes no run directory", async () => {
    const { deps, calls } = fakeDeps();
    const out = io();
    await main(["run", "debug/memray-debug-build", "-e", "source_dir=src", "--out", "x"], out, deps);
    expect(calls).toEqual([{ client: "debugBuild", args: { source: "src", json: false } }]);
    expect(out.err()).toMatch(/writes no run directory/);
  });

  it("compare --json is memray-compare's --format json; --quiet silences its stdout", async () => {
    const { deps, calls } = fakeDeps();
    await main(["compare", "a", "b", "--json"], io(), deps);
    await main(["compare", "a", "b", "--quiet"], io(), deps);
    expect(calls).toEqual([
      { client: "compare", args: ["a", "b", "--format", "json"] },
      { client: "compare", args: ["a", "b"] },
    ]);
  });

  it("--quiet: the error still reaches stderr (exit 2), nothing else does", async () => {
    const out = io();
    expect(await main(["run", "debug/nope", "--quiet"], out, fakeDeps().deps)).toBe(2);
    expect(out.err()).toMatch(/^error: unknown recipe "debug\/nope"/);
    expect(out.out()).toBe("");
  });

  it("an unknown command or flag exits 2", async () => {
    expect(await main(["frobnicate"], io(), fakeDeps().deps)).toBe(2);
    expect(await main(["runs", "list", "--frob"], io(), fakeDeps().deps)).toBe(2);
  });
});
