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
  const reporter = new ProgressReporter(io.stderr);
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
    const how = result.alreadyInstalled ? "already installed" : `installed (${result.method})`;
    io.stderr.write(
      `${pc.green("✔")} memray ${result.version} ${how} for ${result.python} in ${connection.label ?? describePlace(target.place)}` +
        (debugSymbols ? ` · python3-dbg: ${result.debugSymbols}${result.debugSymbolsReason ? ` (${result.debugSymbolsReason})` : ""}` : "") +
        (attach ? ` · gdb: ${result.gdbVersion ?? result.attachDebugger}${result.attachDebuggerReason ? ` (${result.attachDebuggerReason})` : ""}` : "") +
        (agentResult ? ` · agent: ${agentResult.pthFile}` : "") +
        "\n" +
        (connection.installNote ? `${pc.yellow("note:")} ${connection.installNote}\n` : "") +
        (agentResult ? `${pc.yellow("note:")} ${agentResult.note}\n` : ""),
    );
    if (flags.json) {
      const note = connection.installNote ? { note: connection.installNote } : {};
      io.stdout.write(
        `${JSON.stringify({ container: target.name, ...connection.identity, target: { kind: target.kind, name: target.name }, ...result, ...note, ...(agentResult ? { agent: agentResult } : {}) })}\n`,
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
