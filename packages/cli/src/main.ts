import { Command, CommanderError, Help } from "commander";
import type { CliIo } from "./cli-io.js";
import { commandNameOf, COMMAND_CATALOG, PROGRAM_DESCRIPTION, PROGRAM_EXAMPLES } from "./command-catalog.js";
import type { CommandContext } from "./command-context.js";
import type { CliDeps } from "./deps.js";
import { discardStream, hasFlag, quietIo } from "./output-mode.js";

// Start-up: this module loads commander and the catalogue only. A command's definition (its options
// come from the flag table and core's mode rules) is imported when that command is named, and its
// implementation when it runs: `memray-cli --help` never loads zod, core, Docker or the prompts.

/** Exit codes used before core is loaded (core's ExitCode has the same values). */
const EXIT_OK = 0;
const EXIT_USAGE = 2;

/**
 * Build the `memray-cli` program. Every command is listed; those in `only` (default: all) are defined
 * in full with their options, help and action. Every action resolves to an exit code via `setExit`.
 */
export async function buildProgram(
  io: CliIo,
  deps: CliDeps | (() => Promise<CliDeps>),
  setExit: (code: number) => void,
  only?: readonly string[],
): Promise<Command> {
  const program = new Command("memray-cli")
    .description(PROGRAM_DESCRIPTION)
    .version("0.1.0")
    .option("--verbose", "on an error, also print the chain of causes under it")
    .showHelpAfterError("(run with --help for usage)")
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => (io.errors ?? io.stderr).write(text),
      outputError: (text, write) => write(text),
    })
    .configureHelp({
      subcommandTerm: (command) =>
        (command.parent?.parent ? undefined : COMMAND_CATALOG.find((entry) => entry.name === command.name())?.term) ?? new Help().subcommandTerm(command),
    })
    .exitOverride()
    .addHelpText("after", PROGRAM_EXAMPLES);
  const names = only ?? COMMAND_CATALOG.map((entry) => entry.name);
  const full = names.some((name) => COMMAND_CATALOG.some((entry) => entry.name === name)) ? await import("./program-commands.js") : undefined;
  const context: CommandContext = { io, deps: typeof deps === "function" ? deps : async () => deps, setExit };
  for (const entry of COMMAND_CATALOG) {
    if (full && names.includes(entry.name)) full.defineCommand(program, entry, context);
    else program.command(entry.name).description(entry.summary);
  }
  return program;
}

/** Entry point used by bin.ts and by in-process tests. */
export async function main(argv: readonly string[], io: CliIo, deps?: CliDeps): Promise<number> {
  let exitCode: number = EXIT_OK;
  if (hasFlag(argv, "--verbose")) io = { ...io, verbose: true };
  if (hasFlag(argv, "--quiet")) io = quietIo(io);
  const json = hasFlag(argv, "--json");
  const lazyDeps = async () => (deps ??= (await import("./deps.js")).createDefaultDeps(io.env));
  try {
    const name = commandNameOf(argv);
    // `compare` is memray-compare's own parser: same flags, output and exit codes as the standalone bin.
    if (argv[0] === "compare") {
      const quietStdout = io.quiet && !json ? { stdout: discardStream() } : {};
      return await (await lazyDeps()).compare(compareArgs(argv.slice(1)), { ...io, ...quietStdout });
    }
    // Bare `memray-cli` in a terminal opens the menu; elsewhere it prints the help.
    if (argv.length === 0 && io.interactive) return await (await lazyDeps()).menu(io, {});
    const program = await buildProgram(io, lazyDeps, (code) => (exitCode = code), name && COMMAND_CATALOG.some((entry) => entry.name === name) ? [name] : []);
    if (argv.length === 0) {
      program.outputHelp();
      return EXIT_OK;
    }
    await program.parseAsync([...argv], { from: "user" });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === "commander.helpDisplayed" || error.code === "commander.version" || error.code === "commander.help") return EXIT_OK;
      if (json)
        io.stdout.write(
          `${JSON.stringify({ error: { code: "INVALID_OPTION", message: error.message.replace(/^error: /, ""), exit_code: EXIT_USAGE, hint: null } })}\n`,
        );
      return EXIT_USAGE;
    }
    const [{ toMemrayError }, { printError, printErrorJson }] = await Promise.all([import("@alpiq/memray-core"), import("./print-error.js")]);
    const failure = toMemrayError(error);
    printError(io, failure);
    if (json) printErrorJson(io, failure);
    if (io.env.DEBUG && error instanceof Error && error.stack) (io.errors ?? io.stderr).write(`${error.stack}\n`);
    return failure.exitCode;
  }
}

/** `compare ... --json` / `--quiet` as memray-compare spells them (`--format json`; quiet is handled by the io). */
function compareArgs(argv: readonly string[]): string[] {
  return argv.flatMap((arg) => (arg === "--json" ? ["--format", "json"] : arg === "--quiet" ? [] : [arg]));
}
