import path from "node:path";
import { InvalidOptionError, systemClock } from "@alpiq/memray-core";
import { isPodTarget } from "@alpiq/memray-kubernetes/pod-ref";
import type Docker from "dockerode";
import type { CliIo } from "./cli-io.js";
import type { DebugBuildFlags } from "./debug-build-command.js";
import type { InstallFlags } from "./install-command.js";
import type { MenuOptions } from "./menu-command.js";
import type { ProfileCommandDeps } from "./profile-command.js";
import { localTargetProvider, type TargetProvider } from "./target-provider.js";

/** Everything commands need from the outside world; tests pass their own. */
export interface CliDeps {
  profile: ProfileCommandDeps;
  install: (io: CliIo, flags: InstallFlags) => Promise<number>;
  /** `debug-build`, `run debug/memray-debug-build` and the menu's "Install memray + debug build". */
  debugBuild: (io: CliIo, flags: DebugBuildFlags) => Promise<number>;
  compare: (argv: string[], io: CliIo) => Promise<number>;
  /** `menu`, `run debug/menu`, bare `memray-cli` on a terminal. */
  menu: (io: CliIo, options: MenuOptions) => Promise<number>;
}

/**
 * The only place real clients are constructed. Docker, Kubernetes, the prompts and the compare tool
 * are imported on first use: a local profile never pays for loading them.
 */
export function createDefaultDeps(env: NodeJS.ProcessEnv = process.env): CliDeps {
  let docker: Promise<Docker> | undefined;
  const dockerClient = () => (docker ??= import("@alpiq/memray-docker").then((m) => m.createDockerClient(env)));
  const dockerTargets: TargetProvider = {
    async resolve(choice, needs) {
      const [{ dockerTargetProvider }, client] = await Promise.all([import("./docker-target-provider.js"), dockerClient()]);
      return dockerTargetProvider(client).resolve(choice, needs);
    },
  };
  // Kubernetes (@kubernetes/client-node) is loaded only when a pod is named: local and container runs never pay for it.
  const kubeClients = async () => {
    const { createKubeClient } = await import("@alpiq/memray-kubernetes");
    return (options: { context?: string | undefined; namespace?: string | undefined }) => createKubeClient({ ...options, env });
  };
  const kubernetesTargets: TargetProvider = {
    async resolve(choice, needs) {
      const [{ kubernetesTargetProvider }, connect] = await Promise.all([import("./kubernetes-target-provider.js"), kubeClients()]);
      return kubernetesTargetProvider(connect).resolve(choice, needs);
    },
  };
  const providers = { local: localTargetProvider, docker: dockerTargets, kubernetes: kubernetesTargets } as const;
  const profile: ProfileCommandDeps = {
    clock: systemClock,
    targets: { resolve: (choice, needs) => providers[choice.kind].resolve(choice, needs) },
  };
  const deps: CliDeps = {
    profile,
    async install(io, flags) {
      if ((typeof flags.target === "string" && isPodTarget(flags.target)) || typeof flags.selector === "string") {
        const [{ installPodCommand }, connect] = await Promise.all([import("./install-pod-command.js"), kubeClients()]);
        return installPodCommand(io, flags, connect);
      }
      for (const flag of ["namespace", "container", "context"] as const) {
        if (flags[flag] !== undefined) throw new InvalidOptionError(`--${flag} applies to Kubernetes targets only: add --target pod/NAME, --target deploy/NAME or -l SELECTOR`);
      }
      const [{ installCommand }, client] = await Promise.all([import("./install-command.js"), dockerClient()]);
      return installCommand(io, flags, client);
    },
    async debugBuild(io, flags) {
      const { debugBuildCommand } = await import("./debug-build-command.js");
      return debugBuildCommand(io, flags, { docker: dockerClient });
    },
    async compare(argv, io) {
      const { runCompareCommand } = await import("@alpiq/memray-compare");
      return runCompareCommand(argv, { ...io, isTTY: Boolean((io.stdout as { isTTY?: boolean }).isTTY) });
    },
    async menu(io, options) {
      const [prompts, { menuCommand }, { runningContainerNames }, { escapablePrompts }, { runProfileFromFlags }, { listRuns, toRunRow, runRowCells }, { startViewServer, DEFAULT_VIEW_PORT }] =
        await Promise.all([
          import("@inquirer/prompts"),
          import("./menu-command.js"),
          import("./docker-target-provider.js"),
          import("./escapable-prompts.js"),
          import("./profile-run.js"),
          import("./run-rows.js"),
          import("./view-server.js"),
        ]);
      const runsDir = path.resolve(io.cwd, options.out ?? "runs");
      return menuCommand(
        io,
        {
          // Drawn on stderr (even under --quiet): stdout stays for the run directory or --json.
          prompts: escapablePrompts(prompts as never, { input: process.stdin, output: process.stderr }),
          // No engine (or a bad DOCKER_HOST) leaves the host's own choices: local profiling still works.
          listContainers: () => dockerClient().then(runningContainerNames).catch(() => []),
          listRuns: async () => {
            const { runs } = await listRuns(runsDir).catch(() => ({ runs: [] }));
            return runs.map((run) => {
              const row = toRunRow(run, io.cwd);
              const cells = runRowCells(row);
              return { run_dir: row.run_dir, label: `${row.run_dir}  ${cells[1]}  ${cells[5]}  ${cells[6]}` };
            });
          },
          profile: (flags) => runProfileFromFlags(io, deps, flags),
          install: (flags) => deps.install(io, flags),
          debugBuild: (flags) => deps.debugBuild(io, flags),
          startView: () => startViewServer({ runsDir, port: DEFAULT_VIEW_PORT, fallbackToFreePort: true, cwd: io.cwd }),
          isInteractive: Boolean(process.stdin.isTTY && process.stderr.isTTY),
        },
        options,
      );
    },
  };
  return deps;
}
