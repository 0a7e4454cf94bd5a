import { describe, expect, it } from "vitest";
import { describePodRef, isPodTarget, parsePodTarget } from "../src/pod-ref.js";

describe("parsePodTarget: --target as kubectl writes it", () => {
  it.each([
    ["pod/forecast-5d5c964fb4-xnnct", { kind: "pod", name: "forecast-5d5c964fb4-xnnct" }],
    ["pods/web", { kind: "pod", name: "web" }],
    ["po/web", { kind: "pod", name: "web" }],
    ["deploy/forecast", { kind: "deployment", name: "forecast" }],
    ["deployment/forecast", { kind: "deployment", name: "forecast" }],
    ["deployments.apps/forecast", { kind: "deployment", name: "forecast" }],
    ["Deploy/forecast", { kind: "deployment", name: "forecast" }],
  ])("%s", (value, expected) => {
    expect(parsePodTarget(value)).toEqual(expected);
    expect(isPodTarget(value)).toBe(true);
  });

  it("container names and Compose project/service are not pods", () => {
    for (const value of ["local-forecast-1", "local/forecast", "4246243fc342", "/pod", "svc/forecast"]) {
      expect(parsePodTarget(value)).toBeNull();
      expect(isPodTarget(value)).toBe(false);
    }
  });

  it("a pod kind with a name Kubernetes would refuse is a RangeError naming it", () => {
    expect(() => parsePodTarget("pod/Forecast_1")).toThrow(/expects pod\/NAME .* "pod\/Forecast_1"/);
    expect(() => parsePodTarget("deploy/")).toThrow(RangeError);
  });

  it("describePodRef names a reference as the flags do", () => {
    expect(describePodRef({ kind: "pod", name: "a" })).toBe("pod/a");
    expect(describePodRef({ kind: "deployment", name: "a" })).toBe("deploy/a");
    expect(describePodRef({ kind: "selector", selector: "app=a" })).toBe("-l app=a");
  });
});
