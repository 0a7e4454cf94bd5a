/**
 * Suites that need something outside the test process (a Docker engine, the fixture stack, the local
 * cluster) are skipped locally when it is missing, with a warning that says why and what starts it
 * (`fix`); in CI, where they must run, the same finding is an error. Returns false: the suite does not run.
 */
export function skipOrFail(tests: string, reason: string, fix: string): false {
  if (process.env.CI) throw new Error(`${tests} cannot run: ${reason} (${fix})`);
  console.warn(`skipping ${tests}: ${reason} (${fix})`);
  return false;
}
