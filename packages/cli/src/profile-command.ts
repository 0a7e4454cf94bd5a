import { stat } from "node:fs/promises";
import path from "node:path";
import pc from "picocolors";
import {
  createRunDir,
  formatKb,
  LIVE_MODES,
  runProfile,
  ScriptNotFoundError,
  type Clock,
  type HarnessEvent,
  type ProfileResult,
  type ProfileScript,
} from "@alpiq/memray-core";
import { planReports, RUN_INDEX_FILE, writeRunIndex } from "@alpiq/memray-reports";
import type { CliIo } from "./cli-io.js";
import type { ProfileOptions } from "./profile-options.js";
import { ProgressReporter } from "./progress-reporter.js";
import type { PortForward, TargetProvider } from "./target-provider.js";

export interface ProfileCommandDeps {
  clock?: Clock;
  targets: TargetProvider;
}

/** Modes that serve or call the WSGI app when no script is given. */
const APP_MODES = new Set(["endpoint", "sequence", "live-web"]);
const APP_OR_SCRIPT_MODES = new Set(["stats", "leaks", "objects", "live-remote"]);

async function resolveScript(options: ProfileOptions, cwd: string): Promise<ProfileScript | undefined> {
  if (!options.script) return undefined;
  const hostPath = path.resolve(cwd, options.script);
  const info = await stat(hostPath).catch(() => undefined);
  if (!info) throw new ScriptNotFoundError(options.script, "missing");
  if (info.isDirectory()) throw new ScriptNotFoundError(options.script, "directory");
  return { display: options.script, hostPath, args: options.scriptArgs };
}

/** `memray-cli profile`: one mode on one target, a run directory, and the exit code. */
export async function profileCommand(options: ProfileOptions, deps: ProfileCommandDeps, io: CliIo): Promise<number> {
  const reporter = new ProgressReporter(io.stderr);
  const script = await resolveScript(options, io.cwd);
  const needApp =
    APP_MODES.has(options.mode) || (APP_OR_SCRIPT_MODES.has(options.mode) && !script)
      ? "required"
      : options.mode === "snapshot"
        ? "optional"
        : "none";
  reporter.step(options.target.kind === "local" ? "preparing the local host" : `connecting to container ${options.target.container}`);
  let resolved;
  try {
    resolved = await deps.targets.resolve(options.target, {
      python: options.python,
      app: options.app,
      needApp,
      port: options.port,
      needPort: options.mode === "live-web",
    });
  } catch (error) {
    reporter.finish(false);
    throw error;
  }
  const forwards: PortForward[] = [];
  let result: ProfileResult;
  try {
    const runDir = await createRunDir({
      outRoot: options.out,
      name: options.name ?? (script ? path.basename(script.hostPath) : options.mode),
      clock: deps.clock,
      cwd: io.cwd,
    });
    result = await runProfile(
      {
        mode: options.mode,
        target: resolved.target,
        python: resolved.python,
        runDir,
        script,
        app: resolved.app ?? null,
        appDir: resolved.appDir ?? null,
        modules: snapshotModules(options, resolved.app),
        endpoint: options.endpoint,
        requests: options.requests,
        delaySeconds: options.delaySeconds,
        traceAllocators: options.traceAllocators,
        allowNoMemray: options.allowNoMemray,
        reports: planReports(options.mode),
        livePort: options.livePort,
        servicePort: LIVE_MODES.includes(options.mode) ? 0 : null,
        timeoutSeconds: options.timeoutSeconds ?? null,
        memrayInstallHint: resolved.memrayInstallHint,
        signal: io.signal,
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
        beforeSummary: async (summary, runDir) => {
          summary.artifacts.index_html = `${runDir.artifactPrefix}/${RUN_INDEX_FILE}`;
          await writeRunIndex(runDir.path, summary);
        },
      },
      { clock: deps.clock },
    );
  } finally {
    await Promise.allSettled(forwards.map((forward) => forward.close()));
    await resolved.dispose?.();
  }

  const { summary, runDir } = result;
  reporter.finish(result.exitCode === 0);

  if (result.error) io.stderr.write(`${pc.red("error:")} ${result.error.message}\n`);
  else if (summary.error) io.stderr.write(`${pc.red("workload failed:")} ${summary.error}\n`);
  printHighlights(io, summary);
  if (options.json) io.stdout.write(`${JSON.stringify({ run_dir: runDir.artifactPrefix, summary })}\n`);
  else io.stdout.write(`${runDir.artifactPrefix}\n`);
  return result.exitCode;
}

function snapshotModules(options: ProfileOptions, app: string | undefined): string[] {
  if (options.mode !== "snapshot") return [];
  if (options.modules.length) return options.modules;
  const appModule = app?.split(":")[0];
  // The service's own module plus the heavy dependencies the seed names; missing ones are recorded, not fatal.
  return [...(appModule ? [appModule] : []), "polars", "pyarrow"];
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

function printHighlights(io: CliIo, summary: ProfileResult["summary"]): void {
  const lines: string[] = [];
  const memory = summary.memory;
  if (memory.rss_before !== null) {
    lines.push(`RSS ${formatKb(memory.rss_before)} → ${formatKb(memory.rss_after)} (${formatKb(memory.rss_delta)})`);
  }
  const top = summary.top_allocators[0];
  if (top) lines.push(`top allocator ${top.file} ${formatKb(top.size_kb)} in ${top.count} allocations`);
  if (summary.requests.length) {
    const leak = summary.leak_indicators;
    lines.push(
      `${summary.requests.length} requests · ${leak.likely_leak ? pc.red("likely leak") : pc.green("no leak detected")} (monotonic growth: ${leak.monotonic_growth}, +${leak.rss_growth_mb ?? "n/a"} MB)`,
    );
  }
  for (const warning of summary.warnings ?? []) lines.push(pc.yellow(`warning: ${warning}`));
  if (lines.length) io.stderr.write(`${lines.join("\n")}\n`);
}
