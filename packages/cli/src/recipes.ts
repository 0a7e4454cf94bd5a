import { InvalidOptionError } from "@alpiq/memray-core";
import type { RawProfileFlags } from "./profile-options.js";

/** `-e key=value` pairs of the seed's recipes, parsed. */
export type RecipeVars = Map<string, string>;

export function parseRecipeVars(pairs: readonly string[]): RecipeVars {
  const vars: RecipeVars = new Map();
  for (const pair of pairs) {
    const index = pair.indexOf("=");
    if (index <= 0) throw new InvalidOptionError(`-e expects key=value, received "${pair}"`);
    vars.set(pair.slice(0, index).trim(), pair.slice(index + 1));
  }
  return vars;
}

interface ProfileRecipe {
  kind: "profile";
  keys: Record<string, keyof RawProfileFlags>;
  defaults: RawProfileFlags;
  describe: string;
}
interface InstallRecipe {
  kind: "install";
  keys: Record<string, string>;
  describe: string;
}
type Recipe = ProfileRecipe | InstallRecipe;

const PROFILE_KEYS: Record<string, keyof RawProfileFlags> = {
  container_target: "target",
  profile_mode: "mode",
  trace_allocators: "traceAllocators",
  script_path: "script",
  endpoint_path: "endpoint",
  endpoint_method: "method",
  request_body: "body",
  request_count: "requests",
  delay_seconds: "delay",
  app: "app",
  port: "port",
  python: "python",
  run_name: "name",
  out_dir: "out",
};

/** The seed's recipe names and `-e` keys, unchanged. */
export const RECIPES: Record<string, Recipe> = {
  "debug/memray-container": {
    kind: "profile",
    keys: PROFILE_KEYS,
    defaults: { mode: "snapshot" },
    describe: "profile a service container (profile_mode: snapshot, endpoint, script, live-web, live-remote, stats, leaks, objects)",
  },
  "debug/memray-sequence": {
    kind: "profile",
    keys: PROFILE_KEYS,
    defaults: { mode: "sequence" },
    describe: "N requests to an endpoint with a delay: RSS per request, temporal flamegraph, leak verdict",
  },
  "debug/memray-local": {
    kind: "profile",
    keys: PROFILE_KEYS,
    defaults: { mode: "script", script: "test-cases/example-sequential-requests.py" },
    describe: "profile a Python script on this host with the instrumented runner",
  },
  "debug/memray-install": {
    kind: "install",
    keys: { container_target: "target", wheelhouse: "wheelhouse", debug_symbols: "debugSymbols", python: "python" },
    describe: "install memray into a container's Python (pip, or offline from a wheelhouse)",
  },
};

export type RecipeInvocation =
  | { kind: "profile"; flags: RawProfileFlags }
  | { kind: "install"; options: Record<string, string> };

/** Translate `run <recipe> -e k=v ...` into the flags of the matching command. */
export function translateRecipe(name: string, vars: RecipeVars): RecipeInvocation {
  const recipe = RECIPES[name];
  if (!recipe) {
    throw new InvalidOptionError(`unknown recipe "${name}"; known recipes: ${Object.keys(RECIPES).join(", ")}`);
  }
  for (const key of vars.keys()) {
    if (!(key in recipe.keys)) {
      throw new InvalidOptionError(`recipe ${name} has no -e ${key}; it takes: ${Object.keys(recipe.keys).join(", ")}`);
    }
  }
  if (recipe.kind === "install") {
    const options: Record<string, string> = {};
    for (const [key, value] of vars) options[recipe.keys[key]!] = value;
    return { kind: "install", options };
  }
  const flags: RawProfileFlags = { ...recipe.defaults };
  for (const [key, value] of vars) {
    (flags as Record<string, unknown>)[recipe.keys[key]!] = value;
  }
  if (name === "debug/memray-container" && !flags.target) {
    throw new InvalidOptionError(`recipe ${name} needs -e container_target=<container> (e.g. local-forecast-1)`);
  }
  return { kind: "profile", flags };
}
