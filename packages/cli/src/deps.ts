import { input, select } from "@inquirer/prompts";
import { runCompareCommand } from "@alpiq/memray-compare";
import { systemClock } from "@alpiq/memray-core";
import { createDockerClient } from "@alpiq/memray-docker";
import type Docker from "dockerode";
import type { CliIo } from "./cli-io.js";
import { dockerTargetProvider, runningContainerNames } from "./docker-target-provider.js";
import { installCommand, type InstallFlags } from "./install-command.js";
import { menuCommand } from "./menu-command.js";
import { profileCommand, type ProfileCommandDeps } from "./profile-command.js";
import { parseProfileOptions } from "./profile-options.js";
import { localTargetProvider, type TargetProvider } from "./target-provider.js";

/** Everything commands need from the outside world; tests pass their own. */
export interface CliDeps {
  profile: ProfileCommandDeps;
  install: (io: CliIo, flags: InstallFlags) => Promise<number>;
  compare: (argv: string[], io: CliIo) => Promise<number>;
  menu: (io: CliIo) => Promise<number>;
}

/** Routes `--local` to the host and `--target` to Docker. */
function routingTargetProvider(docker: TargetProvider): TargetProvider {
  return {
    resolve: (choice, needs) => (choice.kind === "local" ? localTargetProvider : docker).resolve(choice, needs),
  };
}

/** The only place real clients are constructed. */
export function createDefaultDeps(env: NodeJS.ProcessEnv = process.env): CliDeps {
  // dockerode connects lazily: constructing the client costs nothing when no container is used.
  const docker: Docker = createDockerClient(env);
  const profile: ProfileCommandDeps = { clock: systemClock, targets: routingTargetProvider(dockerTargetProvider(docker)) };
  return {
    profile,
    install: (io, flags) => installCommand(io, flags, docker),
    compare: (argv, io) =>
      runCompareCommand(argv, { ...io, isTTY: Boolean((io.stdout as { isTTY?: boolean }).isTTY) }),
    menu: (io) =>
      menuCommand(io, {
        prompts: { select, input },
        listContainers: () => runningContainerNames(docker),
        profile: (flags) => profileCommand(parseProfileOptions(flags), profile, io),
        isInteractive: Boolean(process.stdin.isTTY && (io.stderr as { isTTY?: boolean }).isTTY),
      }),
  };
}
