import { checkScriptFile, isCanonicalPythonBool } from "@alpiq/memray-core";
import type { CliIo } from "./cli-io.js";
import { flagLabel, type RawProfileFlags } from "./profile-flags.js";
import { parseProfileOptions } from "./profile-options.js";
import { profileCommand, type ProfileCommandDeps } from "./profile-command.js";

/**
 * One profiling run from raw flags (`profile`, a recipe, the menu): validated once with core's schema,
 * the script checked (missing, a directory, a FIFO or other non-regular file: exit 2 saying which,
 * before a run directory exists), notes printed (a trace_allocators spelled other than True/False),
 * then `profileCommand`.
 */
export async function runProfileFromFlags(
  io: CliIo,
  deps: { profile: ProfileCommandDeps },
  flags: RawProfileFlags,
  scriptArgs: string[] = [],
  label: (field: string) => string = flagLabel,
  notes: readonly string[] = [],
): Promise<number> {
  const options = parseProfileOptions(deps.profile.targets, flags, scriptArgs, label);
  if (options.options.script) await checkScriptFile(options.options.script, io.cwd);
  const all = [...notes];
  const trace = flags.traceAllocators;
  if (typeof trace === "string" && !isCanonicalPythonBool(trace) && !notes.some((note) => note.includes("trace_allocators"))) {
    all.push(`${label("traceAllocators")} ${trace} read as ${options.options.traceAllocatorsRequested ? "True" : "False"} (the seed spells it True or False)`);
  }
  for (const note of all) io.stderr.write(`note: ${note}\n`);
  return profileCommand(options, deps.profile, io);
}
