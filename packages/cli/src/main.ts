import { Command, CommanderError, Option } from "commander";
import pc from "picocolors";
import { ExitCode, MemrayError, MODES, toMemrayError } from "@alpiq/memray-core";
import type { CliIo } from "./cli-io.js";
import { createDefaultDeps, type CliDeps } from "./deps.js";
import { parseProfileOptions, type RawProfileFlags } from "./profile-options.js";
import { profileCommand } from "./profile-command.js";
import { parseRecipeVars, RECIPES, translateRecipe } from "./recipes.js";
import { runsListCommand, runsOpenCommand, runsShowCommand } from "./runs-command.js";

const collect = (value: string, previous: string[] = []) => [...previous, value];

function profileFlags(command: Command): Command {
  return command
    .addOption(new Option("--mode <mode>", "profiling mode").choices([...MODES]))
    .option("--target <container>", "container name, id prefix or Compose service")
    .option("--local", "profile on this host (default when no --target)")
    .option("--script <path>", "Python script to run under the instrumented runner")
    .option("--endpoint <path>", "endpoint path for endpoint/sequence modes", undefined)
    .option("--method <method>", "HTTP method (default GET, POST with --body)")
    .option("--body <json>", "JSON request body")
    .option("--header <name:value>", "request header (repeatable)", collect)
    .option("--requests <n>", "number of requests (sequence)")
    .option("--delay <seconds>", "delay between requests (sequence)")
    .option("--app <module:attr>", "WSGI app, when it cannot be found from the container's command")
    .option("--port <n>", "service port, when it cannot be detected")
    .option("--trace-allocators <True|False>", "trace Python allocators (default True; leaks forces True)")
    .option("--module <name>", "module to import in snapshot mode (repeatable)", collect)
    .option("--live-port <n>", "SocketDestination port for live modes (default 9001)")
    .option("--timeout <seconds>", "bound on the workload")
    .option("--python <path>", "Python interpreter in the target (default python3 / the container's)")
    .option("--allow-no-memray", "without memray, still measure tracemalloc + RSS (memray_enabled=false)")
    .option("--out <dir>", "parent of run directories", "runs")
    .option("--name <name>", "run name (default: script name or mode)")
    .option("--json", "print one JSON object { run_dir, summary } on stdout");
}

/** Build the `memray-cli` program; every action resolves to an exit code. */
export function buildProgram(io: CliIo, deps: CliDeps, setExit: (code: number) => void): Command {
  const program = new Command("memray-cli")
    .description("Profile the memory of Python services and scripts with memray")
    .version("0.1.0")
    .showHelpAfterError()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    })
    .exitOverride()
    .addHelpText(
      "after",
      `
Examples:
  memray-cli profile --script test-cases/example-sequential-requests.py
  memray-cli profile --target local-forecast-1 --mode leaks --endpoint /leak --requests 3
  memray-cli run debug/memray-container -e container_target=local-forecast-1 -e profile_mode=snapshot
  memray-cli compare runs/A runs/B --threshold 10

Exit codes: 0 done · 1 workload failed (compare: regression) · 2 bad usage or input · 3 target or
environment unusable (no Python, no memray, no engine, no container). Debug logs: DEBUG=memray:*`,
    );

  profileFlags(program.command("profile").description("run one profiling mode and write a run directory"))
    .argument("[script-args...]", "arguments for the script (after --)")
    .action(async (scriptArgs: string[], flags: RawProfileFlags) => {
      setExit(await profileCommand(parseProfileOptions(flags, scriptArgs), deps.profile, io));
    });

  program
    .command("run")
    .description(`run one of the seed's recipes: ${Object.keys(RECIPES).join(", ")}`)
    .argument("<recipe>", "recipe name, e.g. debug/memray-container")
    .option("-e, --extra <key=value>", "recipe variable (repeatable), e.g. -e profile_mode=leaks", collect)
    .option("--json", "print one JSON object on stdout")
    .action(async (recipe: string, flags: { extra?: string[]; json?: boolean }) => {
      const invocation = translateRecipe(recipe, parseRecipeVars(flags.extra ?? []));
      if (invocation.kind === "profile") {
        setExit(await profileCommand(parseProfileOptions({ ...invocation.flags, json: flags.json }), deps.profile, io));
      } else {
        setExit(await deps.install(io, invocation.options));
      }
    });

  program
    .command("install")
    .description("install memray into a container's Python")
    .requiredOption("--target <container>", "container name, id prefix or Compose service")
    .option("--wheelhouse <dir>", "install offline from the wheels in this directory")
    .option("--debug-symbols", "also install python3-dbg where apt-get exists")
    .option("--python <path>", "interpreter in the container")
    .action(async (flags: Record<string, string | boolean | undefined>) => {
      setExit(await deps.install(io, flags));
    });

  // Listed for help only: main() hands `compare ...` straight to memray-compare's own parser.
  program.command("compare <runA> <runB>").description("compare two runs; exit 1 on a regression (see memray-compare --help)");

  const runs = program.command("runs").description("list, show or open run directories");
  runs
    .command("list", { isDefault: true })
    .option("--out <dir>", "parent of run directories", "runs")
    .option("--json", "JSON output")
    .action(async (flags: { out: string; json?: boolean }) => setExit(await runsListCommand(io, { out: flags.out, json: Boolean(flags.json) })));
  runs
    .command("show")
    .argument("<run>")
    .option("--out <dir>", "parent of run directories", "runs")
    .option("--json", "JSON output")
    .action(async (run: string, flags: { out: string; json?: boolean }) =>
      setExit(await runsShowCommand(io, run, { out: flags.out, json: Boolean(flags.json) })),
    );
  runs
    .command("open")
    .argument("<run>")
    .option("--out <dir>", "parent of run directories", "runs")
    .action(async (run: string, flags: { out: string }) => setExit(await runsOpenCommand(io, run, flags)));

  program
    .command("menu")
    .description("choose a target and a mode interactively")
    .action(async () => setExit(await deps.menu(io)));

  return program;
}

/** Entry point used by bin.ts and by in-process tests. */
export async function main(argv: readonly string[], io: CliIo, deps: CliDeps = createDefaultDeps()): Promise<number> {
  let exitCode: number = ExitCode.Ok;
  const program = buildProgram(io, deps, (code) => {
    exitCode = code;
  });
  try {
    if (argv[0] === "compare") return await deps.compare(argv.slice(1), io);
    await program.parseAsync([...argv], { from: "user" });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === "commander.helpDisplayed" || error.code === "commander.version" || error.code === "commander.help") return ExitCode.Ok;
      return ExitCode.Usage;
    }
    const failure: MemrayError = toMemrayError(error);
    io.stderr.write(`${pc.red("error:")} ${failure.message}\n`);
    if (io.env.DEBUG && error instanceof Error && error.stack) io.stderr.write(`${error.stack}\n`);
    return failure.exitCode;
  }
}
