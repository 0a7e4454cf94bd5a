import path from "node:path";
import { systemClock } from "@alpiq/memray-core";
import type Docker from "dockerode";
import type { CliIo } from "./cli-io.js";
import type { DebugBuildFlags } from "./debug-build-command.js";
import type { InstallFlags } from "./install-command.js";
import type { MenuOptions } from "./menu-command.js";
import type { ProfileCommandDeps } from "./profile-command.js";
import type { RecipeQuestionDeps } from "./recipe-questions.js";
import { createTargetRegistry } from "./target-registry.js";

/** Everything commands need from the outside world; tests pass their own. */
export interface CliDeps {
  profile: ProfileCommandDeps;
  install: (io: CliIo, flags: InstallFlags) => Promise<number>;
  /** `debug-build`, `run debug/memray-debug-build` and the menu's "Install memray + debug build". */
  debugBuild: (io: CliIo, flags: DebugBuildFlags) => Promise<number>;
  compare: (argv: string[], io: CliIo) => Promise<number>;
  /** `menu`, `run debug/menu`, `run menu`, bare `memray-cli` on a terminal. */
  menu: (io: CliIo, options: MenuOptions) => Promise<number>;
  /** The prompts a recipe run on a terminal uses for a missing target or script (recipe-questions.ts). */
  recipeQuestions?: (io: CliIo) => Promise<RecipeQuestionDeps>;
}

/**
 * The only place real clients are constructed. Docker, Kubernetes, the prompts and the compare tool
 * are imported on first use: a local profile never pays for loading them.
 */
export function createDefaultDeps(env: NodeJS.ProcessEnv = process.env): CliDeps {
  let docker: Promise<Docker> | undefined;
  const dockerClient = () => (docker ??= import("@alpiq/memray-docker").then((m) => m.createDockerClient(env)));
  // Kubernetes (@kubernetes/client-node) is loaded only when a pod is named: local and container runs never pay for it.
  const kubeClient = async (options: { context?: string | undefined; namespace?: string | undefined }) =>
    (await import("@alpiq/memray-kubernetes")).createKubeClient({ ...options, env });
  const targets = createTargetRegistry({ docker: dockerClient, kube: kubeClient });
  const profile: ProfileCommandDeps = { clock: systemClock, targets };
  // The menu's and the recipe questions' prompts, drawn on stderr (even under --quiet): stdout stays for the command's result.
  const terminalPrompts = async () => {
    const [prompts, { escapablePrompts }] = await Promise.all([import("@inquirer/prompts"), import("./escapable-prompts.js")]);
    return escapablePrompts(prompts as never, { input: process.stdin, output: process.stderr });
  };
  // No engine (or a bad DOCKER_HOST) leaves the host's own choices: local profiling still works.
  const listContainers = async (): Promise<string[]> => {
    const { runningContainerNames } = await import("./container-names.js");
    return dockerClient()
      .then(runningContainerNames)
      .catch(() => []);
  };
  const deps: CliDeps = {
    profile,
    async install(io, flags) {
      const { installCommand } = await import("./install-command.js");
      return installCommand(io, flags, targets);
    },
    async debugBuild(io, flags) {
      const { debugBuildCommand } = await import("./debug-build-command.js");
      return debugBuildCommand(io, flags, { docker: dockerClient });
    },
    async compare(argv, io) {
      const { runCompareCommand, runFileCompareFs } = await import("@alpiq/memray-compare");
      // The runs are read through core's readRunFile: a FIFO never blocks, a huge table.json is refused.
      return runCompareCommand(argv, { ...io, isTTY: Boolean((io.stdout as { isTTY?: boolean }).isTTY), fs: runFileCompareFs({ signal: io.signal }) });
    },
    async recipeQuestions(io) {
      const [prompts, { testCaseScripts }] = await Promise.all([terminalPrompts(), import("./recipe-questions.js")]);
      return { prompts, listContainers, listScripts: () => testCaseScripts(io.cwd) };
    },
    async menu(io, options) {
      const [prompts, { menuCommand }, { runProfileFromFlags }, { listRuns, toRunRow, runRowCells }, { startViewServer, DEFAULT_VIEW_PORT }] =
        await Promise.all([terminalPrompts(), import("./menu-command.js"), import("./profile-run.js"), import("./run-rows.js"), import("./view-server.js")]);
      const runsDir = path.resolve(io.cwd, options.out ?? "runs");
      return menuCommand(
        io,
        {
          prompts,
          listContainers,
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
