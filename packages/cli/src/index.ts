// The public API of @alpiq/memray-cli: profile() for other services' code, the program (for embedding
// and in-process tests) and its pieces.
export { profile, type ProfileApiOptions, type ProfileApiResult } from "./profile.js";
export { executeProfile, type ProfileProgress, type ProfileOutcome, type ProfileExecution } from "./profile-execution.js";
// What a caller of profile() handles: its typed errors, the codes and exit codes, the summary's type.
export { MemrayError, ERROR_CODES, ExitCode, type ErrorCode, type Summary, type CompareReport } from "@alpiq/memray-core";
export { main, buildProgram } from "./main.js";
export { createDefaultDeps, type CliDeps } from "./deps.js";
export { processIo, type CliIo } from "./cli-io.js";
export { PROFILE_FLAGS, flagLabel, type FlagSpec, type RawProfileFlags } from "./profile-flags.js";
export { parseProfileOptions, type CliProfileOptions, type CliFieldsInput } from "./profile-options.js";
export { createTargetRegistry, type TargetClients } from "./target-registry.js";
export { profileCommand, type ProfileCommandDeps } from "./profile-command.js";
export { RECIPES, translateRecipe, parseRecipeVars } from "./recipes.js";
export { listRuns, type RunEntry } from "./runs-command.js";
export { runsListCommand, runsShowCommand, runsOpenCommand, resolveRunDir } from "./runs-command.js";
export { toRunRow, leakVerdict, RUN_COLUMNS } from "./run-rows.js";
export { menuCommand, equivalentCommand, type MenuDeps, type MenuPrompts, type MenuOptions } from "./menu-command.js";
export { startViewServer, VIEW_HOST, DEFAULT_VIEW_PORT, type ViewServer, type ViewServerOptions } from "./view-server.js";
export { renderRequestChart, requestSeries, type ChartSeries } from "./request-chart.js";
export { COMMAND_CATALOG } from "./command-catalog.js";
