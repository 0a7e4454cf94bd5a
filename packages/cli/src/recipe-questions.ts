import { readdir } from "node:fs/promises";
import path from "node:path";
import type { CliIo } from "./cli-io.js";
import type { MenuPrompts } from "./menu-command.js";
import { DEFAULT_LOCAL_SCRIPT, type RecipeVars } from "./recipes.js";

/**
 * What the seed's flows ask on a terminal when a recipe is run without its target or script:
 *   `run debug/memray-install`  → choose among the running containers (e.g. local-forecast-1)
 *   `run debug/memray-local`    → the test-cases scripts, or "enter your own script path"
 * Without a terminal nothing is asked: install keeps its error (exit 2), local its default script.
 */
export interface RecipeQuestionDeps {
  prompts: MenuPrompts;
  /** Names of running containers (empty when no engine answers). */
  listContainers: () => Promise<string[]>;
  /** The .py files of test-cases/ under the working directory, as paths relative to it. */
  listScripts: () => Promise<string[]>;
}

/** The -e key a recipe is missing that a terminal can ask for, or null. */
export function missingRecipeKey(recipe: string, vars: RecipeVars): "container_target" | "script_path" | null {
  if (recipe === "debug/memray-install" && !vars.get("container_target")) return "container_target";
  if (recipe === "debug/memray-local" && !vars.get("script_path")) return "script_path";
  return null;
}

/** The choice that asks for a path instead. */
export const OWN_SCRIPT = "<enter your own>";

/** The test-cases scripts under `cwd` (sorted, the seed's example first). */
export async function testCaseScripts(cwd: string): Promise<string[]> {
  const names = await readdir(path.join(cwd, "test-cases")).catch(() => [] as string[]);
  const scripts = names
    .filter((name) => name.endsWith(".py"))
    .sort()
    .map((name) => `test-cases/${name}`);
  return [...scripts.filter((s) => s === DEFAULT_LOCAL_SCRIPT), ...scripts.filter((s) => s !== DEFAULT_LOCAL_SCRIPT)];
}

/**
 * Ask for the missing key on a terminal; returns the vars with the answer set, or null when the user left
 * (Escape, Ctrl-C): nothing is run then. An install with no running container to choose says so and asks
 * nothing (the recipe's own error follows).
 */
export async function askRecipeQuestions(io: CliIo, recipe: string, vars: RecipeVars, deps: RecipeQuestionDeps): Promise<RecipeVars | null> {
  const key = missingRecipeKey(recipe, vars);
  if (!key) return vars;
  try {
    if (key === "container_target") {
      const containers = await deps.listContainers();
      if (!containers.length) {
        io.stderr.write("no running containers to choose from (or no Docker engine): start the stack with `tools/stack up`\n");
        return vars;
      }
      const target = await deps.prompts.select({
        message: "Install memray into which container",
        choices: containers.map((name) => ({ name, value: name })),
      });
      vars.set("container_target", target);
      io.stderr.write(`equivalent: memray-cli run ${recipe} -e container_target=${target}\n`);
      return vars;
    }
    const scripts = await deps.listScripts();
    const choice = await deps.prompts.select({
      message: "Script to profile on this host",
      choices: [
        ...scripts.map((script) => ({ name: script, value: script })),
        { name: "Enter your own script path", value: OWN_SCRIPT, description: "any .py file" },
      ],
      ...(scripts.includes(DEFAULT_LOCAL_SCRIPT) ? { default: DEFAULT_LOCAL_SCRIPT } : {}),
    });
    const script =
      choice === OWN_SCRIPT
        ? (await deps.prompts.input({ message: "Script path (.py)", validate: (value) => value.trim().length > 0 || "a path to a .py file" })).trim()
        : choice;
    vars.set("script_path", script);
    io.stderr.write(`equivalent: memray-cli run ${recipe} -e script_path=${script}\n`);
    return vars;
  } catch (error) {
    if (error instanceof Error && (error.name === "AbortPromptError" || error.name === "ExitPromptError")) return null;
    throw error;
  }
}
