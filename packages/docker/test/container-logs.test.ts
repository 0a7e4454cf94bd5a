import { describe, expect, it } from "vitest";
import { toDockerTimestamp } from "../src/container-logs.js";

describe("the logs window", () => {
  it("sends seconds.nanoseconds, as the Docker CLI does", () => {
    expect(toDockerTimestamp(new Date(1773583200500))).toBe("1773583200.500000000");
    expect(toDockerTimestamp(new Date(1773583200000))).toBe("1773583200.000000000");
  });
});
