import { cp, mkdir, mkdtemp, readdir, readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parseOptions, profileOptionsSchema } from "../src/profile-options.js";
import { stageHarness } from "../src/stage-harness.js";
import type { ExecResult, Target } from "../src/target/target.js";

const harnessDir = path.resolve(import.meta.dirname, "../../../python");
const savedTmp = process.env.TMPDIR;
afterEach(() => {
  if (savedTmp === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = savedTmp;
});

/** A target with a filesystem of its own (a directory standing for a container's): copies are real copies. */
function remoteTarget(root: string): Target {
  return {
    kind: "docker",
    name: "fake",
    place: { kind: "container", name: "fake", execPrefix: [] },
    sharesHostFilesystem: false,
    exec: async (): Promise<ExecResult> => ({ exitCode: 0, stdout: "", stderr: "" }),
    copyIn: async (hostPath, targetDir) => {
      await mkdir(targetDir, { recursive: true });
      await cp(hostPath, path.join(targetDir, path.basename(hostPath)), { recursive: true });
    },
    copyOut: async () => undefined,
    scratchDir: async () => path.join(root, "scratch"),
    oomKills: async () => null,
  };
}

describe("stageHarness", () => {
  it("in a container or pod, nothing of the run stays in the host's temp dir after staging, nor after handing over the signals", async () => {
    const work = await mkdtemp(path.join(os.tmpdir(), "memray-stage-"));
    process.env.TMPDIR = path.join(work, "tmp");
    await mkdir(process.env.TMPDIR);
    const runDir = { runId: "r-20260101-000000", path: path.join(work, "runs", "r"), artifactPrefix: "runs/r" };
    const options = parseOptions(profileOptionsSchema, { mode: "snapshot", modules: ["json"] });
    const staged = await stageHarness({
      target: remoteTarget(work),
      runDir,
      options,
      targetInfo: { kind: "docker", name: "fake", python: "python3", service_port: null },
      harnessDir,
      cwd: work,
      appDir: null,
      hostArtifacts: [],
      hostSectionsWaitSeconds: 5,
    });
    expect(staged.config.scratch_dir).toBeNull(); // the container's scratch holds the run: never removed by the harness
    expect(JSON.parse(await readFile(staged.configPath, "utf8")).mode).toBe("snapshot");
    expect(await readdir(process.env.TMPDIR)).toEqual([]);
    await mkdir(staged.outDir, { recursive: true });
    await staged.deliverSections({ artifacts: {}, warnings: ["w"] });
    expect(JSON.parse(await readFile(path.join(staged.outDir, "host-sections.json"), "utf8")).warnings).toEqual(["w"]);
    expect(await readdir(process.env.TMPDIR)).toEqual([]);
  });

  it("on this host, the config's directory is the scratch_dir the harness removes if memray-cli goes away", async () => {
    const work = await mkdtemp(path.join(os.tmpdir(), "memray-stage-"));
    const runDir = { runId: "r-20260101-000000", path: path.join(work, "runs", "r"), artifactPrefix: "runs/r" };
    const { LocalTarget } = await import("../src/target/local-target.js");
    const staged = await stageHarness({
      target: new LocalTarget(),
      runDir,
      options: parseOptions(profileOptionsSchema, { mode: "snapshot", modules: ["json"] }),
      targetInfo: { kind: "local", name: "local", python: "python3", service_port: null },
      harnessDir,
      cwd: work,
      appDir: null,
      hostArtifacts: [],
      hostSectionsWaitSeconds: null,
    });
    expect(staged.config.scratch_dir).toBe(path.dirname(staged.configPath));
    await staged.cleanup();
  });
});
