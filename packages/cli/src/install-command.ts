import {
  describePlace,
  findServicePython,
  installAgent,
  installMemray,
  InvalidOptionError,
  locateHarnessDir,
  type TargetRegistry,
  type TargetSpecField,
} from "@alpiq/memray-core";
import pc from "picocolors";
import type { CliIo } from "./cli-io.js";
import { ProgressReporter } from "./progress-reporter.js";
import { parsePythonBool } from "./python-bool.js";

export interface InstallFlags {
  target?: string | boolean;
  local?: boolean | string;
  wheelhouse?: string | boolean;
  debugSymbols?: string | boolean;
  /** gdb, for mode attach's debugger way. */
  attach?: string | boolean;
  /** Mode attach's opt-in agent (started by MEMRAY_CLI_AGENT=1 at the service's next start). */
  agent?: string | boolean;
  python?: string | boolean;
  json?: boolean | string;
  /** Kubernetes: -l, --namespace, --container, --context. */
  selector?: string | boolean;
  namespace?: string | boolean;
  container?: string | boolean;
  context?: string | boolean;
}

const text = (value: unknown) => (typeof value === "string" && value ? value : undefined);
const label = (field: TargetSpecField) => (field === "selector" ? "-l/--selector" : `--${field}`);

/**
 * `memray-cli install --target C | pod/NAME | deploy/NAME | -l SELECTOR | --local` and `run
 * debug/memray-install`: memray into the Python the target's service runs under (or --python), online
 * with pip there or offline from --wheelhouse, idempotent, for any target the registry knows. It says
 * what the install does not survive (a new container, a pod restart).
 */
export async function installCommand(io: CliIo, flags: InstallFlags, targets: TargetRegistry): Promise<number> {
  if (!text(flags.target) && !text(flags.selector) && !flags.local) {
    throw new InvalidOptionError(
      "install needs --target <container> (or -e container_target=<container>); for a pod --target pod/NAME, --target deploy/NAME or -l SELECTOR; --local for this host's python3",
    );
  }
  const choice = targets.choose(
    {
      target: text(flags.target),
      local: Boolean(flags.local),
      selector: text(flags.selector),
      namespace: text(flags.namespace),
      container: text(flags.container),
      context: text(flags.context),
    },
    label,
  );
  const debugSymbols = typeof flags.debugSymbols === "string" ? parsePythonBool("--debug-symbols", flags.debugSymbols) : Boolean(flags.debugSymbols);
  const attach = typeof flags.attach === "string" ? parsePythonBool("--attach", flags.attach) : Boolean(flags.attach);
  const agent = typeof flags.agent === "string" ? parsePythonBool("--agent", flags.agent) : Boolean(flags.agent);
  const reporter = new ProgressReporter(io.stderr, false, io.env);
  reporter.step(`connecting to ${choice.label}`);
  const connection = await targets.connect(choice).catch((error: unknown) => {
    reporter.finish(false);
    throw error;
  });
  try {
    const { target } = connection;
    const service = await connection.service();
    const python = text(flags.python) ?? (service ? await findServicePython(service) : "python3");
    target.useInterpreter?.(python);
    const result = await installMemray({
      target,
      python,
      wheelhouse: text(flags.wheelhouse),
      debugSymbols,
      attach,
      onProgress: (event) => {
        if (event.type === "step") reporter.step(event.message);
        else reporter.handle({ type: "output", stream: event.stream, line: event.line });
      },
    });
    if (agent) reporter.step(`installing the attach agent for ${python}`);
    const agentResult = agent ? await installAgent({ target, python, harnessDir: locateHarnessDir() }) : undefined;
    reporter.finish(true);
    // On this host python3-dbg stays installed; in a container or a pod it goes with the container.
    const note = installNote(connection.installNote, debugSymbols && target.kind !== "local", installAgainCommand(flags));
    const how = result.alreadyInstalled ? "already installed" : `installed (${result.method})`;
    io.stderr.write(
      `${pc.green("✔")} memray ${result.version} ${how} for ${result.python} in ${connection.label ?? describePlace(target.place)}` +
        (debugSymbols ? ` · python3-dbg: ${result.debugSymbols}${result.debugSymbolsReason ? ` (${result.debugSymbolsReason})` : ""}` : "") +
        (attach ? ` · gdb: ${result.gdbVersion ?? result.attachDebugger}${result.attachDebuggerReason ? ` (${result.attachDebuggerReason})` : ""}` : "") +
        (agentResult ? ` · agent: ${agentResult.pthFile}` : "") +
        "\n" +
        (note ? `${pc.yellow("note:")} ${note}\n` : "") +
        (agentResult ? `${pc.yellow("note:")} ${agentResult.note}\n` : ""),
    );
    if (flags.json) {
      const noted = note ? { note } : {};
      io.stdout.write(
        `${JSON.stringify({ container: target.name, ...connection.identity, target: { kind: target.kind, name: target.name }, ...result, ...noted, ...(agentResult ? { agent: agentResult } : {}) })}\n`,
      );
    } else io.stdout.write(`${result.version}\n`);
    return 0;
  } catch (error) {
    reporter.finish(false);
    throw error;
  } finally {
    await connection.dispose?.();
  }
}

/** The install command as the user gave it, with --debug-symbols: what to run again after a restart. */
function installAgainCommand(flags: InstallFlags): string {
  const where = flags.local
    ? "--local"
    : text(flags.selector)
      ? `-l ${text(flags.selector)}${text(flags.namespace) ? ` --namespace ${text(flags.namespace)}` : ""}`
      : `--target ${text(flags.target) ?? "<target>"}${text(flags.namespace) ? ` --namespace ${text(flags.namespace)}` : ""}`;
  return `memray-cli install ${where} --debug-symbols`;
}

/**
 * What an install does not survive (the seed's known limitation "Missing debug symbols after container
 * restart: python3-dbg not persisted across restarts"): the runtime's note, and with --debug-symbols that
 * python3-dbg is lost with it, with the command that installs both again.
 */
export function installNote(runtimeNote: string | undefined, debugSymbols: boolean, again: string): string | undefined {
  if (!debugSymbols) return runtimeNote;
  const symbols = `The debug symbols (python3-dbg) live there too and are lost with it: after the container (or pod) is recreated or restarted from its image, run \`${again}\` again.`;
  return runtimeNote ? `${runtimeNote} ${symbols}` : symbols;
}
