import { InvalidOptionError, isCanonicalPythonBool, MODE_RULES, MODES, pythonBoolSchema } from "@alpiq/memray-core";
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
  /** Profile keys this recipe does not take (its mode or target is fixed). */
  excluded: string[];
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
/** The seed's `run debug/menu`: the interactive menu. */
interface MenuRecipe {
  kind: "menu";
  keys: Record<string, string>;
  describe: string;
}
type Recipe = ProfileRecipe | InstallRecipe | DebugBuildRecipe | MenuRecipe;

/** The seed's `-e` keys of the profiling recipes, from the flag table. */
const PROFILE_KEYS: ReadonlyMap<string, ProfileFlagField> = new Map(
  PROFILE_FLAGS.filter((spec) => spec.recipeKey).map((spec) => [spec.recipeKey!, spec.field]),
);
const keyOfField = new Map([...PROFILE_KEYS].map(([key, field]) => [field, key]));

const containerModes = MODES.filter((mode) => mode !== "sequence").join(", ");

/** The script `debug/memray-local`, the menu and the recipe questions offer when none is named: the seed's example. */
export const DEFAULT_LOCAL_SCRIPT = "test-cases/example-sequential-requests.py";

/** The seed's recipe names and `-e` keys, unchanged. */
export const RECIPES: Record<string, Recipe> = {
  "debug/memray-container": {
    kind: "profile",
    defaults: { mode: "snapshot" },
    required: ["target"],
    excluded: [],
    describe: `profile a service container (profile_mode: ${containerModes}, sequence)`,
  },
  "debug/memray-sequence": {
    kind: "profile",
    defaults: { mode: "sequence" },
    required: [],
    excluded: ["profile_mode", "script_path"],
    describe: MODE_RULES.sequence.description,
  },
  "debug/memray-attach": {
    kind: "profile",
    defaults: { mode: "attach" },
    required: [],
    excluded: ["profile_mode", "script_path"],
    describe: MODE_RULES.attach.description,
  },
  "debug/memray-local": {
    kind: "profile",
    defaults: { mode: "script", script: DEFAULT_LOCAL_SCRIPT },
    required: [],
    excluded: ["container_target", "wiremock_url"],
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
  "debug/menu": {
    kind: "menu",
    keys: { out_dir: "out", run_name: "name" },
    describe: "the interactive menu: Container profiling, Local profiling, Install memray + debug build, View profiles",
  },
  // The seed's `mando run menu` → "Memory debugging": the same menu (it needs a terminal: exit 2 without one).
  menu: {
    kind: "menu",
    keys: { out_dir: "out", run_name: "name" },
    describe: "the seed's `run menu` (→ Memory debugging): the interactive menu, as debug/menu; needs a terminal",
  },
};

/** What every recipe accepts besides its `-e` keys (flags of `run`; they win over -e out_dir/run_name). */
export interface RecipeFlags {
  out?: string;
  name?: string;
  json?: boolean;
  quiet?: boolean;
}

/** What a recipe runs; `notes` (present when there are any) are printed before it runs. */
export type RecipeInvocation =
  | { kind: "profile"; flags: RawProfileFlags; label: (field: string) => string; notes?: string[] }
  | { kind: "install"; options: Record<string, string>; notes?: string[] }
  | { kind: "debug-build"; options: Record<string, string>; notes?: string[] }
  | { kind: "menu"; options: { out?: string; name?: string }; notes?: string[] };

/** The keys a recipe takes, in the order help lists them. */
export function recipeKeys(name: string): string[] {
  const recipe = RECIPES[name];
  if (!recipe) return [];
  if (recipe.kind === "profile") return [...PROFILE_KEYS.keys()].filter((key) => !recipe.excluded.includes(key));
  return Object.keys(recipe.keys);
}

/**
 * trace_allocators (and the other True/False keys) as the seed spells them: `True`/`False`; `true`,
 * `1`, `no`, ... are read the same with a note; anything else is an error naming the key.
 */
function normaliseBool(key: string, value: string, notes: string[]): string {
  const parsed = pythonBoolSchema.safeParse(value);
  if (!parsed.success) throw new InvalidOptionError(`-e ${key} expects True or False, received "${value}"`);
  const canonical = parsed.data ? "True" : "False";
  if (!isCanonicalPythonBool(value)) notes.push(`-e ${key}=${value} read as ${canonical} (the seed spells it True or False)`);
  return canonical;
}

const BOOL_KEYS = new Set(["trace_allocators", "debug_symbols", "rebuild", "aggregate"]);
/** True/False keys that are switches on the command line (`--aggregate`). */
const SWITCH_KEYS = new Set(["aggregate"]);
/** Keys whose value is a comma-separated list (`-e pids=412,413`). */
const LIST_KEYS = new Set(["pids"]);

/** Translate `run <recipe> -e k=v ... [--out --name --json --quiet]` into the flags of the matching command. */
export function translateRecipe(name: string, vars: RecipeVars, flags: RecipeFlags = {}): RecipeInvocation {
  const recipe = RECIPES[name];
  if (!recipe) {
    throw new InvalidOptionError(`unknown recipe "${name}"; known recipes: ${Object.keys(RECIPES).join(", ")}`, {
      hint: "run `memray-cli run --help` for each recipe's -e keys",
    });
  }
  const keys = recipeKeys(name);
  for (const key of vars.keys()) {
    if (!keys.includes(key)) throw new InvalidOptionError(`recipe ${name} has no -e ${key}; it takes: ${keys.join(", ")}`);
  }
  const noted: string[] = [];
  for (const [key, value] of vars) if (BOOL_KEYS.has(key)) vars.set(key, normaliseBool(key, value, noted));
  const notes = () => (noted.length ? { notes: noted } : {});

  if (recipe.kind !== "profile") {
    const options = Object.fromEntries([...vars].map(([key, value]) => [recipe.keys[key]!, value]));
    if (recipe.kind === "menu") {
      return { kind: "menu", options: { ...options, ...(flags.out ? { out: flags.out } : {}), ...(flags.name ? { name: flags.name } : {}) }, ...notes() };
    }
    if (flags.out || flags.name) noted.push(`${name} writes no run directory: --out and --name are not used`);
    if (recipe.kind === "install") return { kind: "install", options, ...notes() };
    if (!vars.get("source_dir"))
      throw new InvalidOptionError(`recipe ${name} needs -e source_dir=<dir> (the maturin/PyO3 project, e.g. -e source_dir=../../mando/py-mando)`);
    return { kind: "debug-build", options, ...notes() };
  }

  const profile: RawProfileFlags = { ...recipe.defaults };
  for (const [key, value] of vars) {
    const field = PROFILE_KEYS.get(key)!;
    if (LIST_KEYS.has(key))
      profile[field] = value
        .split(",")
        .map((item) => item.trim())
        .filter(Boolean);
    else if (SWITCH_KEYS.has(key)) profile[field] = value === "True";
    else profile[field] = value;
  }
  if (flags.out) profile.out = flags.out;
  if (flags.name) profile.name = flags.name;
  const label = (field: string) => (keyOfField.has(field as ProfileFlagField) ? `-e ${keyOfField.get(field as ProfileFlagField)}` : `--${field}`);
  for (const field of recipe.required) {
    if (!profile[field]) throw new InvalidOptionError(`recipe ${name} needs ${label(field)}=<value> (e.g. ${label(field)}=local-forecast-1)`);
  }
  return { kind: "profile", flags: profile, label, ...notes() };
}

/** Words of `text` in lines of at most `width` characters, each indented. */
function wrap(text: string, indent: string, width = 100): string {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line && indent.length + line.length + 1 + word.length > width) {
      lines.push(indent + line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(indent + line);
  return lines.join("\n");
}

/** The recipes and their keys, for `run --help`. */
export function describeRecipes(): string {
  return Object.entries(RECIPES)
    .map(([name, recipe]) => `  ${name}\n${wrap(recipe.describe, "      ")}\n${wrap(`-e ${recipeKeys(name).join(", ")}`, "      ")}`)
    .join("\n");
}
