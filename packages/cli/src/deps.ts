import { systemClock } from "@alpiq/memray-core";
import type Docker from "dockerode";
import type { CliIo } from "./cli-io.js";
import type { DebugBuildFlags } from "./debug-build-command.js";
import type { InstallFlags } from "./install-command.js";
import { profileCommand, type ProfileCommandDeps } from "./profile-command.js";
import { parseProfileOptions } from "./profile-options.js";
import { localTargetProvider, type TargetProvider } from "./target-provider.js";

/** Everything commands need from the outside world; tests pass their own. */
export interface CliDeps {
  profile: ProfileCommandDeps;
  install: (io: CliIo, flags: InstallFlags) => Promise<number>;
  /** `debug-build`, `run debug/memray-debug-build` and the menu's "Install memray + debug build". */
  debugBuild: (io: CliIo, flags: DebugBuildFlags) => Promise<number>;
  compare: (argv: string[], io: CliIo) => Promise<number>;
  menu: (io: CliIo) => Promise<number>;
}

/**
 * The only place real clients are constructed. Docker, the prompts and the compare tool are
 * imported on first use: a local profile never pays for loading them.
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
  const profile: ProfileCommandDeps = {
    clock: systemClock,
    targets: { resolve: (choice, needs) => (choice.kind === "local" ? localTargetProvider : dockerTargets).resolve(choice, needs) },
  };
  return {
    profile,
    async install(io, flags) {
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
    async menu(io) {
      const [{ input, select }, { menuCommand }, { runningContainerNames }] = await Promise.all([
        import("@inquirer/prompts"),
        import("./menu-command.js"),
        import("./docker-target-provider.js"),
      ]);
      return menuCommand(io, {
        prompts: { select, input },
        // No engine (or a bad DOCKER_HOST) leaves the host's own choices: local profiling still works.
        listContainers: () => dockerClient().then(runningContainerNames).catch(() => []),
        profile: async (flags) => profileCommand(parseProfileOptions(flags), profile, io),
        isInteractive: Boolean(process.stdin.isTTY && io.stderr.isTTY),
      });
    },
  };
}
