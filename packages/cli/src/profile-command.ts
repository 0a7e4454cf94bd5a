import net from "node:net";
import path from "node:path";
import pc from "picocolors";
import {
  appNeed,
  createRunDir,
  DEFAULT_LIVE_PORT,
  MODE_RULES,
  resolveTarget,
  runProfile,
  checkScriptFile,
  visibleText,
  type Clock,
  type HarnessEvent,
  type PortForward,
  type ProfileResult,
  type ResolvedTarget,
  type Target,
  type TargetConnection,
  type TargetRegistry,
} from "@alpiq/memray-core";
import { BASELINE_ARTIFACTS, compareWithBaseline, describeComparison, loadBaseline, type BaselineComparison } from "./baseline-compare.js";
import { writeRunIndex } from "@alpiq/memray-reports";
import { describeSignals, type SignalsSidecar } from "@alpiq/memray-signals";
import type { CliIo } from "./cli-io.js";
import type { CliProfileOptions } from "./profile-options.js";
import { errorStream } from "./output-mode.js";
import { printRunOutcome } from "./print-run-outcome.js";
import { ProgressReporter } from "./progress-reporter.js";
import { signalsSidecarFor } from "./signals-sidecar.js";

export interface ProfileCommandDeps {
  clock?: Clock;
  /** The targets this CLI knows (createTargetRegistry). */
  targets: TargetRegistry;
}

/** `memray-cli profile`: one mode on one target, a run directory, and the exit code. */
export async function profileCommand(cli: CliProfileOptions, deps: ProfileCommandDeps, io: CliIo): Promise<number> {
  const { options } = cli;
  // A missing or invalid --baseline stops the command (exit 2) before anything is measured.
  const baseline = cli.baseline ? await loadBaseline(cli.baseline, io.cwd, io.signal) : undefined;
  const reporter = new ProgressReporter(io.stderr, cli.quiet);
  const scriptPath = options.script ? await checkScriptFile(options.script, io.cwd) : undefined;
  reporter.step(cli.target.kind === "local" ? "preparing the local host" : `connecting to ${cli.target.label}`);
  // The signals' "before" readings take the daemon 1-2 s: they start as soon as the target is connected.
  let connection: TargetConnection | undefined;
  let sidecar: SignalsSidecar | undefined;
  let resolved: ResolvedTarget;
  try {
    connection = await deps.targets.connect(cli.target);
    sidecar = signalsSidecarFor(cli.signals, connection.signalsSource);
    void sidecar?.prepare();
    resolved = await resolveTarget(connection, {
      python: options.python,
      app: options.app,
      needApp: appNeed(options.mode, Boolean(options.script)),
      port: options.port,
      cwd: io.cwd,
    });
  } catch (error) {
    reporter.finish(false);
    await sidecar?.dispose();
    await connection?.dispose?.();
    throw error;
  }
  if (resolved.appServer && resolved.app) {
    const { server, interface: speaks } = resolved.appServer;
    reporter.info(`service: ${server} serves ${resolved.app} (${speaks.toUpperCase()})${resolved.appDir ? ` from ${resolved.appDir}` : ""}`);
  }
  const forwards: PortForward[] = [];
  const live = MODE_RULES[options.mode].live;
  // On this host the harness itself listens on the live port: a taken one is swapped for a free one.
  const livePort = live && !resolved.target.forwardPort ? await localLivePort(options.livePort, reporter) : undefined;
  let comparison: BaselineComparison | undefined;
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
        ...(livePort !== undefined ? { livePort } : {}),
        python: resolved.python,
        app: resolved.app,
        target: resolved.target,
        runDir,
        cwd: io.cwd,
        appDir: resolved.appDir ?? null,
        servicePort: resolved.servicePort ?? null,
        memrayInstallHint: resolved.memrayInstallHint,
        hostArtifacts: ["index_html", ...(baseline ? BASELINE_ARTIFACTS : [])],
        interrupts: io.interrupts,
        sidecar,
      },
      {
        onProgress: (event) => reporter.handle(event),
        onLive: async (event) => {
          const ports = await exposeLivePorts(event, resolved.target, forwards);
          if (ports.takenLive !== undefined) {
            reporter.info(`live: port ${ports.takenLive} is taken on this host; using ${ports.live} instead`);
          }
          // The one line a live run cannot do without (where to connect): shown even under --quiet.
          if (io.quiet) errorStream(io).write(`${liveMessage(options.mode, ports)}\n`);
          else reporter.info(liveMessage(options.mode, ports));
        },
        afterSummary: async (summary, runDir) => {
          if (baseline) {
            try {
              comparison = await compareWithBaseline(baseline, runDir.path, io.cwd);
            } catch (error) {
              reporter.info(pc.yellow(`comparison with the baseline failed: ${visibleText((error as Error).message)}`));
            }
          }
          await writeRunIndex(runDir.path, summary);
        },
      },
      { clock: deps.clock },
    );
  } finally {
    await sidecar?.dispose();
    await Promise.allSettled(forwards.map((forward) => forward.close()));
    await connection?.dispose?.();
  }

  const { summary, runDir } = result;
  reporter.finish(result.exitCode === 0);

  printRunOutcome(io, result, reporter.warningsShown);
  const reason = summary.leak_indicators.reason;
  if (reason && summary.requests.length > 1) io.stderr.write(`leak verdict: ${visibleText(reason)}\n`);
  const signalsLine = describeSignals(summary.signals);
  if (signalsLine) io.stderr.write(`${visibleText(signalsLine)}\n`);
  if (comparison) {
    io.stderr.write(`\n${describeComparison(comparison, Boolean(io.stderr.isTTY) && !io.env["NO_COLOR"])}`);
    io.stderr.write(`compared with ${cli.baseline}: ${comparison.files.map((file) => path.basename(file)).join(", ")} in the run directory\n`);
  }
  if (cli.json) io.stdout.write(`${JSON.stringify({ run_dir: runDir.artifactPrefix, summary, ...(comparison ? { compare: comparison.report } : {}) })}\n`);
  else io.stdout.write(`${runDir.artifactPrefix}\n`);
  // A regression against the baseline fails a run that otherwise succeeded (exit 1, as `compare` does).
  if (result.exitCode === 0 && comparison?.report.regression) return 1;
  return result.exitCode;
}

/** What a live run tells the user once its stream can be reached. */
function liveMessage(mode: string, ports: { live: number; service: number | undefined }): string {
  const connect = pc.bold(`memray live ${ports.live}`);
  if (mode === "live-remote") {
    return (
      `live: run \`${connect}\` in another terminal; the workload starts once it connects (memray waits for one client)` +
      " · the run ends with the workload, or Ctrl-C"
    );
  }
  return (
    `live: connect the TUI with \`${connect}\`` +
    (ports.service ? ` · the service answers on http://127.0.0.1:${ports.service}/` : "") +
    " · Ctrl-C ends the run"
  );
}

/** The live port on this host: the one asked for when it is free, else a free one (said so). */
async function localLivePort(wanted: number | undefined, reporter: ProgressReporter): Promise<number> {
  const port = wanted ?? DEFAULT_LIVE_PORT;
  const listenOn = (candidate: number) =>
    new Promise<number | undefined>((resolve) => {
      const server = net.createServer();
      server.once("error", () => resolve(undefined));
      server.listen({ host: "127.0.0.1", port: candidate, exclusive: true }, () => {
        const got = (server.address() as net.AddressInfo).port;
        server.close(() => resolve(got));
      });
    });
  if ((await listenOn(port)) === port) return port;
  const free = (await listenOn(0)) ?? port;
  reporter.info(`live: port ${port} is taken on this host; using ${free} instead`);
  return free;
}

/** The live port and the service's port on 127.0.0.1: forwarded from a target that has its own ports (a taken host port swapped for a free one). */
async function exposeLivePorts(
  event: HarnessEvent,
  target: Target,
  forwards: PortForward[],
): Promise<{ live: number; service: number | undefined; takenLive?: number | undefined }> {
  const livePort = Number(event.live_port);
  const servicePort = typeof event.service_port === "number" && event.service_port > 0 ? event.service_port : undefined;
  if (!target.forwardPort) return { live: livePort, service: servicePort };
  const live = await target.forwardPort(livePort, { hostPort: livePort, ifTaken: "any" });
  forwards.push(live);
  let service: number | undefined;
  if (servicePort) {
    const forward = await target.forwardPort(servicePort, { ifTaken: "any" });
    forwards.push(forward);
    service = forward.hostPort;
  }
  return { live: live.hostPort, service, takenLive: live.takenHostPort };
}
