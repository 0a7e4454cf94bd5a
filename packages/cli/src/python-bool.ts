import { parseOptions, pythonBoolSchema } from "@alpiq/memray-core";

/** The seed's True/False (other spellings normalised) for a CLI option, named in the error. */
export function parsePythonBool(option: string, value: string): boolean {
  return parseOptions(pythonBoolSchema, value, () => option);
}
