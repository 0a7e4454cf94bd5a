import { InvalidOptionError, MODE_RULES, type Mode } from "@alpiq/memray-core";
import { PROFILE_FLAGS, type ProfileFlagField, type RawProfileFlags } from "./profile-flags.js";

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
  defaults: RawProfileFlags;
  /** Keys this recipe must be given. */
  required: ProfileFlagField[];
  describe: string;
}
interface InstallRecipe {
  kind: "install";
  keys: Record<string, string>;
  describe: string;
}
/** `-e key=value` mapped onto the flags of `memray-cli debug-build`. */
interface DebugBuildRecipe {
  kind: "debug-build";
  keys: Record<string, string>;
  describe: string;
}
type Recipe = ProfileRecipe | InstallRecipe | DebugBuildRecipe;

/** The seed's `-e` keys of the profiling recipes, from the flag table. */
const PROFILE_KEYS: ReadonlyMap<string, ProfileFlagField> = new Map(
  PROFILE_FLAGS.filter((spec) => spec.recipeKey).map((spec) => [spec.recipeKey!, spec.field]),
);

const containerModes = (Object.keys(MODE_RULES) as Mode[]).filter((mode) => mode !== "sequence").join(", ");

/** The seed's recipe names and `-e` keys, unchanged. */
export const RECIPES: Record<string, Recipe> = {
  "debug/memray-container": {
    kind: "profile",
    defaults: { mode: "snapshot" },
    required: ["target"],
    describe: `profile a service container (profile_mode: ${containerModes})`,
  },
  "debug/memray-sequence": {
    kind: "profile",
    defaults: { mode: "sequence" },
    required: [],
    describe: MODE_RULES.sequence.description,
  },
  "debug/memray-local": {
    kind: "profile",
    defaults: { mode: "script", script: "test-cases/example-sequential-requests.py" },
    required: [],
    describe: "profile a Python script on this host with the instrumented runner",
  },
  "debug/memray-install": {
    kind: "install",
    keys: { container_target: "target", wheelhouse: "wheelhouse", debug_symbols: "debugSymbols", python: "python" },
    describe: "install memray into a container's Python (pip, or offline from a wheelhouse)",
  },
  "debug/memray-debug-build": {
    kind: "debug-build",
    keys: { source_dir: "source", install_into: "installInto", base_image: "baseImage", cache_dir: "cacheDir", rebuild: "rebuild" },
    describe: "build a PyO3/maturin wheel with full DWARF debug info in Docker (cached in /tmp/pymando-debug), verify it, install it into a container",
  },
};

export type RecipeInvocation =
  | { kind: "profile"; flags: RawProfileFlags; label: (field: string) => string }
  | { kind: "install"; options: Record<string, string> }
  | { kind: "debug-build"; options: Record<string, string> };

/** Translate `run <recipe> -e k=v ...` into the flags of the matching command. */
export function translateRecipe(name: string, vars: RecipeVars): RecipeInvocation {
  const recipe = RECIPES[name];
  if (!recipe) {
    throw new InvalidOptionError(`unknown recipe "${name}"; known recipes: ${Object.keys(RECIPES).join(", ")}`);
  }
  const keys = recipe.kind === "profile" ? PROFILE_KEYS : new Map(Object.entries(recipe.keys));
  for (const key of vars.keys()) {
    if (!keys.has(key)) throw new InvalidOptionError(`recipe ${name} has no -e ${key}; it takes: ${[...keys.keys()].join(", ")}`);
  }
  if (recipe.kind === "install") {
    return { kind: "install", options: Object.fromEntries([...vars].map(([key, value]) => [recipe.keys[key]!, value])) };
  }
  if (recipe.kind === "debug-build") {
    if (!vars.get("source_dir")) throw new InvalidOptionError(`recipe ${name} needs -e source_dir=<dir> (the maturin/PyO3 project, e.g. -e source_dir=../../mando/py-mando)`);
    return { kind: "debug-build", options: Object.fromEntries([...vars].map(([key, value]) => [recipe.keys[key]!, value])) };
  }
  const flags: RawProfileFlags = { ...recipe.defaults };
  for (const [key, value] of vars) flags[PROFILE_KEYS.get(key)!] = value;
  const keyOf = new Map([...PROFILE_KEYS].map(([key, field]) => [field, key]));
  const label = (field: string) => (keyOf.has(field as ProfileFlagField) ? `-e ${keyOf.get(field as ProfileFlagField)}` : field);
  for (const field of recipe.required) {
    if (!flags[field]) throw new InvalidOptionError(`recipe ${name} needs ${label(field)}=<value> (e.g. ${label(field)}=local-forecast-1)`);
  }
  return { kind: "profile", flags, label };
}
