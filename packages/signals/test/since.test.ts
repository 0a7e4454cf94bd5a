import { describe, expect, it } from "vitest";
import { parseDurationMs, parseSince } from "../src/since.js";

const now = new Date("2026-03-15T14:30:22.000Z");

describe("--logs-since", () => {
  it("Go durations count back from now", () => {
    expect(parseSince("5m", now).toISOString()).toBe("2026-03-15T14:25:22.000Z");
    expect(parseSince("1h30m", now).toISOString()).toBe("2026-03-15T13:00:22.000Z");
    expect(parseSince("1.5h", now).toISOString()).toBe("2026-03-15T13:00:22.000Z");
    expect(parseSince("90s", now).toISOString()).toBe("2026-03-15T14:28:52.000Z");
    expect(parseDurationMs("250ms")).toBe(250);
    expect(parseDurationMs("5 m")).toBeNull();
  });

  it("ISO 8601 times and Unix seconds are absolute", () => {
    expect(parseSince("2026-03-15T14:00:00Z", now).toISOString()).toBe("2026-03-15T14:00:00.000Z");
    expect(parseSince("1773583200", now).toISOString()).toBe("2026-03-15T14:00:00.000Z");
    expect(parseSince("1773583200.5", now).toISOString()).toBe("2026-03-15T14:00:00.500Z");
  });

  it("refuses what docker logs --since would not take, and the future", () => {
    for (const bad of ["", "5", "five minutes", "-5m", "5d", "2026-13-45T99:00:00Z"]) {
      expect(() => parseSince(bad, now), bad).toThrow(RangeError);
    }
    expect(() => parseSince("2026-03-16T00:00:00Z", now)).toThrow(/in the future/);
  });
});
