import { stat } from "node:fs/promises";
import path from "node:path";
import pc from "picocolors";
import { appNeed, createRunDir, formatKb, runProfile, ScriptNotFoundError, type Clock, type HarnessEvent, type ProfileResult } from "@alpiq/memray-core";
import { writeRunIndex } from "@alpiq/memray-reports";
import type { CliIo } from "./cli-io.js";
import type { CliProfileOptions } from "./profile-options.js";
import { printError } from "./print-error.js";
import { ProgressReporter } from "./progress-reporter.js";
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
  const reporter = new ProgressReporter(io.stderr);
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
        afterSummary: async (summary, runDir) => {
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

  if (result.error) printError(io, result.error);
  else if (summary.error) io.stderr.write(`${pc.red("workload failed:")} ${summary.error}\n`);
  for (const warning of result.warnings) reporter.warn(warning);
  printHighlights(io, summary);
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
