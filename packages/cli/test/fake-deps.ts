import { TargetRegistry } from "@alpiq/memray-core";
import type { CliDeps } from "../src/deps.js";
import type { RecipeQuestionDeps } from "../src/recipe-questions.js";

/** The CLI's clients as fakes that record which one was called, with what (no target known). */
export function fakeDeps(recipeQuestions?: RecipeQuestionDeps) {
  const calls: { client: string; args: unknown }[] = [];
  const deps: CliDeps = {
    profile: { targets: new TargetRegistry([]) },
    install: async (_io, flags) => (calls.push({ client: "install", args: flags }), 0),
    debugBuild: async (_io, flags) => (calls.push({ client: "debugBuild", args: flags }), 0),
    compare: async (argv) => (calls.push({ client: "compare", args: argv }), 0),
    menu: async (_io, options) => (calls.push({ client: "menu", args: options }), 0),
    ...(recipeQuestions ? { recipeQuestions: async () => recipeQuestions } : {}),
  };
  return { deps, calls };
}
