import { mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { harnessConfigSchema, type HarnessConfig } from "./harness-config-schema.js";
import { HOST_SECTIONS_FILE, type HostSections } from "./host-sections.js";
import { MODE_RULES } from "./mode-rules.js";
import type { ProfileOptions } from "./profile-options.js";
import type { RunDir } from "./run-dir.js";
import type { TargetInfo } from "./summary-schema.js";
import type { Target } from "./target/target.js";
import { selectWorkloadFiles } from "./workload-files.js";

export interface StageInput {
  target: Target;
  runDir: RunDir;
  options: ProfileOptions;
  targetInfo: TargetInfo;
  harnessDir: string;
  cwd: string;
  appDir: string | null;
  hostArtifacts: string[];
  hostSectionsWaitSeconds: number | null;
}

export interface StagedHarness {
  config: HarnessConfig;
  configPath: string;
  pythonPath: string;
  outDir: string;
  /** The staging directory in the target (null on this host, where it is the host's own). */
  targetScratch: string | null;
  /** Hand the host's sections to the harness (into its out_dir, atomically where the target allows). */
  deliverSections(sections: HostSections): Promise<void>;
  cleanup(): Promise<void>;
}

/** Put the harness, the config and the workload's files where the target's Python can read them. */
export async function stageHarness(input: StageInput): Promise<StagedHarness> {
  const { target, runDir, options } = input;
  const hostScratch = await mkdtemp(path.join(os.tmpdir(), "memray-cli-config-"));
  const local = target.sharesHostFilesystem;
  // The copies into the target run concurrently (a round trip each) and are all settled before this returns.
  const copies: Promise<void>[] = [];
  const copy = (started: Promise<void>) => {
    started.catch(() => undefined); // handled below, whenever it fails
    copies.push(started);
  };
  try {
    const targetScratch = local ? hostScratch : await target.scratchDir();
    const scriptHostPath = options.script ? path.resolve(input.cwd, options.script) : null;
    let scriptPath = scriptHostPath;
    const hostWarnings: string[] = [];

    if (!local) {
      copy(target.copyIn(path.join(input.harnessDir, "memray_harness"), targetScratch));
      if (scriptHostPath) {
        // The script's directory travels (helper modules, requirements.txt), bounded and without special files.
        const scriptDir = path.dirname(scriptHostPath);
        const files = await selectWorkloadFiles(scriptHostPath);
        hostWarnings.push(...files.warnings);
        copy(target.copyIn(scriptDir, path.posix.join(targetScratch, "workload"), { include: files.include }));
        scriptPath = path.posix.join(targetScratch, "workload", path.basename(scriptDir), path.basename(scriptHostPath));
      }
    }
    const rule = MODE_RULES[options.mode];
    const outDir = local ? runDir.path : path.posix.join(targetScratch, "run", runDir.runId);
    const config: HarnessConfig = harnessConfigSchema.parse({
      mode: options.mode,
      run_id: runDir.runId,
      out_dir: outDir,
      artifact_prefix: runDir.artifactPrefix,
      script: options.script ?? null,
      script_path: scriptPath,
      script_args: options.scriptArgs,
      app: options.app ?? null,
      app_dir: input.appDir,
      modules: options.modules,
      endpoint: options.endpoint,
      requests: options.requests,
      delay_seconds: options.delaySeconds,
      native_traces: true,
      trace_python_allocators: options.traceAllocators,
      allow_no_memray: options.allowNoMemray,
      install_requirements: true,
      // One file per run (not the seed's shared /tmp path): parallel runs never merge each other's data.
      requests_file: path.posix.join(targetScratch, "requests.json"),
      reports: [...rule.reports],
      live_port: options.livePort,
      service_port: rule.workload === "serve" ? 0 : null,
      timeout_seconds: options.timeoutSeconds ?? null,
      target: { ...input.targetInfo, service_port: input.targetInfo.service_port ?? null },
      host_artifacts: ["harness_log", ...input.hostArtifacts],
      host_sections_wait_seconds: input.hostSectionsWaitSeconds,
      host_warnings: hostWarnings,
      tracemalloc: options.tracemalloc,
      attach: options.attach
        ? {
            duration_seconds: options.attach.durationSeconds,
            pids: options.attach.pids,
            aggregate: options.attach.aggregate,
            send_requests: options.attach.sendRequests,
          }
        : null,
      scratch_dir: local ? hostScratch : null,
    } satisfies HarnessConfig);
    const hostConfig = path.join(hostScratch, "config.json");
    await writeFile(hostConfig, JSON.stringify(config, null, 2));
    if (!local) copy(target.copyIn(hostConfig, targetScratch));
    await Promise.all(copies);
    // In a container or pod the config now lives there: nothing of this run stays on the host's /tmp
    // (a memray-cli that is killed leaves nothing behind here). On this host the harness removes it itself
    // when memray-cli went away (scratch_dir).
    if (!local) await rm(hostScratch, { recursive: true, force: true });

    return {
      config,
      configPath: local ? hostConfig : path.posix.join(targetScratch, "config.json"),
      pythonPath: local ? input.harnessDir : targetScratch,
      outDir,
      targetScratch: local ? null : targetScratch,
      deliverSections: async (sections) => {
        if (local) {
          // Written beside its final name: a rename never crosses filesystems.
          const final = path.join(outDir, HOST_SECTIONS_FILE);
          await writeFile(`${final}.tmp`, JSON.stringify(sections));
          await rename(`${final}.tmp`, final);
        } else {
          const dir = await mkdtemp(path.join(os.tmpdir(), "memray-cli-sections-"));
          try {
            const file = path.join(dir, HOST_SECTIONS_FILE);
            await writeFile(file, JSON.stringify(sections)); // the harness re-reads until it parses
            await target.copyIn(file, outDir);
          } finally {
            await rm(dir, { recursive: true, force: true });
          }
        }
      },
      cleanup: async () => {
        if (local) await rm(hostScratch, { recursive: true, force: true });
        else await target.exec(["rm", "-rf", targetScratch]).catch(() => undefined);
      },
    };
  } catch (error) {
    await Promise.allSettled(copies);
    await rm(hostScratch, { recursive: true, force: true });
    throw error;
  }
}
