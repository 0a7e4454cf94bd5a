// The public API of @alpiq/memray-cli: the program (for embedding and in-process tests) and its pieces.
export { main, buildProgram } from "./main.js";
export { createDefaultDeps, type CliDeps } from "./deps.js";
export { processIo, type CliIo } from "./cli-io.js";
export { PROFILE_FLAGS, flagLabel, type FlagSpec, type RawProfileFlags } from "./profile-flags.js";
export { parseProfileOptions, type CliProfileOptions, type TargetChoice } from "./profile-options.js";
export { profileCommand, type ProfileCommandDeps } from "./profile-command.js";
export { RECIPES, translateRecipe, parseRecipeVars } from "./recipes.js";
export { listRuns, type RunEntry } from "./runs-command.js";
export { localTargetProvider, type TargetProvider, type ResolvedTarget, type TargetNeeds, type PortForward } from "./target-provider.js";
