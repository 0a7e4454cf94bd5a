import { appNeed, InvalidOptionError, MODE_RULES, MODES, type Mode } from "@alpiq/memray-core";
import type { CliIo } from "./cli-io.js";
import { flagLabel, type RawProfileFlags } from "./profile-flags.js";

/** The prompts the menu uses (the @inquirer/prompts functions; fakes in tests). */
export interface MenuPrompts {
  select<T extends string>(config: { message: string; choices: { name: string; value: T; description?: string }[] }): Promise<T>;
  input(config: { message: string; default?: string; validate?: (value: string) => boolean | string }): Promise<string>;
}

export interface MenuDeps {
  prompts: MenuPrompts;
  /** Names of running containers (empty when no engine answers). */
  listContainers: () => Promise<string[]>;
  /** Runs `profile` with the chosen flags; returns the exit code. */
  profile: (flags: RawProfileFlags) => Promise<number>;
  isInteractive: boolean;
}

/** Render flags as the equivalent command line, so users learn the non-interactive form. */
export function equivalentCommand(flags: RawProfileFlags): string {
  const parts = ["memray-cli", "profile"];
  for (const [field, value] of Object.entries(flags)) {
    if (value === undefined || value === false) continue;
    const flag = flagLabel(field);
    for (const item of Array.isArray(value) ? value : [value]) {
      if (item === true) parts.push(flag);
      else parts.push(flag, /^[\w./:=@-]+$/.test(String(item)) ? String(item) : JSON.stringify(String(item)));
    }
  }
  return parts.join(" ");
}

/** `memray-cli menu`: Memory debugging → choose target → choose mode → the few questions that mode needs. */
export async function menuCommand(io: CliIo, deps: MenuDeps): Promise<number> {
  if (!deps.isInteractive) {
    throw new InvalidOptionError("menu needs an interactive terminal", {
      hint: "use `memray-cli profile --mode <mode> ...` or `memray-cli run debug/memray-container -e ...`",
    });
  }
  const { prompts } = deps;
  const containers = await deps.listContainers();
  const target = await prompts.select({
    message: "Memory debugging — profile what?",
    choices: [
      ...containers.map((name) => ({ name: `container ${name}`, value: name })),
      { name: "a script on this host", value: "@local" },
    ],
  });
  const local = target === "@local";
  const mode = await prompts.select<Mode>({
    message: "Mode",
    choices: MODES.map((value) => ({ value, name: MODE_RULES[value].title, description: MODE_RULES[value].description })),
  });
  const rule = MODE_RULES[mode];
  const flags: RawProfileFlags = { mode, ...(local ? { local: true } : { target }) };
  // A script where the mode takes one; on this host the script is the workload unless the mode must serve the app.
  if (rule.script === "required" || (local && rule.script === "optional")) {
    flags.script = await prompts.input({
      message: "Script path",
      default: "test-cases/example-sequential-requests.py",
      validate: (value) => value.trim().length > 0 || "a path to a .py file",
    });
  }
  const needsApp = appNeed(mode, Boolean(flags.script)) === "required";
  if (local && needsApp) {
    flags.app = await prompts.input({ message: "WSGI app (module:attr)", validate: (v) => v.includes(":") || "module:attr" });
  }
  if (needsApp && rule.workload !== "serve") {
    flags.endpoint = await prompts.input({ message: "Endpoint path", default: "/" });
  }
  if (rule.workload === "requests") {
    flags.requests = await prompts.input({ message: "Number of requests", default: String(rule.defaults.requests) });
    flags.delaySeconds = await prompts.input({ message: "Delay between requests (s)", default: String(rule.defaults.delaySeconds) });
  }
  io.stderr.write(`equivalent: ${equivalentCommand(flags)}\n`);
  return deps.profile(flags);
}
