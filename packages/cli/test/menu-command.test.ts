import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import type { RawProfileFlags } from "../src/profile-flags.js";
import { equivalentCommand, menuCommand, type MenuPrompts } from "../src/menu-command.js";
import type { CliIo } from "../src/cli-io.js";

/** Prompts that answer from a script, recording what was asked. */
function scriptedPrompts(answers: string[]): MenuPrompts & { asked: string[] } {
  const asked: string[] = [];
  const next = (message: string) => {
    asked.push(message);
    const answer = answers.shift();
    if (answer === undefined) throw new Error(`unexpected question: ${message}`);
    return answer;
  };
  return {
    asked,
    select: async <T extends string>(config: { message: string; choices: { value: T }[] }) => {
      const answer = next(config.message) as T;
      expect(config.choices.map((c) => c.value)).toContain(answer);
      return answer;
    },
    input: async (config: { message: string }) => next(config.message),
  };
}

function io(): CliIo & { err: () => string } {
  const stderr = new PassThrough();
  let text = "";
  stderr.on("data", (chunk) => (text += chunk));
  return { stdout: new PassThrough(), stderr, env: {}, cwd: "/", err: () => text };
}

describe("menu", () => {
  it("container → sequence asks for endpoint, count and delay, then runs profile with those flags", async () => {
    const prompts = scriptedPrompts(["local-optimization-1", "sequence", "/run", "20", "2"]);
    let ran: RawProfileFlags | undefined;
    const out = io();
    const code = await menuCommand(out, {
      prompts,
      listContainers: async () => ["local-forecast-1", "local-optimization-1"],
      profile: async (flags) => ((ran = flags), 0),
      isInteractive: true,
    });
    expect(code).toBe(0);
    expect(ran).toEqual({ mode: "sequence", target: "local-optimization-1", endpoint: "/run", requests: "20", delaySeconds: "2" });
    expect(out.err()).toContain("memray-cli profile --mode sequence --target local-optimization-1 --endpoint /run --requests 20 --delay 2");
  });

  it("this host → script asks for the script path only", async () => {
    const prompts = scriptedPrompts(["@local", "script", "test-cases/my test.py"]);
    let ran: RawProfileFlags | undefined;
    await menuCommand(io(), { prompts, listContainers: async () => [], profile: async (f) => ((ran = f), 0), isInteractive: true });
    expect(ran).toEqual({ mode: "script", local: true, script: "test-cases/my test.py" });
    expect(prompts.asked).toHaveLength(3);
    expect(equivalentCommand(ran!)).toBe('memray-cli profile --mode script --local --script "test-cases/my test.py"');
  });

  it("refuses to run without a terminal, pointing at the non-interactive commands (exit 2)", async () => {
    const error = await menuCommand(io(), {
      prompts: scriptedPrompts([]),
      listContainers: async () => [],
      profile: async () => 0,
      isInteractive: false,
    }).catch((e: unknown) => e);
    expect((error as { exitCode: number }).exitCode).toBe(2);
    expect(String((error as Error).message)).toMatch(/memray-cli profile/);
  });
});
