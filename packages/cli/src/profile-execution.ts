import net from "node:net";
import path from "node:path";
import {
  appNeed,
  checkScriptFile,
  createRunDir,
  DEFAULT_LIVE_PORT,
  MODE_RULES,
  resolveTarget,
  runProfile,
  sanitizeRunName,
  visibleText,
  type Clock,
  type HarnessEvent,
  type InterruptChannel,
  type Mode,
  type PortForward,
  type ProfileResult,
  type ProgressEvent,
  type ResolvedTarget,
  type Target,
  type TargetConnection,
  type TargetRegistry,
} from "@alpiq/memray-core";
import type { RunData } from "@alpiq/memray-compare";
import { writeRunIndex } from "@alpiq/memray-reports";
import type { SignalsSidecar } from "@alpiq/memray-signals";
import { BASELINE_ARTIFACTS, compareWithBaseline, type BaselineComparison } from "./baseline-compare.js";
import type { CliProfileOptions } from "./profile-options.js";
import { signalsSidecarFor } from "./signals-sidecar.js";

export interface ProfileCommandDeps {
  clock?: Clock;
  /** The targets this CLI knows (createTargetRegistry). */
  targets: TargetRegistry;
}

/**
 * What one profiling run reports as it goes: core's session events (steps, the harness's events, the
 * workload's output), the CLI's own notices (a live port swapped, a failed comparison), and, in a live
 * mode, where to connect. Plain text: the terminal's colours are the renderer's business.
 */
export type ProfileProgress =
  | ProgressEvent
  | { type: "notice"; level: "info" | "warning"; message: string }
  | { type: "live"; mode: Mode; livePort: number; servicePort: number | undefined; message: string };

export interface ProfileExecution {
  cwd: string;
  signal?: AbortSignal | undefined;
  /** Ctrl-C/SIGTERM (or a caller's abort): the run stops gracefully and keeps what it measured. */
  interrupts?: Pick<InterruptChannel, "subscribe"> | undefined;
  /** The baseline, read before the first run (loadBaseline): each run is compared with it. */
  baseline?: RunData | undefined;
  /** --repeat: this run's number, appended to its name (`NAME-<index>`). */
  index?: number | undefined;
  onProgress: (event: ProfileProgress) => void;
}

export interface ProfileOutcome {
  result: ProfileResult;
  comparison: BaselineComparison | undefined;
  /** The session's exit code, or 1 when an otherwise successful run regressed against the baseline (as `compare` does). */
  exitCode: number;
}

/**
 * One profiling run of `profile` (and of `profile()` from code): connect to the target, resolve its
 * interpreter, app and port, run the session, compare with the baseline, write index.html. Prints
 * nothing: everything is told through `onProgress`. Throws a MemrayError when no run could start
 * (bad script, no target, nothing detected); a run that fails resolves with its summary and exit code.
 */
export async function executeProfile(cli: CliProfileOptions, deps: ProfileCommandDeps, run: ProfileExecution): Promise<ProfileOutcome> {
  const { options } = cli;
  const notice = (message: string, level: "info" | "warning" = "info") => run.onProgress({ type: "notice", level, message });
  const scriptPath = options.script ? await checkScriptFile(options.script, run.cwd) : undefined;
  run.onProgress({ type: "step", step: "connect", message: cli.target.kind === "local" ? "preparing the local host" : `connecting to ${cli.target.label}` });
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
      cwd: run.cwd,
    });
  } catch (error) {
    await sidecar?.dispose();
    await connection?.dispose?.();
    throw error;
  }
  if (resolved.appServer && resolved.app) {
    const { server, interface: speaks } = resolved.appServer;
    notice(`service: ${server} serves ${resolved.app} (${speaks.toUpperCase()})${resolved.appDir ? ` from ${resolved.appDir}` : ""}`);
  }
  const forwards: PortForward[] = [];
  const live = MODE_RULES[options.mode].live;
  // On this host the harness itself listens on the live port: a taken one is swapped for a free one.
  const livePort = live && !resolved.target.forwardPort ? await localLivePort(options.livePort, notice) : undefined;
  const baseName = cli.name ?? (scriptPath ? path.basename(scriptPath) : options.mode);
  let comparison: BaselineComparison | undefined;
  let result: ProfileResult;
  try {
    const runDir = await createRunDir({
      outRoot: cli.out,
      name: run.index === undefined ? baseName : `${sanitizeRunName(baseName)}-${run.index}`,
      clock: deps.clock,
      cwd: run.cwd,
    });
    result = await runProfile(
      {
        ...cli.input,
        ...(livePort !== undefined ? { livePort } : {}),
        python: resolved.python,
        app: resolved.app,
        target: resolved.target,
        runDir,
        cwd: run.cwd,
        appDir: resolved.appDir ?? null,
        servicePort: resolved.servicePort ?? null,
        memrayInstallHint: resolved.memrayInstallHint,
        hostArtifacts: ["index_html", ...(run.baseline ? BASELINE_ARTIFACTS : [])],
        reconnect: cli.target,
        interrupts: run.interrupts,
        sidecar,
      },
      {
        onProgress: run.onProgress,
        onLive: async (event) => {
          const ports = await exposeLivePorts(event, resolved.target, forwards);
          if (ports.takenLive !== undefined) notice(`live: port ${ports.takenLive} is taken on this host; using ${ports.live} instead`);
          run.onProgress({ type: "live", mode: options.mode, livePort: ports.live, servicePort: ports.service, message: liveMessage(options.mode, ports) });
        },
        afterSummary: async (summary, runDir) => {
          if (run.baseline) {
            try {
              comparison = await compareWithBaseline(run.baseline, runDir.path, run.cwd, run.signal);
            } catch (error) {
              notice(`comparison with the baseline failed: ${visibleText((error as Error).message)}`, "warning");
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
  const regressed = result.exitCode === 0 && comparison?.report.regression === true;
  return { result, comparison, exitCode: regressed ? 1 : result.exitCode };
}

/** What a live run tells the user once its stream can be reached; `bold` marks the command to type. */
export function liveMessage(mode: string, ports: { live: number; service: number | undefined }, bold: (text: string) => string = (text) => text): string {
  const connect = bold(`memray live ${ports.live}`);
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
async function localLivePort(wanted: number | undefined, notice: (message: string) => void): Promise<number> {
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
  notice(`live: port ${port} is taken on this host; using ${free} instead`);
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
