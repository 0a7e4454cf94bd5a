import { stat } from "node:fs/promises";
import path from "node:path";
import pc from "picocolors";
import { appNeed, createRunDir, formatKb, runProfile, ScriptNotFoundError, type Clock, type HarnessEvent, type ProfileResult } from "@alpiq/memray-core";
import { writeRunIndex } from "@alpiq/memray-reports";
import { describeSignals } from "@alpiq/memray-signals";
import type { CliIo } from "./cli-io.js";
import type { CliProfileOptions } from "./profile-options.js";
import { printRunOutcome } from "./print-run-outcome.js";
import { ProgressReporter } from "./progress-reporter.js";
import { signalsSidecarFor } from "./signals-sidecar.js";
import type { PortForward, TargetProvider } from "./target-provider.js";

export interface ProfileCommandDeps {
  clock?: Clock;
  targets: TargetProvider;
}

async function checkScript(script: string | undefined, cwd: string): Promise<string | undefined> {
  if (!script) return undefined;
  const hostPath = path.resolve(cwd, script);
  const info = await stat(hostPath).catch(() => undefined);
  if (!info) throw new ScriptNotFoundError(script, "missing");
  if (info.isDirectory()) throw new ScriptNotFoundError(script, "directory");
  return hostPath;
}

/** `memray-cli profile`: one mode on one target, a run directory, and the exit code. */
export async function profileCommand(cli: CliProfileOptions, deps: ProfileCommandDeps, io: CliIo): Promise<number> {
  const { options } = cli;
  const reporter = new ProgressReporter(io.stderr, cli.quiet);
  const scriptPath = await checkScript(options.script, io.cwd);
  reporter.step(cli.target.kind === "local" ? "preparing the local host" : `connecting to container ${cli.target.container}`);
  let resolved;
  try {
    resolved = await deps.targets.resolve(cli.target, {
      python: options.python,
      app: options.app,
      needApp: appNeed(options.mode, Boolean(options.script)),
      port: options.port,
      cwd: io.cwd,
    });
  } catch (error) {
    reporter.finish(false);
    throw error;
  }
  const forwards: PortForward[] = [];
  const sidecar = signalsSidecarFor(cli.signals, resolved);
  void sidecar?.prepare(); // the "before" stats take the daemon ~2 s: overlap them with staging the harness
  let result: ProfileResult;
  try {
    const runDir = await createRunDir({
      outRoot: cli.out,
      name: cli.name ?? (scriptPath ? path.basename(scriptPath) : options.mode),
      clock: deps.clock,
      cwd: io.cwd,
    });
    result = await runProfile(
      {
        ...cli.input,
        python: resolved.python,
        app: resolved.app,
        target: resolved.target,
        runDir,
        cwd: io.cwd,
        appDir: resolved.appDir ?? null,
        servicePort: resolved.servicePort ?? null,
        memrayInstallHint: resolved.memrayInstallHint,
        hostArtifacts: ["index_html"],
        interrupts: io.interrupts,
        sidecar,
      },
      {
        onProgress: (event) => reporter.handle(event),
        onLive: async (event) => {
          const ports = await exposeLivePorts(event, resolved.forwardPort, forwards);
          reporter.info(
            pc.bold(`live: connect the TUI with \`memray live ${ports.live}\``) +
              (ports.service ? ` · the service answers on http://127.0.0.1:${ports.service}/` : "") +
              " · Ctrl-C ends the run",
          );
        },
        afterSummary: async (summary, runDir) => {
          await writeRunIndex(runDir.path, summary);
        },
      },
      { clock: deps.clock },
    );
  } finally {
    await sidecar?.dispose();
    await Promise.allSettled(forwards.map((forward) => forward.close()));
    await resolved.dispose?.();
  }

  const { summary, runDir } = result;
  reporter.finish(result.exitCode === 0);

  printRunOutcome(io, result, reporter.warningsShown);
  const signalsLine = describeSignals(summary.signals);
  if (signalsLine) io.stderr.write(`${signalsLine}\n`);
  if (cli.json) io.stdout.write(`${JSON.stringify({ run_dir: runDir.artifactPrefix, summary })}\n`);
  else io.stdout.write(`${runDir.artifactPrefix}\n`);
  return result.exitCode;
}

async function exposeLivePorts(
  event: HarnessEvent,
  forwardPort: ((port: number, hostPort?: number) => Promise<PortForward>) | undefined,
  forwards: PortForward[],
): Promise<{ live: number; service: number | undefined }> {
  const livePort = Number(event.live_port);
  const servicePort = typeof event.service_port === "number" && event.service_port > 0 ? event.service_port : undefined;
  if (!forwardPort) return { live: livePort, service: servicePort };
  const live = await forwardPort(livePort, livePort);
  forwards.push(live);
  let service: number | undefined;
  if (servicePort) {
    const forward = await forwardPort(servicePort);
    forwards.push(forward);
    service = forward.hostPort;
  }
  return { live: live.hostPort, service };
}
