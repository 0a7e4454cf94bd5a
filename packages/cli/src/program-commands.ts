import { Option, type Command } from "commander";
import { InvalidOptionError, MODE_RULES, MODES } from "@alpiq/memray-core";
import type { CatalogEntry } from "./command-catalog.js";
import type { CommandContext } from "./command-context.js";
import { addProfileFlags, collect, flagsFromCommander } from "./profile-flags.js";
import { describeRecipes, parseRecipeVars, RECIPES, translateRecipe, type RecipeFlags } from "./recipes.js";
import type { DebugBuildFlags } from "./debug-build-command.js";
import type { InstallFlags } from "./install-command.js";
import type { CliDeps } from "./deps.js";

// The full definition of each command: options, help with examples from the seed's workflows, and
// the action (which imports the command's implementation when it runs).

const OUT = ["--out <dir>", "parent of run directories", "runs"] as const;
const JSON_FLAG = (shape: string) => ["--json", `print one JSON object on stdout: ${shape}`] as const;
const QUIET = ["--quiet", "print nothing but the result (the run directory) and errors"] as const;

/** The modes from core's mode table, one line each. */
function modeTable(): string {
  const width = Math.max(...MODES.map((mode) => mode.length));
  return MODES.map((mode) => `  ${mode.padEnd(width)}  ${MODE_RULES[mode].description}`).join("\n");
}

function defineProfile(command: Command, { io, deps, setExit }: CommandContext): void {
  addProfileFlags(command)
    .argument("[script-args...]", "arguments for the script (after --)")
    .addHelpText(
      "after",
      `
Modes:
${modeTable()}

Examples (the seed's workflows):
  memray-cli profile --mode script --script test-cases/example-sequential-requests.py
  memray-cli profile --target local-forecast-1 --mode leaks
  memray-cli profile --target local-forecast-1 --mode endpoint --endpoint /forecast
  memray-cli profile --target local-optimization-1 --mode sequence --endpoint /run --requests 20 --delay 2
  memray-cli profile --target local-forecast-1 --mode live-web      # then: memray live 9001
  memray-cli profile --mode script --script test-cases/my-test.py --quiet

Several runs for a noise-aware comparison (run i is NAME-i-<timestamp>; stdout: one run directory a line):
  memray-compare --baseline $(memray-cli profile --script load.py --name main --repeat 3 --quiet) \
                 --candidate $(memray-cli profile --script load.py --name pr --repeat 3 --quiet)

The running service itself (every worker, in place; its real traffic, or --requests to its real port):
  memray-cli profile --target local-optimization-1 --mode attach --duration 20
  memray-cli profile --target local-optimization-1 --mode attach --endpoint /leak --requests 10
  memray-cli profile --local --mode attach --pid 4242 --pid 4243 --duration 60
  memray-cli run debug/memray-attach -e container_target=local-optimization-1 -e duration_seconds=20

Kubernetes (the kubeconfig is read like kubectl: KUBECONFIG, ~/.kube/config, --context):
  memray-cli profile --target deploy/forecast --mode sequence --endpoint /leak --requests 10
  memray-cli profile -l app=forecast --namespace default --mode leaks
  memray-cli profile --target pod/forecast-5d5c964fb4-xnnct --container forecast --mode live-web
  memray-cli profile --target deploy/optimization --mode attach --duration 20

stdout: the run directory (--repeat: each one, a line each; --json: {run_dir, summary}, with --repeat also
runs: [{run_dir, summary}], schema cli-profile.schema.json); progress on stderr. Exit: the highest of the runs'.`,
    )
    .action(async (scriptArgs: string[], flags: Record<string, unknown>) => {
      const { runProfileFromFlags } = await import("./profile-run.js");
      setExit(await runProfileFromFlags(io, await deps(), flagsFromCommander(flags), scriptArgs));
    });
}

function defineRun(command: Command, { io, deps, setExit }: CommandContext): void {
  command
    .argument("<recipe>", "recipe name, e.g. debug/memray-container")
    .option("-e, --extra <key=value>", "recipe variable (repeatable), e.g. -e profile_mode=leaks", collect)
    .option("--out <dir>", "parent of run directories (default runs; also -e out_dir)")
    .option("--name <name>", "run name (default: script name or mode; also -e run_name)")
    .option(...JSON_FLAG("as the command the recipe runs"))
    .option(...QUIET)
    .option("--repeat <n>", "profiling recipes: make N runs (run i is NAME-i-<timestamp>), as profile --repeat")
    .addHelpText(
      "after",
      `
Recipes and their -e keys:
${describeRecipes()}

trace_allocators (debug_symbols, rebuild) take True or False; true/false/1/0/yes/no are read with a note.
An unknown recipe, -e key or profile_mode is an error (exit 2) that lists the valid ones.

Examples (the seed's workflows):
  memray-cli run debug/memray-container -e container_target=local-forecast-1 -e profile_mode=script \\
      -e trace_allocators=True -e script_path=test-cases/example-sequential-requests.py
  memray-cli run debug/memray-container -e container_target=local-forecast-1 -e profile_mode=snapshot
  memray-cli run debug/memray-container -e container_target=local-optimization-1 -e profile_mode=leaks
  memray-cli run debug/memray-sequence -e container_target=local-optimization-1 \\
      -e endpoint_path=/run -e request_count=20 -e delay_seconds=2
  memray-cli run debug/memray-install -e container_target=local-forecast-1
  memray-cli run debug/memray-local -e script_path=test-cases/my-test.py --out runs --name my-test
  memray-cli run debug/menu
  memray-cli run menu                    # the seed's "run menu" → Memory debugging

On a terminal, debug/memray-install without container_target offers the running containers, and
debug/memray-local without script_path offers the test-cases scripts or a path of your own; without a
terminal install needs -e container_target (exit 2) and local profiles the example script.`,
    )
    .action(async (recipe: string, flags: RecipeFlags & { extra?: string[]; repeat?: string }) => {
      let vars = parseRecipeVars(flags.extra ?? []);
      let clients: CliDeps | undefined;
      if (io.interactive && RECIPES[recipe]) {
        // On a terminal, the seed's flows ask for a missing target (install) or script (local).
        const { askRecipeQuestions, missingRecipeKey } = await import("./recipe-questions.js");
        if (missingRecipeKey(recipe, vars)) {
          clients = await deps();
          const answered = clients.recipeQuestions ? await askRecipeQuestions(io, recipe, vars, await clients.recipeQuestions(io)) : vars;
          if (!answered) {
            io.stderr.write("cancelled: nothing was run\n");
            return setExit(130);
          }
          vars = answered;
        }
      }
      const invocation = translateRecipe(recipe, vars, flags);
      if (flags.repeat !== undefined && invocation.kind !== "profile") {
        throw new InvalidOptionError(`--repeat applies to the profiling recipes; ${recipe} makes no run`);
      }
      clients ??= await deps();
      if (invocation.kind === "profile") {
        const { runProfileFromFlags } = await import("./profile-run.js");
        const raw = {
          ...invocation.flags,
          ...(flags.json ? { json: true } : {}),
          ...(flags.quiet ? { quiet: true } : {}),
          ...(flags.repeat !== undefined ? { repeat: flags.repeat } : {}),
        };
        setExit(await runProfileFromFlags(io, clients, raw, [], invocation.label, invocation.notes ?? []));
        return;
      }
      for (const note of invocation.notes ?? []) io.stderr.write(`note: ${note}\n`);
      if (invocation.kind === "debug-build") setExit(await clients.debugBuild(io, { ...invocation.options, json: Boolean(flags.json) }));
      else if (invocation.kind === "install") setExit(await clients.install(io, { ...invocation.options, json: Boolean(flags.json) }));
      else setExit(await clients.menu(io, { ...invocation.options, json: Boolean(flags.json) }));
    });
}

function defineMenu(command: Command, { io, deps, setExit }: CommandContext): void {
  command
    .option(...OUT)
    .option("--name <name>", "run name (default: script name or mode)")
    .option(...JSON_FLAG("the chosen action's (a profile run: {run_dir, summary})"))
    .option(...QUIET)
    .addHelpText(
      "after",
      `
The seed's menu (Enter chooses, Escape goes back one level, Ctrl-C leaves):
  Container profiling  → a running service → a mode → its inputs
                         (script, endpoint, count, delay, trace allocators, baseline)
  Local profiling      → a mode → its inputs, on this host
  Install memray + debug build
  View profiles        → the run browser (memray-cli view)
Each choice prints the equivalent command line before it runs. Also: bare \`memray-cli\` on a
terminal, and \`memray-cli run debug/menu\`.`,
    )
    .action(async (flags: { out: string; name?: string; json?: boolean }) => {
      setExit(await (await deps()).menu(io, { out: flags.out, name: flags.name, json: Boolean(flags.json) }));
    });
}

function defineRuns(command: Command, { io, setExit }: CommandContext): void {
  const load = () => import("./runs-command.js");
  command.addHelpText(
    "after",
    `
Examples:
  memray-cli runs list                       run, mode, target, peak memory, RSS delta, leak verdict, date
  memray-cli runs list --json                {runs_dir, runs: [...], unreadable: [...]}
  memray-cli runs show runs/example-sequential-requests-20260315-143022
  memray-cli runs open example-sequential-requests-20260315-143022
  memray-cli runs show latest                the newest run`,
  );
  command
    .command("list", { isDefault: true })
    .description("the runs as an aligned table, newest first")
    .option(...OUT)
    .option(...JSON_FLAG("{runs_dir, runs, unreadable} (cli-runs-list.schema.json)"))
    .option("--quiet", "print only the run directories")
    .action(async (flags: { out: string; json?: boolean }) => setExit(await (await load()).runsListCommand(io, { out: flags.out, json: Boolean(flags.json) })));
  command
    .command("show")
    .description("a run's key numbers, leak verdict, top allocators and files")
    .argument("<run>", "run directory, its name under --out, or latest")
    .option(...OUT)
    .option(...JSON_FLAG("{run_dir, summary, files}"))
    .option("--quiet", "print only the run directory")
    .action(async (run: string, flags: { out: string; json?: boolean }) =>
      setExit(await (await load()).runsShowCommand(io, run, { out: flags.out, json: Boolean(flags.json) })),
    );
  command
    .command("open")
    .description("open a run's index.html in a browser; prints its path")
    .argument("<run>", "run directory, its name under --out, or latest")
    .option(...OUT)
    .option(...JSON_FLAG("{run_dir, index, opened}"))
    .option(...QUIET)
    .action(async (run: string, flags: { out: string; json?: boolean }) =>
      setExit(await (await load()).runsOpenCommand(io, run, { out: flags.out, json: Boolean(flags.json) })),
    );
}

function defineRecover(command: Command, { io, deps, setExit }: CommandContext): void {
  command
    .argument("<run>", "the run directory, or its name under --out")
    .option(...OUT)
    .option("--python <path>", "interpreter with memray on this host (default: the run's own when it ran here, else python3)")
    .option(...JSON_FLAG("{run_dir, summary} (cli-recover.schema.json)"))
    .option(...QUIET)
    .addHelpText(
      "after",
      `
A run whose memray-cli went away (killed, its terminal closed) keeps its capture: the harness finishes
it alone (summary.json with error_code HOST_LOST, no index.html), or, when it went away too, leaves
session.bin and its checkpoint. recover makes it a full run on this host: the reports again from
session.bin, summary.json (the workload's own outcome when it had ended; HOST_LOST when it was stopped
by the loss), index.html. Also for a summary with REPORTS_MISSING (the report engine was killed). A run
in a container or a pod is first brought home: recover connects to the target again and copies the
results the harness finished there.
Other run directories are refused (exit 2) and left as they are. Ctrl-C: as for profile.

Examples:
  memray-cli recover runs/slow-20260315-143022
  memray-cli recover slow-20260315-143022 --out runs --json`,
    )
    .action(async (run: string, flags: { out: string; json?: boolean; python?: string }) => {
      const { recoverCommand } = await import("./recover-command.js");
      setExit(await recoverCommand(io, run, { out: flags.out, json: Boolean(flags.json), python: flags.python, targets: (await deps()).profile.targets }));
    });
}

function defineView(command: Command, { io, setExit }: CommandContext): void {
  command
    .option("--port <n>", "port on 127.0.0.1 (default 8377, or a free one when it is taken)")
    .option(...OUT)
    .option("--open", "also open the page in a browser")
    .option(...JSON_FLAG("{url, host, port, runs_dir} once it listens"))
    .option("--quiet", "print only the URL")
    .addHelpText(
      "after",
      `
Serves the runs directory on 127.0.0.1 only, until Ctrl-C: a sortable table of the runs (run, mode,
target, peak memory, RSS delta, leak verdict, date) linking to each run's index.html and reports; a
run's RSS (and heap) per request as an inline SVG chart; two runs selected and compared. No CDN.
It answers only requests addressed to 127.0.0.1, localhost or [::1] on its port (a page of another
site cannot read it), and serves only regular files whose real path is inside the runs directory.

Examples:
  memray-cli view
  memray-cli view --port 9000 --out runs --open`,
    )
    .action(async (flags: { port?: string; out: string; open?: boolean; json?: boolean }) => {
      const { viewCommand } = await import("./view-command.js");
      setExit(await viewCommand(io, { port: flags.port, out: flags.out, open: Boolean(flags.open), json: Boolean(flags.json) }));
    });
}

function defineInstall(command: Command, { io, deps, setExit }: CommandContext): void {
  command
    .option("--target <container>", "container name, id prefix or Compose service; pod/NAME or deploy/NAME for a Kubernetes pod")
    .option("--local", "this host (the interpreter is --python, default python3)")
    .option("-l, --selector <selector>", "Kubernetes: one Ready pod matching this label selector (e.g. app=forecast)")
    .option("-n, --namespace <namespace>", "Kubernetes: the pod's namespace (default: the context's, else default)")
    .option("--container <name>", "Kubernetes: the container in the pod (default: kubectl's default container)")
    .option("--context <name>", "Kubernetes: the kubeconfig context (KUBECONFIG is read like kubectl does)")
    .option("--wheelhouse <dir>", "install offline from the wheels in this directory")
    .option("--debug-symbols", "also install python3-dbg where apt-get exists")
    .option("--attach", "also install gdb where apt-get exists (mode attach's debugger way; needs SYS_PTRACE)")
    .option("--agent", "also install mode attach's agent into the service's Python (no debugger; the service is restarted once with MEMRAY_CLI_AGENT=1)")
    .option("--python <path>", "interpreter in the target (default: the one its service runs under)")
    .option(...JSON_FLAG("{container, python, version, alreadyInstalled, method, debugSymbols}"))
    .option("--quiet", "print only the memray version")
    .addHelpText(
      "after",
      `
Examples (the seed's "Install memray" step; run it again after a container restart):
  memray-cli install --target local-forecast-1
  memray-cli install --target local-optimization-1 --debug-symbols
  memray-cli install --target local-forecast-1 --wheelhouse wheels/
  memray-cli install --target deploy/forecast --namespace default    # a pod: lost again when the pod restarts
  memray-cli install -l app=forecast --wheelhouse wheels/            # pods without egress: offline
  memray-cli install --target local-optimization-1 --attach          # gdb, for --mode attach
  memray-cli install --target local-forecast-1 --agent               # the agent, for --mode attach without ptrace
  memray-cli run debug/memray-install -e container_target=local-forecast-1`,
    )
    .action(async (flags: InstallFlags) => setExit(await (await deps()).install(io, flags)));
}

function defineDebugBuild(command: Command, { io, deps, setExit }: CommandContext): void {
  command
    .option("--source <dir>", "the maturin/PyO3 project (pyproject.toml + Cargo.toml)")
    .option("--base-image <image>", "image the wheel is built in (default rust:1.88.0-bookworm)")
    .option("--install-into <container>", "install the wheel (and python3-dbg) into this container")
    .option("--cache-dir <dir>", "wheel cache, keyed by source revision and build config", "/tmp/pymando-debug")
    .option("--rebuild", "build even when the cache has the wheel")
    .option("--apt-package <package>", "extra apt package in the build image (repeatable)", collect)
    .option("--copy-lib <path>", "shared library copied into the build image's /usr/local/lib (repeatable), e.g. libduckdb.so", collect)
    .option("--python <path>", "interpreter in the --install-into container (default: the one its command runs)")
    .option("--jobs <n>", "cargo build jobs (default: one per CPU)")
    .option("--verify <wheel>", "only check a wheel: print its debug sections, exit 1 without .debug_info")
    .option(...JSON_FLAG("{wheel, cached, key, debug_sections, ...} (cli-debug-build.schema.json)"))
    .option("--quiet", "print only the wheel")
    .addHelpText(
      "after",
      `
Examples (the seed's "Debug Build (py-mando with Rust Symbols)"):
  memray-cli debug-build --source ../../mando/py-mando --install-into local-forecast-1
  memray-cli debug-build --source tools/fixtures/pyo3_demo --base-image memray-rust-base:bookworm --json
  memray-cli debug-build --source py-mando --copy-lib /usr/local/lib/libduckdb.so --apt-package libssl-dev
  memray-cli debug-build --verify /tmp/pymando-debug/py-mando-<key>/py_mando-*.whl
  memray-cli run debug/memray-debug-build -e source_dir=../../mando/py-mando -e install_into=local-forecast-1

No registry here? Build the local stand-in for rust:1.88.0-bookworm with bash tools/images/rust-base.sh
and pass --base-image memray-rust-base:bookworm. Exit codes: 0 done · 1 the build failed or the wheel
has no .debug_info · 2 bad input (no pyproject.toml/Cargo.toml) · 3 no engine, no base image, install failed`,
    )
    .action(async (flags: DebugBuildFlags) => setExit(await (await deps()).debugBuild(io, flags)));
}

function defineCompare(command: Command): void {
  // Listed for help only: main() hands `compare ...` straight to memray-compare's own parser.
  command
    .argument("<runA>", "the baseline run directory (or its summary.json)")
    .argument("<runB>", "the candidate run directory")
    .addOption(new Option("--threshold <pct>", "growth above PCT percent is a regression (default 20)"))
    .addOption(new Option("--format <format>", "text, markdown or json").choices(["text", "markdown", "json"]))
    .option("--json", "same as --format json (compare-report.schema.json)")
    .addHelpText(
      "after",
      "\nAll options: memray-cli compare --help (memray-compare's own help).\nExample: memray-cli compare runs/baseline/ runs/sequence-20260315-143022/",
    );
}

const DEFINITIONS: Record<string, (command: Command, context: CommandContext) => void> = {
  profile: defineProfile,
  run: defineRun,
  menu: defineMenu,
  runs: defineRuns,
  recover: defineRecover,
  view: defineView,
  compare: defineCompare,
  install: defineInstall,
  "debug-build": defineDebugBuild,
};

/** Add `entry` to `program` with its full definition. */
export function defineCommand(program: Command, entry: CatalogEntry, context: CommandContext): void {
  const command = program.command(entry.name).description(entry.summary);
  DEFINITIONS[entry.name]?.(command, context);
}
