import { expect } from "vitest";
import { createTargetRegistry } from "../../src/target-registry.js";

/** The CLI's registry of targets for tests that only recognise targets: no client is ever made. */
export const offlineTargets = createTargetRegistry({
  docker: () => Promise.reject(new Error("no engine in these tests")),
  kube: () => Promise.reject(new Error("no cluster in these tests")),
});

/** The message of the bad-usage error (exit code 2) that `fn` throws; fails when it throws none. */
export function usageMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect((error as { exitCode: number }).exitCode).toBe(2);
    return (error as Error).message;
  }
  throw new Error("accepted");
}
