import { describe, expect, it } from "vitest";
import { CollectorTimeoutError } from "../src/errors.js";
import { withTimeout } from "../src/with-timeout.js";

describe("withTimeout", () => {
  it("an abort-aware collector reports its partial result at the deadline", async () => {
    const started = Date.now();
    const result = await withTimeout(
      "container_logs",
      0.2,
      (signal) => new Promise<string>((resolve) => signal.addEventListener("abort", () => resolve(`partial: ${(signal.reason as Error).message}`))),
    );
    expect(result).toBe("partial: timed out after 0.2 s (raise --signals-timeout)");
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it("a collector that ignores the signal is abandoned with CollectorTimeoutError", async () => {
    const started = Date.now();
    await expect(withTimeout("wiremock", 0.1, () => new Promise(() => undefined))).rejects.toBeInstanceOf(CollectorTimeoutError);
    expect(Date.now() - started).toBeLessThan(4000);
  });

  it("a fast collector is untouched", async () => {
    await expect(withTimeout("container_stats", 5, async (signal) => (signal.aborted ? "aborted" : "done"))).resolves.toBe("done");
  });
});
