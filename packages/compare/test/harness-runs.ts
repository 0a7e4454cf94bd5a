import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { harnessConfigSchema } from "@alpiq/memray-core";
import { localHarnessConfig } from "@alpiq/memray-test-support/harness-config";

/**
 * Runs made by the real harness (python/memray_harness, the code behind python/memray-runner.py) under
 * memray: a workload that keeps N MiB alive on one line. The harness is invoked through its config
 * protocol (docs/harness-protocol.md) with only the table report, so a run takes a second or two.
 */

const exec = promisify(execFile);
const pythonDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "python");
export const python = process.env["MEMRAY_COMPARE_PYTHON"] ?? "python3";

/** Whether the harness and memray are there to make real runs (the tests that need them skip otherwise). */
export async function harnessAvailable(): Promise<boolean> {
  if (!existsSync(path.join(pythonDir, "memray_harness", "__main__.py"))) return false;
  try {
    await exec(python, ["-c", "import memray"]);
    return true;
  } catch {
    return false;
  }
}

export const WORKLOAD = `import sys


def allocate(mib):
    return bytearray(mib * 1024 * 1024)  # ALLOCATION UNDER TEST


kept_alive = allocate(int(sys.argv[1]))
`;
export const ALLOC_LINE = WORKLOAD.split("\n").findIndex((l) => l.includes("ALLOCATION UNDER TEST")) + 1;

/** Write the workload into `root` (once, before makeHarnessRun). */
export async function writeWorkload(root: string): Promise<void> {
  await writeFile(path.join(root, "workload.py"), WORKLOAD);
}

/** A real run directory `root/name` of the workload keeping `mib` MiB alive. */
export async function makeHarnessRun(root: string, name: string, mib: number): Promise<string> {
  const outDir = path.join(root, name);
  // Through core's schema, as memray-cli writes it: the harness trusts config.json to be complete.
  const config = harnessConfigSchema.parse(
    localHarnessConfig(python, {
      run_id: name,
      out_dir: outDir,
      artifact_prefix: `runs/${name}`,
      script: "workload.py",
      script_path: path.join(root, "workload.py"),
      script_args: [String(mib)],
      native_traces: false,
      requests_file: path.join(root, `${name}-requests.json`),
      reports: ["table"],
    }),
  );
  const configFile = path.join(root, `${name}.config.json`);
  await writeFile(configFile, JSON.stringify(config));
  await exec(python, ["-m", "memray_harness", "--config", configFile], {
    cwd: root,
    env: { ...process.env, PYTHONPATH: pythonDir },
  });
  return outDir;
}
