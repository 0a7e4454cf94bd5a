import path from "node:path";
import { InstallFailedError } from "../errors.js";
import { tailLines } from "../target/exec-lines.js";
import type { Target } from "../target/target.js";

/** The environment variable that starts the agent in a service's processes (read by memray_harness.attach.boot). */
export const AGENT_ENV = "MEMRAY_CLI_AGENT";
/** The .pth file that imports the agent's boot module at every interpreter start (it does nothing unless AGENT_ENV=1). */
export const AGENT_PTH = "memray_cli_agent.pth";

const SITE_PACKAGES = "import sysconfig; print(sysconfig.get_paths()['purelib'])";
const WRITE_PTH = "import sys; open(sys.argv[1], 'w').write('import memray_harness.attach.boot\\n')";
const VERIFY = "import memray_harness.attach.agent as a; print(a.__file__)";

export interface InstallAgentResult {
  /** Where the harness (with the agent) now is in the target. */
  agentPath: string;
  /** The .pth file that boots it. */
  pthFile: string;
  /** What the user does next: the service picks the agent up at its next start. */
  note: string;
}

/**
 * Make mode attach's opt-in agent available to a service's interpreter: the harness package into its
 * site-packages and a .pth line that imports the agent's boot module at start-up. The agent runs only
 * in processes started with MEMRAY_CLI_AGENT=1 (no debugger, no ptrace needed then); the service must
 * be restarted once with it set. Idempotent. Throws InstallFailedError (exit 3).
 */
export async function installAgent(options: { target: Target; python: string; harnessDir: string }): Promise<InstallAgentResult> {
  const { target, python } = options;
  const site = await target.exec([python, "-c", SITE_PACKAGES]);
  const dir = site.stdout.trim();
  if (site.exitCode !== 0 || !dir.startsWith("/")) {
    throw new InstallFailedError(
      `cannot find the site-packages of ${python} on ${target.name}`,
      target.name,
      [python, "-c", SITE_PACKAGES],
      site.exitCode,
      tailLines(site.stderr),
    );
  }
  await target.copyIn(path.join(options.harnessDir, "memray_harness"), dir);
  const pthFile = path.posix.join(dir, AGENT_PTH);
  const written = await target.exec([python, "-c", WRITE_PTH, pthFile]);
  if (written.exitCode !== 0) {
    throw new InstallFailedError(
      `cannot write ${pthFile} on ${target.name}`,
      target.name,
      [python, "-c", WRITE_PTH, pthFile],
      written.exitCode,
      tailLines(written.stderr),
    );
  }
  const check = await target.exec([python, "-c", VERIFY], { env: { [AGENT_ENV]: "0" } });
  if (check.exitCode !== 0) {
    throw new InstallFailedError(
      `the agent does not import with ${python} on ${target.name}`,
      target.name,
      [python, "-c", VERIFY],
      check.exitCode,
      tailLines(check.stderr),
    );
  }
  return {
    agentPath: path.posix.join(dir, "memray_harness"),
    pthFile,
    note: `restart the service once with ${AGENT_ENV}=1 in its environment: from then on \`memray-cli profile --mode attach\` tracks its processes without a debugger`,
  };
}
