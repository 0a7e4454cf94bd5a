import { input, select } from "@inquirer/prompts";
import { runCompareCommand } from "@alpiq/memray-compare";
import { InvalidOptionError, systemClock } from "@alpiq/memray-core";
import type { CliIo } from "./cli-io.js";
import { menuCommand } from "./menu-command.js";
import { profileCommand, type ProfileCommandDeps } from "./profile-command.js";
import { parseProfileOptions } from "./profile-options.js";
import { localTargetProvider, type TargetProvider } from "./target-provider.js";

/** Everything commands need from the outside world; tests pass their own. */
export interface CliDeps {
  profile: ProfileCommandDeps;
  install: (io: CliIo, options: Record<string, string | boolean | undefined>) => Promise<number>;
  compare: (argv: string[], io: CliIo) => Promise<number>;
  menu: (io: CliIo) => Promise<number>;
}

/** Routes `--local` to the host and `--target` to Docker. */
function routingTargetProvider(docker: TargetProvider | undefined): TargetProvider {
  return {
    resolve(choice, needs) {
      if (choice.kind === "local") return localTargetProvider.resolve(choice, needs);
      if (!docker) throw new InvalidOptionError("Docker targets are not available in this build");
      return docker.resolve(choice, needs);
    },
  };
}

/** The only place real clients are constructed. */
export function createDefaultDeps(): CliDeps {
  const profile: ProfileCommandDeps = { clock: systemClock, targets: routingTargetProvider(undefined) };
  return {
    profile,
    install: async () => {
      throw new InvalidOptionError("install needs Docker support");
    },
    compare: (argv, io) =>
      runCompareCommand(argv, { ...io, isTTY: Boolean((io.stdout as { isTTY?: boolean }).isTTY) }),
    menu: (io) =>
      menuCommand(io, {
        prompts: { select, input },
        listContainers: async () => [],
        profile: (flags) => profileCommand(parseProfileOptions(flags), profile, io),
        isInteractive: Boolean(process.stdin.isTTY && (io.stderr as { isTTY?: boolean }).isTTY),
      }),
  };
}
