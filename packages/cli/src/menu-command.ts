import { appNeed, InvalidOptionError, MODE_RULES, MODES, type Mode } from "@alpiq/memray-core";
import type { CliIo } from "./cli-io.js";
import type { DebugBuildFlags } from "./debug-build-command.js";
import type { InstallFlags } from "./install-command.js";
import { flagLabel, type RawProfileFlags } from "./profile-flags.js";

/**
 * The prompts the menu uses (the @inquirer/prompts functions on stderr; fakes in tests). A prompt the
 * user leaves with Escape rejects with an error named `AbortPromptError`: the menu goes back one level.
 */
export interface MenuPrompts {
  select<T extends string>(config: { message: string; choices: { name: string; value: T; description?: string }[]; default?: T }): Promise<T>;
  input(config: { message: string; default?: string; validate?: (value: string) => boolean | string }): Promise<string>;
}

/** The run browser as the menu runs it: until the user goes back. */
export interface RunningView {
  url: string;
  close(): Promise<void>;
}

export interface MenuDeps {
  prompts: MenuPrompts;
  /** Names of running containers (empty when no engine answers). */
  listContainers: () => Promise<string[]>;
  /** Run directories under --out, newest first, for the baseline question. */
  listRuns: () => Promise<{ run_dir: string; label: string }[]>;
  /** Runs `profile` with the chosen flags; returns the exit code. */
  profile: (flags: RawProfileFlags) => Promise<number>;
  /** `memray-cli install`. */
  install: (flags: InstallFlags) => Promise<number>;
  /** `memray-cli debug-build` (debugBuildCommand). */
  debugBuild: (flags: DebugBuildFlags) => Promise<number>;
  /** Start the run browser (`memray-cli view`). */
  startView: () => Promise<RunningView>;
  isInteractive: boolean;
}

/** `menu --out --name --json`: passed on to the runs the menu starts. */
export interface MenuOptions {
  out?: string;
  name?: string;
  json?: boolean;
}

/** Escape in a prompt: one level up. */
const BACK = Symbol("back");
type Back = typeof BACK;

function isEscape(error: unknown): boolean {
  return error instanceof Error && error.name === "AbortPromptError";
}

async function ask<T>(prompt: () => Promise<T>): Promise<T | Back> {
  try {
    return await prompt();
  } catch (error) {
    if (isEscape(error)) return BACK;
    throw error;
  }
}

const quote = (value: string) => (/^[\w./:=@-]+$/.test(value) ? value : JSON.stringify(value));

/** Render flags as the equivalent command line, so users learn the non-interactive form. */
export function equivalentCommand(flags: RawProfileFlags): string {
  const parts = ["memray-cli", "profile"];
  for (const [field, value] of Object.entries(flags)) {
    if (value === undefined || value === false) continue;
    const flag = flagLabel(field);
    for (const item of Array.isArray(value) ? value : [value]) {
      if (item === true) parts.push(flag);
      else parts.push(flag, quote(String(item)));
    }
  }
  return parts.join(" ");
}

const DEFAULT_SCRIPT = "test-cases/example-sequential-requests.py";
const DEFAULT_BASE_IMAGE = "rust:1.88.0-bookworm";

/**
 * `memray-cli menu` (also bare `memray-cli` on a terminal and `run debug/menu`): the seed's tree.
 *   Container profiling → a running service → one of the nine modes → that mode's inputs
 *   Local profiling → a mode → its inputs
 *   Install memray + debug build → memray into a container | a debug wheel of a PyO3 project
 *   View profiles → the run browser, until the user goes back
 * Escape goes back one level (at the top it leaves); the chosen action's exit code is the menu's.
 */
export async function menuCommand(io: CliIo, deps: MenuDeps, options: MenuOptions = {}): Promise<number> {
  if (!deps.isInteractive) {
    throw new InvalidOptionError("menu needs an interactive terminal", {
      hint: "use `memray-cli profile --mode <mode> ...` or `memray-cli run debug/memray-container -e ...`",
    });
  }
  const { prompts } = deps;
  const say = (line: string) => io.stderr.write(`${line}\n`);

  const runProfile = (flags: RawProfileFlags) => {
    const all: RawProfileFlags = {
      ...flags,
      ...(options.out && options.out !== "runs" ? { out: options.out } : {}),
      ...(options.name ? { name: options.name } : {}),
      ...(options.json ? { json: true } : {}),
    };
    say(`equivalent: ${equivalentCommand(all)}`);
    return deps.profile(all);
  };

  const chooseContainer = async (message: string, containers: string[]) =>
    ask(() => prompts.select({ message, choices: containers.map((name) => ({ name, value: name })) }));

  /** The questions of one mode; BACK when the user escapes (back to the mode list). */
  const modeInputs = async (mode: Mode, where: { local: true } | { target: string }): Promise<RawProfileFlags | Back> => {
    const rule = MODE_RULES[mode];
    const local = "local" in where;
    const flags: RawProfileFlags = { mode, ...where };
    if (rule.script === "required" || (rule.script === "optional" && local)) {
      const script = await ask(() =>
        prompts.input({ message: "Script (test-cases/*.py)", default: DEFAULT_SCRIPT, validate: (value) => value.trim().length > 0 || "a path to a .py file" }),
      );
      if (script === BACK) return BACK;
      flags.script = script.trim();
    } else if (rule.script === "optional") {
      const script = await ask(() => prompts.input({ message: "Script (empty: requests to the service)", default: "" }));
      if (script === BACK) return BACK;
      if (script.trim()) flags.script = script.trim();
    }
    const needsApp = appNeed(mode, Boolean(flags.script)) === "required";
    if (local && needsApp) {
      const app = await ask(() => prompts.input({ message: "WSGI app (module:attr)", validate: (value) => value.includes(":") || "module:attr, e.g. service.app:app" }));
      if (app === BACK) return BACK;
      flags.app = app.trim();
    }
    if (needsApp && rule.workload !== "serve" && rule.workload !== "import") {
      const endpoint = await ask(() =>
        prompts.input({ message: "Endpoint path", default: "/", validate: (value) => value.trim().startsWith("/") || "a path starting with /" }),
      );
      if (endpoint === BACK) return BACK;
      flags.endpoint = endpoint.trim();
      const requestsWorkload = rule.workload === "requests" || rule.workload === "script-or-requests";
      if (requestsWorkload) {
        const count = await ask(() =>
          prompts.input({ message: "Number of requests", default: String(rule.defaults.requests), validate: (value) => /^\d+$/.test(value.trim()) || "a whole number" }),
        );
        if (count === BACK) return BACK;
        flags.requests = count.trim();
        const delay = await ask(() =>
          prompts.input({ message: "Delay between requests (s)", default: String(rule.defaults.delaySeconds), validate: (value) => /^\d+(\.\d+)?$/.test(value.trim()) || "seconds, e.g. 2 or 0.5" }),
        );
        if (delay === BACK) return BACK;
        flags.delaySeconds = delay.trim();
      }
    }
    if (!rule.live) {
      if (rule.forces.trace_python_allocators) {
        say(`${rule.title} always traces Python allocators (trace_allocators=True)`);
      } else {
        const trace = await ask(() =>
          prompts.select({
            message: "Trace Python allocators",
            choices: [
              { name: "True", value: "True", description: "memray sees every Python allocation (trace_python_allocators)" },
              { name: "False", value: "False", description: "faster; small objects come from pymalloc arenas" },
            ],
            default: "True",
          }),
        );
        if (trace === BACK) return BACK;
        if (trace !== "True") flags.traceAllocators = trace;
      }
      const runs = await deps.listRuns();
      if (runs.length) {
        const baseline = await ask(() =>
          prompts.select({
            message: "Baseline to compare with",
            choices: [{ name: "none", value: "" }, ...runs.slice(0, 20).map((run) => ({ name: run.label, value: run.run_dir }))],
            default: "",
          }),
        );
        if (baseline === BACK) return BACK;
        if (baseline) flags.baseline = baseline;
      }
    }
    return flags;
  };

  /** A mode, then its inputs, then the run; BACK when the user escapes the mode list. */
  const chooseModeAndRun = async (where: { local: true } | { target: string }): Promise<number | Back> => {
    for (;;) {
      const mode = await ask(() =>
        prompts.select<Mode>({
          message: "local" in where ? "Profile mode (this host)" : `Profile mode (${where.target})`,
          choices: MODES.map((value) => ({ value, name: `${value.padEnd(11)} ${MODE_RULES[value].title}`, description: MODE_RULES[value].description })),
        }),
      );
      if (mode === BACK) return BACK;
      const flags = await modeInputs(mode, where);
      if (flags === BACK) continue;
      return runProfile(flags);
    }
  };

  const containerProfiling = async (): Promise<number | Back> => {
    const containers = await deps.listContainers();
    if (!containers.length) {
      say("no running containers (or no Docker engine): start the stack with `tools/stack up`, or choose Local profiling");
      return BACK;
    }
    for (;;) {
      const target = await chooseContainer("Service container", containers);
      if (target === BACK) return BACK;
      const code = await chooseModeAndRun({ target });
      if (code !== BACK) return code;
    }
  };

  const installMenu = async (): Promise<number | Back> => {
    for (;;) {
      const what = await ask(() =>
        prompts.select({
          message: "Install memray + debug build",
          choices: [
            { name: "Install memray into a container", value: "memray", description: "pip install memray into the service's own Python (memray-cli install)" },
            { name: "Debug build of a PyO3 project", value: "debug-build", description: "wheel with full DWARF, built in Docker, cached, installed (memray-cli debug-build)" },
          ],
        }),
      );
      if (what === BACK) return BACK;
      const containers = await deps.listContainers();
      if (what === "memray") {
        if (!containers.length) {
          say("no running containers (or no Docker engine): start the stack with `tools/stack up`");
          continue;
        }
        const target = await chooseContainer("Container", containers);
        if (target === BACK) continue;
        const symbols = await ask(() =>
          prompts.select({
            message: "Also install python3-dbg (debug symbols)",
            choices: [
              { name: "False", value: "False" },
              { name: "True", value: "True" },
            ],
          }),
        );
        if (symbols === BACK) continue;
        say(`equivalent: memray-cli install --target ${quote(target)}${symbols === "True" ? " --debug-symbols" : ""}${options.json ? " --json" : ""}`);
        return deps.install({ target, debugSymbols: symbols === "True", json: options.json });
      }
      const source = await ask(() => prompts.input({ message: "maturin/PyO3 project directory", validate: (value) => value.trim().length > 0 || "a directory" }));
      if (source === BACK) continue;
      const baseImage = await ask(() => prompts.input({ message: "Base image", default: DEFAULT_BASE_IMAGE }));
      if (baseImage === BACK) continue;
      const installInto = await ask(() =>
        prompts.select({ message: "Install the wheel into", choices: [{ name: "nowhere (build only)", value: "" }, ...containers.map((name) => ({ name, value: name }))] }),
      );
      if (installInto === BACK) continue;
      const flags: DebugBuildFlags = {
        source: source.trim(),
        ...(baseImage.trim() && baseImage.trim() !== DEFAULT_BASE_IMAGE ? { baseImage: baseImage.trim() } : {}),
        ...(installInto ? { installInto } : {}),
        ...(options.json ? { json: true } : {}),
      };
      say(
        `equivalent: memray-cli debug-build --source ${quote(flags.source as string)}${flags.baseImage ? ` --base-image ${quote(String(flags.baseImage))}` : ""}${installInto ? ` --install-into ${quote(installInto)}` : ""}`,
      );
      return deps.debugBuild(flags);
    }
  };

  const viewProfiles = async (): Promise<void> => {
    const view = await deps.startView();
    try {
      say(`run browser: ${view.url}`);
      await ask(() => prompts.select({ message: `Run browser on ${view.url} (Enter or Escape stops it)`, choices: [{ name: "Back", value: "back" }] }));
    } finally {
      await view.close();
    }
  };

  try {
    return await topMenu();
  } catch (error) {
    // Ctrl-C in a prompt (raw mode: it is a key, not SIGINT): leave as an interrupted command does.
    if (error instanceof Error && error.name === "ExitPromptError") return 130;
    throw error;
  }

  async function topMenu(): Promise<number> {
    for (;;) {
      const choice = await ask(() =>
        prompts.select({
          message: "Memory debugging (memray)",
          choices: [
            { name: "Container profiling", value: "container", description: "a running service: choose it, then one of the nine modes" },
            { name: "Local profiling", value: "local", description: "a script (or a WSGI app) on this host" },
            { name: "Install memray + debug build", value: "install", description: "memray into a container; a PyO3 wheel with Rust debug symbols" },
            { name: "View profiles", value: "view", description: "the run browser: runs, charts, comparison" },
            { name: "Exit", value: "exit" },
          ],
        }),
      );
      if (choice === BACK || choice === "exit") return 0;
      if (choice === "view") {
        await viewProfiles();
        continue;
      }
      const code = choice === "container" ? await containerProfiling() : choice === "local" ? await chooseModeAndRun({ local: true }) : await installMenu();
      if (code !== BACK) return code;
    }
  }
}
