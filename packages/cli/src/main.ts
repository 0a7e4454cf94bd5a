import { Command, CommanderError } from "commander";
import { ExitCode, toMemrayError } from "@alpiq/memray-core";
import type { CliIo } from "./cli-io.js";
import type { DebugBuildFlags } from "./debug-build-command.js";
import { createDefaultDeps, type CliDeps } from "./deps.js";
import { addProfileFlags, collect, flagsFromCommander } from "./profile-flags.js";
import { parseProfileOptions } from "./profile-options.js";
import { printError } from "./print-error.js";
import { profileCommand } from "./profile-command.js";
import { parseRecipeVars, RECIPES, translateRecipe } from "./recipes.js";
import { runsListCommand, runsOpenCommand, runsShowCommand } from "./runs-command.js";

/** Build the `memray-cli` program; every action resolves to an exit code. */
export function buildProgram(io: CliIo, deps: CliDeps, setExit: (code: number) => void): Command {
  const program = new Command("memray-cli")
    .description("Profile the memory of Python services and scripts with memray")
    .version("0.1.0")
    .option("--verbose", "on an error, also print the chain of causes under it")
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

  addProfileFlags(program.command("profile").description("run one profiling mode and write a run directory"))
    .argument("[script-args...]", "arguments for the script (after --)")
    .action(async (scriptArgs: string[], flags: Record<string, unknown>) => {
      setExit(await profileCommand(parseProfileOptions(flagsFromCommander(flags), scriptArgs), deps.profile, io));
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
        const options = parseProfileOptions({ ...invocation.flags, json: flags.json }, [], invocation.label);
        setExit(await profileCommand(options, deps.profile, io));
      } else if (invocation.kind === "debug-build") {
        setExit(await deps.debugBuild(io, { ...invocation.options, json: flags.json }));
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

  program
    .command("debug-build")
    .description("build a PyO3/maturin wheel with full DWARF debug info in Docker (cached), verify it, install it into a container")
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
    .option("--json", "print one JSON object {wheel, cached, key, debug_sections, ...} on stdout")
    .addHelpText(
      "after",
      `
Examples:
  memray-cli debug-build --source ../../mando/py-mando --install-into local-forecast-1
  memray-cli debug-build --source tools/fixtures/pyo3_demo --base-image memray-rust-base:bookworm --json
  memray-cli debug-build --source py-mando --copy-lib /usr/local/lib/libduckdb.so --apt-package libssl-dev
  memray-cli debug-build --verify /tmp/pymando-debug/py-mando-<key>/py_mando-*.whl
  memray-cli run debug/memray-debug-build -e source_dir=../../mando/py-mando -e install_into=local-forecast-1

No registry here? Build the local stand-in for rust:1.88.0-bookworm with bash tools/images/rust-base.sh
and pass --base-image memray-rust-base:bookworm. Exit codes: 0 done · 1 the build failed or the wheel
has no .debug_info · 2 bad input (no pyproject.toml/Cargo.toml) · 3 no engine, no base image, install failed`,
    )
    .action(async (flags: DebugBuildFlags) => {
      setExit(await deps.debugBuild(io, flags));
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
  if (argv.includes("--verbose")) io = { ...io, verbose: true };
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
    const failure = toMemrayError(error);
    printError(io, failure);
    if (io.env.DEBUG && error instanceof Error && error.stack) io.stderr.write(`${error.stack}\n`);
    return failure.exitCode;
  }
}
