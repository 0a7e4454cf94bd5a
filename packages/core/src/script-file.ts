import { stat } from "node:fs/promises";
import path from "node:path";
import { ScriptNotFoundError } from "./errors.js";
import { fileKind } from "./run-file.js";

/**
 * The host path of a workload's script (`script` relative to `cwd`), checked before anything runs:
 * missing, a directory, or not a regular file (a FIFO would block whoever reads it, a socket or device
 * cannot be run) is a ScriptNotFoundError (SCRIPT_NOT_FOUND, exit 2) that says which.
 */
export async function checkScriptFile(script: string, cwd: string): Promise<string> {
  const hostPath = path.resolve(cwd, script);
  const info = await stat(hostPath).catch(() => undefined);
  if (!info) throw new ScriptNotFoundError(script, "missing");
  if (info.isDirectory()) throw new ScriptNotFoundError(script, "directory");
  if (!info.isFile()) throw new ScriptNotFoundError(script, "not-regular", fileKind(info));
  return hostPath;
}
