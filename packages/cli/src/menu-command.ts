import { appNeed, DEFAULT_ATTACH_SECONDS, InvalidOptionError, MODE_RULES, MODES, type Mode } from "@alpiq/memray-core";
import type { CliIo } from "./cli-io.js";
import type { DebugBuildFlags } from "./debug-build-command.js";
import type { InstallFlags } from "./install-command.js";
import { flagLabel, type RawProfileFlags } from "./profile-flags.js";
import { DEFAULT_LOCAL_SCRIPT } from "./recipes.js";

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

const DEFAULT_BASE_IMAGE = "rust:1.88.0-bookworm";

/**
 * `memray-cli menu` (also bare `memray-cli` on a terminal and `run debug/menu`): the seed's tree.
 *   Container profiling → a running service → one of the modes → that mode's inputs
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
  try {
    return await new Menu(io, deps, options).top();
  } catch (error) {
    // Ctrl-C in a prompt (raw mode: it is a key, not SIGINT): leave as an interrupted command does.
    if (error instanceof Error && error.name === "ExitPromptError") return 130;
    throw error;
  }
}

type Where = { local: true } | { target: string };

/** The menu's levels, one method each; every method returns BACK when the user escapes it. */
class Menu {
  constructor(
    private readonly io: CliIo,
    private readonly deps: MenuDeps,
    private readonly options: MenuOptions,
  ) {}

  private say(line: string): void {
    this.io.stderr.write(`${line}\n`);
  }

  private select<T extends string>(
    config: Parameters<MenuPrompts["select"]>[0] & { choices: { name: string; value: T; description?: string }[]; default?: T },
  ) {
    return ask(() => this.deps.prompts.select<T>(config));
  }

  private input(config: Parameters<MenuPrompts["input"]>[0]) {
    return ask(() => this.deps.prompts.input(config));
  }

  async top(): Promise<number> {
    for (;;) {
      const choice = await this.select({
        message: "Memory debugging (memray)",
        choices: [
          { name: "Container profiling", value: "container", description: "a running service: choose it, then a mode (attach profiles its own processes)" },
          { name: "Local profiling", value: "local", description: "a script (or a WSGI or ASGI app) on this host" },
          { name: "Install memray + debug build", value: "install", description: "memray into a container; a PyO3 wheel with Rust debug symbols" },
          { name: "View profiles", value: "view", description: "the run browser: runs, charts, comparison" },
          { name: "Exit", value: "exit" },
        ],
      });
      if (choice === BACK || choice === "exit") return 0;
      if (choice === "view") {
        await this.viewProfiles();
        continue;
      }
      const code =
        choice === "container" ? await this.containerProfiling() : choice === "local" ? await this.chooseModeAndRun({ local: true }) : await this.installMenu();
      if (code !== BACK) return code;
    }
  }

  private async containerProfiling(): Promise<number | Back> {
    const containers = await this.deps.listContainers();
    if (!containers.length) {
      this.say("no running containers (or no Docker engine): start the stack with `tools/stack up`, or choose Local profiling");
      return BACK;
    }
    for (;;) {
      const target = await this.chooseContainer("Service container", containers);
      if (target === BACK) return BACK;
      const code = await this.chooseModeAndRun({ target });
      if (code !== BACK) return code;
    }
  }

  /** A mode, then its inputs, then the run. */
  private async chooseModeAndRun(where: Where): Promise<number | Back> {
    for (;;) {
      const mode = await this.select<Mode>({
        message: "local" in where ? "Profile mode (this host)" : `Profile mode (${where.target})`,
        choices: MODES.map((value) => ({ value, name: `${value.padEnd(11)} ${MODE_RULES[value].title}`, description: MODE_RULES[value].description })),
      });
      if (mode === BACK) return BACK;
      const flags = await this.modeInputs(mode, where);
      if (flags === BACK) continue;
      return this.runProfile(flags);
    }
  }

  /** The questions of one mode, in the order the seed asks them. */
  private async modeInputs(mode: Mode, where: Where): Promise<RawProfileFlags | Back> {
    const flags: RawProfileFlags = { mode, ...where };
    for (const question of [this.askScript, this.askApp, this.askRequest, this.askAttach, this.askTracing, this.askBaseline]) {
      if ((await question.call(this, mode, flags)) === BACK) return BACK;
    }
    return flags;
  }

  private async askScript(mode: Mode, flags: RawProfileFlags): Promise<void | Back> {
    const rule = MODE_RULES[mode];
    if (rule.script === "required" || (rule.script === "optional" && flags.local)) {
      const script = await this.input({
        message: "Script (test-cases/*.py)",
        default: DEFAULT_LOCAL_SCRIPT,
        validate: (value) => value.trim().length > 0 || "a path to a .py file",
      });
      if (script === BACK) return BACK;
      flags.script = script.trim();
    } else if (rule.script === "optional") {
      const script = await this.input({ message: "Script (empty: requests to the service)", default: "" });
      if (script === BACK) return BACK;
      if (script.trim()) flags.script = script.trim();
    }
  }

  /** On this host the app cannot be read from a container: it is asked. */
  private async askApp(mode: Mode, flags: RawProfileFlags): Promise<void | Back> {
    if (!flags.local || appNeed(mode, Boolean(flags.script)) !== "required") return;
    const app = await this.input({
      message: "WSGI or ASGI app (module:attr)",
      validate: (value) => value.includes(":") || "module:attr, e.g. service.app:app",
    });
    if (app === BACK) return BACK;
    flags.app = app.trim();
  }

  /** The endpoint, and for request workloads how many requests and the pause between them. */
  private async askRequest(mode: Mode, flags: RawProfileFlags): Promise<void | Back> {
    const rule = MODE_RULES[mode];
    if (appNeed(mode, Boolean(flags.script)) !== "required" || rule.workload === "serve" || rule.workload === "import") return;
    const endpoint = await this.input({
      message: "Endpoint path (empty: the service's health route, else its first route)",
      default: "",
      validate: (value) => value.trim() === "" || value.trim().startsWith("/") || "a path starting with /, or empty",
    });
    if (endpoint === BACK) return BACK;
    if (endpoint.trim()) flags.endpoint = endpoint.trim();
    if (rule.workload !== "requests" && rule.workload !== "script-or-requests") return;
    const count = await this.input({
      message: "Number of requests",
      default: String(rule.defaults.requests),
      validate: (value) => /^\d+$/.test(value.trim()) || "a whole number",
    });
    if (count === BACK) return BACK;
    flags.requests = count.trim();
    const delay = await this.input({
      message: "Delay between requests (s)",
      default: String(rule.defaults.delaySeconds),
      validate: (value) => /^\d+(\.\d+)?$/.test(value.trim()) || "seconds, e.g. 2 or 0.5",
    });
    if (delay === BACK) return BACK;
    flags.delaySeconds = delay.trim();
  }

  /** attach: the window, the processes on this host, and requests to the service's own port (none: its real traffic). */
  private async askAttach(mode: Mode, flags: RawProfileFlags): Promise<void | Back> {
    if (MODE_RULES[mode].workload !== "attach") return;
    const duration = await this.input({
      message: "Track for (seconds, or until Ctrl-C)",
      default: String(DEFAULT_ATTACH_SECONDS),
      validate: (value) => /^\d+(\.\d+)?$/.test(value.trim()) || "seconds, e.g. 30",
    });
    if (duration === BACK) return BACK;
    flags.durationSeconds = duration.trim();
    if (flags.local) {
      const pids = await this.input({
        message: "Process ids of the service (space separated)",
        validate: (value) => /^\s*\d+(\s+\d+)*\s*$/.test(value) || "one or more process ids",
      });
      if (pids === BACK) return BACK;
      flags.pids = pids.trim().split(/\s+/);
    }
    const count = await this.input({
      message: "Requests to send to the service's port (0: only its own traffic)",
      default: "0",
      validate: (value) => /^\d+$/.test(value.trim()) || "a whole number",
    });
    if (count === BACK) return BACK;
    if (count.trim() === "0") return;
    const endpoint = await this.input({
      message: "Endpoint path",
      default: "/",
      validate: (value) => value.trim().startsWith("/") || "a path starting with /",
    });
    if (endpoint === BACK) return BACK;
    flags.endpoint = endpoint.trim();
    flags.requests = count.trim();
  }

  private async askTracing(mode: Mode, flags: RawProfileFlags): Promise<void | Back> {
    const rule = MODE_RULES[mode];
    if (rule.live) return;
    if (rule.forces.trace_python_allocators) {
      this.say(`${rule.title} always traces Python allocators (trace_allocators=True)`);
      return;
    }
    const trace = await this.select({
      message: "Trace Python allocators",
      choices: [
        { name: "True", value: "True", description: "memray sees every Python allocation (trace_python_allocators)" },
        { name: "False", value: "False", description: "faster; small objects come from pymalloc arenas" },
      ],
      default: "True",
    });
    if (trace === BACK) return BACK;
    if (trace !== "True") flags.traceAllocators = trace;
  }

  private async askBaseline(mode: Mode, flags: RawProfileFlags): Promise<void | Back> {
    if (MODE_RULES[mode].live) return;
    const runs = await this.deps.listRuns();
    if (!runs.length) return;
    const baseline = await this.select({
      message: "Baseline to compare with",
      choices: [{ name: "none", value: "" }, ...runs.slice(0, 20).map((run) => ({ name: run.label, value: run.run_dir }))],
      default: "",
    });
    if (baseline === BACK) return BACK;
    if (baseline) flags.baseline = baseline;
  }

  private runProfile(flags: RawProfileFlags): Promise<number> {
    const { options } = this;
    const all: RawProfileFlags = {
      ...flags,
      ...(options.out && options.out !== "runs" ? { out: options.out } : {}),
      ...(options.name ? { name: options.name } : {}),
      ...(options.json ? { json: true } : {}),
    };
    this.say(`equivalent: ${equivalentCommand(all)}`);
    return this.deps.profile(all);
  }

  private chooseContainer(message: string, containers: string[]) {
    return this.select({ message, choices: containers.map((name) => ({ name, value: name })) });
  }

  private async installMenu(): Promise<number | Back> {
    for (;;) {
      const what = await this.select({
        message: "Install memray + debug build",
        choices: [
          { name: "Install memray into a container", value: "memray", description: "pip install memray into the service's own Python (memray-cli install)" },
          {
            name: "Debug build of a PyO3 project",
            value: "debug-build",
            description: "wheel with full DWARF, built in Docker, cached, installed (memray-cli debug-build)",
          },
        ],
      });
      if (what === BACK) return BACK;
      const containers = await this.deps.listContainers();
      const code = what === "memray" ? await this.installMemray(containers) : await this.debugBuild(containers);
      if (code !== BACK) return code;
    }
  }

  private async installMemray(containers: string[]): Promise<number | Back> {
    if (!containers.length) {
      this.say("no running containers (or no Docker engine): start the stack with `tools/stack up`");
      return BACK;
    }
    const target = await this.chooseContainer("Container", containers);
    if (target === BACK) return BACK;
    const symbols = await this.select({
      message: "Also install python3-dbg (debug symbols)",
      choices: [
        { name: "False", value: "False" },
        { name: "True", value: "True" },
      ],
    });
    if (symbols === BACK) return BACK;
    const json = this.options.json;
    this.say(`equivalent: memray-cli install --target ${quote(target)}${symbols === "True" ? " --debug-symbols" : ""}${json ? " --json" : ""}`);
    return this.deps.install({ target, debugSymbols: symbols === "True", json });
  }

  private async debugBuild(containers: string[]): Promise<number | Back> {
    const source = await this.input({ message: "maturin/PyO3 project directory", validate: (value) => value.trim().length > 0 || "a directory" });
    if (source === BACK) return BACK;
    const baseImage = await this.input({ message: "Base image", default: DEFAULT_BASE_IMAGE });
    if (baseImage === BACK) return BACK;
    const installInto = await this.select({
      message: "Install the wheel into",
      choices: [{ name: "nowhere (build only)", value: "" }, ...containers.map((name) => ({ name, value: name }))],
    });
    if (installInto === BACK) return BACK;
    const flags: DebugBuildFlags = {
      source: source.trim(),
      ...(baseImage.trim() && baseImage.trim() !== DEFAULT_BASE_IMAGE ? { baseImage: baseImage.trim() } : {}),
      ...(installInto ? { installInto } : {}),
      ...(this.options.json ? { json: true } : {}),
    };
    this.say(
      `equivalent: memray-cli debug-build --source ${quote(flags.source as string)}${flags.baseImage ? ` --base-image ${quote(String(flags.baseImage))}` : ""}${installInto ? ` --install-into ${quote(installInto)}` : ""}`,
    );
    return this.deps.debugBuild(flags);
  }

  /** The run browser, until the user goes back. */
  private async viewProfiles(): Promise<void> {
    const view = await this.deps.startView();
    try {
      this.say(`run browser: ${view.url}`);
      await this.select({ message: `Run browser on ${view.url} (Enter or Escape stops it)`, choices: [{ name: "Back", value: "back" }] });
    } finally {
      await view.close();
    }
  }
}
