/**
 * The commands as `memray-cli --help` lists them. This module imports nothing: the top-level help is
 * rendered from it without loading core, zod or any command (each command's own definition, with its
 * options from the flag table and core's mode rules, is imported only when that command is named).
 */
export interface CatalogEntry {
  name: string;
  /** How the command is shown in the list: name and arguments. */
  term: string;
  summary: string;
}

export const COMMAND_CATALOG: readonly CatalogEntry[] = [
  { name: "profile", term: "profile [options] [-- script-args...]", summary: "one mode on this host, in a container or a pod; prints the run dir" },
  { name: "run", term: "run [options] <recipe>", summary: "the seed's recipes: debug/memray-container -e key=value ..." },
  { name: "menu", term: "menu [options]", summary: "interactive: the seed's menu (containers, local, install, view)" },
  { name: "runs", term: "runs [list|show|open] [options]", summary: "the runs as a table; one run; its index.html" },
  { name: "recover", term: "recover [options] <run>", summary: "finish a run whose memray-cli went away: reports, summary, index.html" },
  { name: "view", term: "view [options]", summary: "the run browser on 127.0.0.1: table, charts, comparison" },
  { name: "compare", term: "compare [options] <runA> <runB>", summary: "two runs; exit 1 on a regression (= memray-compare)" },
  { name: "install", term: "install [options]", summary: "install memray into a container's or a pod's Python" },
  { name: "debug-build", term: "debug-build [options]", summary: "a PyO3 wheel with DWARF debug info, built in Docker" },
];

export const PROGRAM_DESCRIPTION = "Profile the memory of Python services and scripts with memray";

export const PROGRAM_EXAMPLES = `
Examples (the seed's workflows):
  memray-cli profile --mode script --script test-cases/example-sequential-requests.py
  memray-cli run debug/memray-container -e container_target=local-forecast-1 -e profile_mode=leaks
  memray-cli run debug/memray-sequence -e container_target=local-optimization-1 \\
      -e endpoint_path=/run -e request_count=20 -e delay_seconds=2
  memray-cli compare runs/baseline runs/sequence-20260315-143022
  memray-cli view

Without a command on a terminal: the menu. \`memray-cli <command> --help\` for each command.
Output: progress on stderr; stdout ends with the run directory (--json: one JSON object;
--quiet: the run directory only). Plain text unless stderr is a terminal; NO_COLOR is honoured.
Exit codes: 0 done · 1 workload failed (compare: regression) · 2 bad usage or input ·
3 target or environment unusable (no Python, no memray, no engine, no container).
Debug logs: DEBUG=memray:*`;

/** The command `argv` names (`help X` names X), or undefined for the program itself. */
export function commandNameOf(argv: readonly string[]): string | undefined {
  const first = argv.find((arg) => !arg.startsWith("-"));
  if (first === "help") {
    const next = argv.slice(argv.indexOf("help") + 1).find((arg) => !arg.startsWith("-"));
    return next;
  }
  return first;
}
