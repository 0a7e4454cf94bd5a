import { InvalidOptionError } from "@alpiq/memray-core";

/**
 * The seed's `trace_allocators` takes Python capitalisation (`True`/`False`); like the seed's recipe
 * we normalise the common spellings and reject anything else, naming the option.
 */
export function parsePythonBool(option: string, value: string): boolean {
  const normalised = value.trim().toLowerCase();
  if (["true", "1", "yes"].includes(normalised)) return true;
  if (["false", "0", "no"].includes(normalised)) return false;
  throw new InvalidOptionError(`${option} expects True or False, received "${value}"`);
}
