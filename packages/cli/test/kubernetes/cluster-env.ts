import { clusterEnv, fixtureWheelhouse } from "@alpiq/memray-test-support/cluster";
import { profileRun, runCli, type CliRun, type ProfiledRun } from "../cli-runner.js";

/**
 * Cluster tests run against tools/cluster's local cluster (tools/test.sh brings it up and down); the
 * cluster helpers shared with packages/kubernetes are @alpiq/memray-test-support/cluster. These are
 * the CLI's own: memray-cli with the cluster's KUBECONFIG and kubectl on its PATH.
 */

/** `memray-cli ...` against the local cluster. */
export function cli(args: string[], cwd: string, env: Record<string, string> = {}): Promise<CliRun> {
  return runCli(args, cwd, { ...clusterEnv, ...env });
}

/** memray into a pod with our own install command, offline (idempotent); fails loudly if it cannot. */
export async function installInPod(target: string[], cwd: string): Promise<CliRun> {
  const run = await cli(["install", ...target, "--wheelhouse", await fixtureWheelhouse()], cwd);
  if (run.exitCode !== 0) throw new Error(`memray-cli install ${target.join(" ")} failed (${run.exitCode}):\n${run.stderr}`);
  return run;
}

/** `memray-cli profile ...` on the cluster; the run directory and its summary.json. */
export function profilePod(args: string[], cwd: string, env: Record<string, string> = {}): Promise<ProfiledRun> {
  return profileRun(args, cwd, { ...clusterEnv, ...env });
}
