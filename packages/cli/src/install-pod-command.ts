import pc from "picocolors";
import { InvalidOptionError } from "@alpiq/memray-core";
import { installMemrayInPod, KubernetesTarget } from "@alpiq/memray-kubernetes";
import type { CliIo } from "./cli-io.js";
import type { InstallFlags } from "./install-command.js";
import type { KubeClientFactory } from "./kubernetes-target-provider.js";
import { describeTargetChoice, kubernetesChoice } from "./profile-options.js";
import { ProgressReporter } from "./progress-reporter.js";
import { parsePythonBool } from "./python-bool.js";

const text = (value: unknown) => (typeof value === "string" && value ? value : undefined);

/**
 * `memray-cli install --target pod/NAME | deploy/NAME | -l SELECTOR [--namespace N] [--container C]`:
 * memray into the pod's Python (online with pip in the pod, or --wheelhouse offline), idempotent. It
 * says that the install does not survive a restart of the pod.
 */
export async function installPodCommand(io: CliIo, flags: InstallFlags, connect: KubeClientFactory): Promise<number> {
  const label = (field: string) => (field === "selector" ? "-l/--selector" : `--${field}`);
  const choice = kubernetesChoice(
    { target: text(flags.target), selector: text(flags.selector), namespace: text(flags.namespace), container: text(flags.container), context: text(flags.context) },
    label,
  );
  if (!choice || choice.kind !== "kubernetes") throw new InvalidOptionError("install needs --target pod/NAME, --target deploy/NAME or -l SELECTOR for a pod");
  const debugSymbols = typeof flags.debugSymbols === "string" ? parsePythonBool("--debug-symbols", flags.debugSymbols) : Boolean(flags.debugSymbols);
  const reporter = new ProgressReporter(io.stderr);
  reporter.step(`connecting to ${describeTargetChoice(choice)}`);
  try {
    const client = connect({ context: choice.context, namespace: choice.namespace });
    const target = await KubernetesTarget.connect({ client, ref: choice.ref, container: choice.container });
    const result = await installMemrayInPod({
      target,
      python: text(flags.python),
      wheelhouse: text(flags.wheelhouse),
      debugSymbols,
      onProgress: (event) => {
        if (event.type === "step") reporter.step(event.message);
        else reporter.handle({ type: "output", stream: event.stream, line: event.line });
      },
    });
    reporter.finish(true);
    const how = result.alreadyInstalled ? "already installed" : `installed (${result.method})`;
    io.stderr.write(
      `${pc.green("✔")} memray ${result.version} ${how} for ${result.python} in ${target.describe()}` +
        (debugSymbols ? ` · python3-dbg: ${result.debugSymbols}${result.debugSymbolsReason ? ` (${result.debugSymbolsReason})` : ""}` : "") +
        `\n${pc.yellow("note:")} ${result.note}\n`,
    );
    if (flags.json) io.stdout.write(`${JSON.stringify({ container: target.name, pod: target.podName, namespace: target.namespace, podContainer: target.container, ...result })}\n`);
    else io.stdout.write(`${result.version}\n`);
    return 0;
  } catch (error) {
    reporter.finish(false);
    throw error;
  }
}
