import { InvalidOptionError, type Mode } from "@alpiq/memray-core";
import type { CliIo } from "./cli-io.js";
import type { RawProfileFlags } from "./profile-options.js";

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

const MODE_CHOICES: { value: Mode; name: string; description: string }[] = [
  { value: "snapshot", name: "Snapshot", description: "import the service and its heavy dependencies under memray" },
  { value: "endpoint", name: "Endpoint", description: "one HTTP request, from receipt to response" },
  { value: "script", name: "Custom script", description: "a test-cases/ script through the instrumented runner" },
  { value: "sequence", name: "Sequence", description: "N requests with a delay: RSS per request and a leak verdict" },
  { value: "stats", name: "Stats", description: "allocation histogram, peak, top allocators" },
  { value: "leaks", name: "Leak detection", description: "Python allocator tracing, GC before stop, leaks flamegraph" },
  { value: "objects", name: "Surviving objects", description: "live Python objects after the run, by type" },
  { value: "live-web", name: "Live web", description: "serve the app under a live tracker on port 9001" },
  { value: "live-remote", name: "Live remote", description: "any workload streamed to `memray live 9001`" },
];

/** Render flags as the equivalent command line, so users learn the non-interactive form. */
export function equivalentCommand(flags: RawProfileFlags): string {
  const parts = ["memray-cli", "profile"];
  for (const [key, value] of Object.entries(flags)) {
    if (value === undefined || value === false) continue;
    const flag = `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    if (value === true) parts.push(flag);
    else parts.push(flag, /^[\w./:=@-]+$/.test(String(value)) ? String(value) : JSON.stringify(String(value)));
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
  const mode = await prompts.select({
    message: "Mode",
    choices: MODE_CHOICES.map(({ value, name, description }) => ({ value, name, description })),
  });
  const flags: RawProfileFlags = { mode, ...(local ? { local: true } : { target }) };
  if (mode === "script" || (local && !["endpoint", "sequence", "live-web"].includes(mode))) {
    flags.script = await prompts.input({
      message: "Script path",
      default: "test-cases/example-sequential-requests.py",
      validate: (value) => value.trim().length > 0 || "a path to a .py file",
    });
  }
  if (local && ["endpoint", "sequence", "live-web"].includes(mode)) {
    flags.app = await prompts.input({ message: "WSGI app (module:attr)", validate: (v) => v.includes(":") || "module:attr" });
  }
  if (["endpoint", "sequence"].includes(mode) || (!local && ["stats", "leaks", "objects"].includes(mode) && !flags.script)) {
    flags.endpoint = await prompts.input({ message: "Endpoint path", default: "/" });
  }
  if (mode === "sequence") {
    flags.requests = await prompts.input({ message: "Number of requests", default: "10" });
    flags.delay = await prompts.input({ message: "Delay between requests (s)", default: "1" });
  }
  io.stderr.write(`equivalent: ${equivalentCommand(flags)}\n`);
  return deps.profile(flags);
}
