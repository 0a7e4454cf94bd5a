import { describe, expect, it } from "vitest";
import { MODE_RULES, MODES } from "@alpiq/memray-core";
import { capturedIo } from "@alpiq/memray-test-support";
import type { RawProfileFlags } from "../src/profile-flags.js";
import { equivalentCommand, menuCommand, type MenuDeps, type MenuPrompts } from "../src/menu-command.js";

/** The answer that stands for pressing Escape. */
const ESC = "<esc>";

/** Prompts that answer from a script, recording what was asked and the choices offered. */
function scriptedPrompts(answers: string[]): MenuPrompts & { asked: string[]; offered: Map<string, string[]> } {
  const asked: string[] = [];
  const offered = new Map<string, string[]>();
  const next = (message: string) => {
    asked.push(message);
    const answer = answers.shift();
    if (answer === undefined) throw new Error(`unexpected question: ${message}`);
    if (answer === ESC) throw Object.assign(new Error("escaped"), { name: "AbortPromptError" });
    return answer;
  };
  return {
    asked,
    offered,
    select: async <T extends string>(config: { message: string; choices: { value: T }[] }) => {
      offered.set(
        config.message,
        config.choices.map((c) => c.value),
      );
      const answer = next(config.message) as T;
      expect(config.choices.map((c) => c.value)).toContain(answer);
      return answer;
    },
    input: async (config: { message: string; default?: string }) => {
      const answer = next(config.message);
      return answer === "" && config.default !== undefined ? config.default : answer;
    },
  };
}

const io = () => capturedIo();

function deps(prompts: MenuPrompts, overrides: Partial<MenuDeps> = {}): MenuDeps & { ran: RawProfileFlags[] } {
  const ran: RawProfileFlags[] = [];
  return {
    ran,
    prompts,
    listContainers: async () => ["local-forecast-1", "local-optimization-1"],
    listRuns: async () => [],
    profile: async (flags) => (ran.push(flags), 0),
    install: async () => 0,
    debugBuild: async () => 0,
    startView: async () => ({ url: "http://127.0.0.1:8377/", close: async () => undefined }),
    isInteractive: true,
    ...overrides,
  };
}

describe("menu: the seed's tree", () => {
  it("offers Container profiling, Local profiling, Install memray + debug build, View profiles", async () => {
    const prompts = scriptedPrompts(["exit"]);
    expect(await menuCommand(io(), deps(prompts))).toBe(0);
    expect(prompts.offered.get("Memory debugging (memray)")).toEqual(["container", "local", "install", "view", "exit"]);
  });

  it("Container profiling → service → sequence asks endpoint, count, delay, trace allocators; runs profile with those flags", async () => {
    const prompts = scriptedPrompts(["container", "local-optimization-1", "sequence", "/run", "20", "2", "True"]);
    const out = io();
    const d = deps(prompts);
    expect(await menuCommand(out, d)).toBe(0);
    expect(d.ran).toEqual([{ mode: "sequence", target: "local-optimization-1", endpoint: "/run", requests: "20", delaySeconds: "2" }]);
    expect(out.err()).toContain("memray-cli profile --mode sequence --target local-optimization-1 --endpoint /run --requests 20 --delay 2");
  });

  it("offers the modes of core's mode table (the seed's nine and attach), in its order", async () => {
    const prompts = scriptedPrompts(["container", "local-forecast-1", ESC, ESC, "exit"]);
    await menuCommand(io(), deps(prompts));
    expect(prompts.offered.get("Profile mode (local-forecast-1)")).toEqual([...MODES]);
    expect(MODES).toHaveLength(10);
  });

  it("Escape goes back one level: mode → service → top", async () => {
    const prompts = scriptedPrompts(["container", "local-forecast-1", ESC, "local-optimization-1", "leaks", ESC, "snapshot", ESC]);
    const d = deps(prompts);
    // The last ESC is at the trace-allocators question of snapshot: back to the mode list, which has no answers left.
    await expect(menuCommand(io(), d)).rejects.toThrow(/unexpected question: Profile mode/);
    expect(prompts.asked).toEqual([
      "Memory debugging (memray)",
      "Service container",
      "Profile mode (local-forecast-1)",
      "Service container",
      "Profile mode (local-optimization-1)",
      "Script (empty: requests to the service)",
      "Profile mode (local-optimization-1)",
      "Trace Python allocators",
      "Profile mode (local-optimization-1)",
    ]);
    expect(d.ran).toEqual([]);
  });

  it("Escape at the top leaves with 0", async () => {
    expect(await menuCommand(io(), deps(scriptedPrompts([ESC])))).toBe(0);
  });

  it("leaks forces trace_allocators (not asked) and asks for a baseline when runs exist", async () => {
    const prompts = scriptedPrompts(["container", "local-forecast-1", "leaks", "", "/leak", "3", "0", "runs/base-20260101-000000"]);
    const d = deps(prompts, { listRuns: async () => [{ run_dir: "runs/base-20260101-000000", label: "base" }] });
    const out = io();
    await menuCommand(out, d, { json: true });
    expect(d.ran).toEqual([
      { mode: "leaks", target: "local-forecast-1", endpoint: "/leak", requests: "3", delaySeconds: "0", baseline: "runs/base-20260101-000000", json: true },
    ]);
    expect(prompts.asked).not.toContain("Trace Python allocators");
    expect(out.err()).toMatch(/always traces Python allocators/);
    expect(MODE_RULES.leaks.forces.trace_python_allocators).toBe(true);
  });

  it("Local profiling → script asks for the script path and trace allocators", async () => {
    const prompts = scriptedPrompts(["local", "script", "test-cases/my test.py", "False"]);
    const d = deps(prompts);
    await menuCommand(io(), d, { out: "elsewhere", name: "mine" });
    expect(d.ran).toEqual([{ mode: "script", local: true, script: "test-cases/my test.py", traceAllocators: "False", out: "elsewhere", name: "mine" }]);
    expect(equivalentCommand(d.ran[0]!)).toBe(
      'memray-cli profile --mode script --local --script "test-cases/my test.py" --trace-allocators False --out elsewhere --name mine',
    );
  });

  it("Local profiling → endpoint asks for the WSGI app and the endpoint", async () => {
    const prompts = scriptedPrompts(["local", "endpoint", "service.app:app", "/health", "True"]);
    const d = deps(prompts);
    await menuCommand(io(), d);
    expect(d.ran).toEqual([{ mode: "endpoint", local: true, app: "service.app:app", endpoint: "/health" }]);
  });

  it("Install memray + debug build → memray into a container", async () => {
    const prompts = scriptedPrompts(["install", "memray", "local-forecast-1", "True"]);
    let installed: unknown;
    const code = await menuCommand(io(), deps(prompts, { install: async (flags) => ((installed = flags), 0) }));
    expect(code).toBe(0);
    expect(installed).toEqual({ target: "local-forecast-1", debugSymbols: true, json: undefined });
  });

  it("Install memray + debug build → debug build calls debugBuildCommand's flags", async () => {
    const prompts = scriptedPrompts(["install", "debug-build", "../../mando/py-mando", "memray-rust-base:bookworm", "local-forecast-1"]);
    let built: unknown;
    await menuCommand(io(), deps(prompts, { debugBuild: async (flags) => ((built = flags), 0) }));
    expect(built).toEqual({ source: "../../mando/py-mando", baseImage: "memray-rust-base:bookworm", installInto: "local-forecast-1" });
  });

  it("View profiles starts the run browser, and going back stops it", async () => {
    const prompts = scriptedPrompts(["view", ESC, "exit"]);
    let closed = false;
    const out = io();
    await menuCommand(out, deps(prompts, { startView: async () => ({ url: "http://127.0.0.1:9/", close: async () => void (closed = true) }) }));
    expect(out.err()).toContain("run browser: http://127.0.0.1:9/");
    expect(closed).toBe(true);
  });

  it("Container profiling without containers says how to start the stack and goes back", async () => {
    const prompts = scriptedPrompts(["container", "exit"]);
    const out = io();
    await menuCommand(out, deps(prompts, { listContainers: async () => [] }));
    expect(out.err()).toMatch(/tools\/stack up/);
  });

  it("Ctrl-C in a prompt leaves with 130", async () => {
    const prompts: MenuPrompts = {
      select: async () => {
        throw Object.assign(new Error("User force closed the prompt"), { name: "ExitPromptError" });
      },
      input: async () => "",
    };
    expect(await menuCommand(io(), deps(prompts))).toBe(130);
  });

  it("refuses to run without a terminal, pointing at the non-interactive commands (exit 2)", async () => {
    const error = await menuCommand(io(), deps(scriptedPrompts([]), { isInteractive: false })).catch((e: unknown) => e);
    expect((error as { exitCode: number }).exitCode).toBe(2);
    expect(String((error as Error).message)).toMatch(/memray-cli profile/);
  });
});
