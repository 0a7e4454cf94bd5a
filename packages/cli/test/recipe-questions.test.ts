import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { InvalidOptionError } from "@alpiq/memray-core";
import { capturedIo } from "@alpiq/memray-test-support";
import { main } from "../src/main.js";
import { fakeDeps } from "./fake-deps.js";
import type { MenuPrompts } from "../src/menu-command.js";
import { askRecipeQuestions, OWN_SCRIPT, testCaseScripts, type RecipeQuestionDeps } from "../src/recipe-questions.js";
import { parseRecipeVars } from "../src/recipes.js";

// The seed's flows on a terminal: `run debug/memray-install` → choose a running container; `run
// debug/memray-local` → a test-cases script or your own path; `run menu` → the menu. Without a terminal,
// today's behaviour: install needs -e container_target (exit 2), local profiles the example.

/** Prompts answering from a script; Escape is "<esc>". Records the messages and the choices offered. */
function scripted(answers: string[]): MenuPrompts & { asked: string[]; offered: string[][] } {
  const asked: string[] = [];
  const offered: string[][] = [];
  const next = (message: string) => {
    asked.push(message);
    const answer = answers.shift();
    if (answer === undefined) throw new Error(`unexpected question: ${message}`);
    if (answer === "<esc>") throw Object.assign(new Error("escaped"), { name: "AbortPromptError" });
    return answer;
  };
  return {
    asked,
    offered,
    select: async <T extends string>(config: { message: string; choices: { value: T }[] }) => {
      offered.push(config.choices.map((c) => c.value));
      const answer = next(config.message) as T;
      expect(config.choices.map((c) => c.value)).toContain(answer);
      return answer;
    },
    input: async (config: { message: string }) => next(config.message),
  };
}

function questions(
  prompts: MenuPrompts,
  containers = ["local-forecast-1", "local-optimization-1"],
  scripts = ["test-cases/example-sequential-requests.py"],
): RecipeQuestionDeps {
  return { prompts, listContainers: async () => containers, listScripts: async () => scripts };
}

describe("recipe questions on a terminal", () => {
  it("install without container_target offers the running containers and installs into the chosen one", async () => {
    const prompts = scripted(["local-forecast-1"]);
    const { deps, calls } = fakeDeps(questions(prompts));
    const io = capturedIo({ interactive: true });
    expect(await main(["run", "debug/memray-install"], io, deps)).toBe(0);
    expect(prompts.offered).toEqual([["local-forecast-1", "local-optimization-1"]]);
    expect(calls).toEqual([{ client: "install", args: { target: "local-forecast-1", json: false } }]);
    expect(io.err()).toMatch(/equivalent: memray-cli run debug\/memray-install -e container_target=local-forecast-1/);
  });

  it("install without a terminal keeps its error (exit 2) and asks nothing", async () => {
    const prompts = scripted([]);
    const io = capturedIo();
    const code = await main(["run", "debug/memray-install"], io, {
      ...fakeDeps(questions(prompts)).deps,
      install: async () => {
        throw new InvalidOptionError("install needs --target <container>");
      },
    });
    expect(code).toBe(2);
    expect(prompts.asked).toEqual([]);
  });

  it("install with no running container says so, then the recipe's own error", async () => {
    const prompts = scripted([]);
    const answered = await askRecipeQuestions(capturedIo(), "debug/memray-install", parseRecipeVars([]), questions(prompts, []));
    expect(answered?.get("container_target")).toBeUndefined();
    expect(prompts.asked).toEqual([]);
  });

  it("local without script_path offers the test-cases scripts (the example first) or a path of your own", async () => {
    const prompts = scripted([OWN_SCRIPT, "mine/job.py"]);
    const io = capturedIo({ interactive: true });
    const answered = await askRecipeQuestions(
      io,
      "debug/memray-local",
      parseRecipeVars([]),
      questions(prompts, [], ["test-cases/example-sequential-requests.py", "test-cases/random-churn.py"]),
    );
    expect(prompts.offered[0]).toEqual(["test-cases/example-sequential-requests.py", "test-cases/random-churn.py", OWN_SCRIPT]);
    expect(answered?.get("script_path")).toBe("mine/job.py");
    const pick = scripted(["test-cases/random-churn.py"]);
    const cases = questions(pick, [], ["test-cases/example-sequential-requests.py", "test-cases/random-churn.py"]);
    expect((await askRecipeQuestions(io, "debug/memray-local", parseRecipeVars([]), cases))?.get("script_path")).toBe("test-cases/random-churn.py");
  });

  it("local through main: the chosen script is the one profiled (here missing: exit 2 naming it)", async () => {
    const prompts = scripted([OWN_SCRIPT, "nowhere/chosen.py"]);
    const io = capturedIo({ interactive: true });
    expect(await main(["run", "debug/memray-local"], io, fakeDeps(questions(prompts)).deps)).toBe(2);
    expect(io.err()).toMatch(/nowhere\/chosen\.py/);
  });

  it("a given key is never asked for; Escape runs nothing (130)", async () => {
    const prompts = scripted([]);
    const { deps, calls } = fakeDeps(questions(prompts));
    expect(await main(["run", "debug/memray-install", "-e", "container_target=c"], capturedIo({ interactive: true }), deps)).toBe(0);
    expect(prompts.asked).toEqual([]);
    expect(calls).toEqual([{ client: "install", args: { target: "c", json: false } }]);
    const escaping = fakeDeps(questions(scripted(["<esc>"])));
    const io = capturedIo({ interactive: true });
    expect(await main(["run", "debug/memray-install"], io, escaping.deps)).toBe(130);
    expect(escaping.calls).toEqual([]);
    expect(io.err()).toMatch(/cancelled: nothing was run/);
  });

  it("lists test-cases/*.py under the working directory, the seed's example first", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "memray-cli-cases-"));
    await mkdir(path.join(dir, "test-cases"));
    for (const name of ["b.py", "example-sequential-requests.py", "a.py", "notes.md"]) await writeFile(path.join(dir, "test-cases", name), "");
    expect(await testCaseScripts(dir)).toEqual(["test-cases/example-sequential-requests.py", "test-cases/a.py", "test-cases/b.py"]);
    expect(await testCaseScripts(os.tmpdir())).toEqual([]);
  });
});

describe("run menu (the seed's `mando run menu` → Memory debugging)", () => {
  it("opens the menu, with --out, --name and --json", async () => {
    const { deps, calls } = fakeDeps();
    const io = capturedIo({ interactive: true });
    expect(await main(["run", "menu", "--out", "o", "--json"], io, deps)).toBe(0);
    expect(calls).toEqual([{ client: "menu", args: { out: "o", json: true } }]);
  });

  it("without a terminal says it needs one (exit 2), not an unknown recipe", async () => {
    const io = capturedIo();
    expect(await main(["run", "menu"], io)).toBe(2);
    expect(io.err()).toMatch(/menu needs an interactive terminal/);
    expect(io.err()).not.toMatch(/unknown recipe/);
  });
});
