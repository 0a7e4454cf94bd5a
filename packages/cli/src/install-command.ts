import pc from "picocolors";
import { DockerTarget, installMemray } from "@alpiq/memray-docker";
import type Docker from "dockerode";
import { InvalidOptionError } from "@alpiq/memray-core";
import type { CliIo } from "./cli-io.js";
import { parsePythonBool } from "./python-bool.js";
import { ProgressReporter } from "./progress-reporter.js";

export interface InstallFlags {
  target?: string | boolean;
  wheelhouse?: string | boolean;
  debugSymbols?: string | boolean;
  python?: string | boolean;
  json?: boolean | string;
  /** Kubernetes (install-pod-command.ts): -l, --namespace, --container, --context. */
  selector?: string | boolean;
  namespace?: string | boolean;
  container?: string | boolean;
  context?: string | boolean;
}

/** `memray-cli install --target C` and `run debug/memray-install -e container_target=C`. */
export async function installCommand(io: CliIo, flags: InstallFlags, docker: Docker): Promise<number> {
  if (typeof flags.target !== "string" || !flags.target) {
    throw new InvalidOptionError("install needs --target <container> (or -e container_target=<container>); for a pod --target pod/NAME, --target deploy/NAME or -l SELECTOR");
  }
  const debugSymbols =
    typeof flags.debugSymbols === "string" ? parsePythonBool("--debug-symbols", flags.debugSymbols) : Boolean(flags.debugSymbols);
  const reporter = new ProgressReporter(io.stderr);
  reporter.step(`connecting to container ${flags.target}`);
  try {
    const target = await DockerTarget.connect({ docker, container: flags.target });
    const result = await installMemray({
      target,
      python: typeof flags.python === "string" ? flags.python : undefined,
      wheelhouse: typeof flags.wheelhouse === "string" ? flags.wheelhouse : undefined,
      debugSymbols,
      onProgress: (event) => {
        if (event.type === "step") reporter.step(event.message);
        else reporter.handle({ type: "output", stream: event.stream, line: event.line });
      },
    });
    reporter.finish(true);
    const how = result.alreadyInstalled ? "already installed" : `installed (${result.method})`;
    io.stderr.write(
      `${pc.green("✔")} memray ${result.version} ${how} for ${result.python} in ${target.name}` +
        (debugSymbols ? ` · python3-dbg: ${result.debugSymbols}${result.debugSymbolsReason ? ` (${result.debugSymbolsReason})` : ""}` : "") +
        "\n",
    );
    if (flags.json) io.stdout.write(`${JSON.stringify({ container: target.name, ...result })}\n`);
    else io.stdout.write(`${result.version}\n`);
    return 0;
  } catch (error) {
    reporter.finish(false);
    throw error;
  }
}
