import { describe, expect, it } from "vitest";
import { describeTargetChoice, parseProfileOptions } from "../src/profile-options.js";

const message = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    expect((error as { exitCode: number }).exitCode).toBe(2);
    return (error as Error).message;
  }
  throw new Error("accepted");
};

describe("Kubernetes targets at the edge", () => {
  it("pod/NAME, deploy/NAME and -l become a kubernetes target with --namespace, --container, --context", () => {
    expect(parseProfileOptions({ mode: "sequence", target: "deploy/forecast" }).target).toEqual({
      kind: "kubernetes",
      ref: { kind: "deployment", name: "forecast" },
      namespace: undefined,
      container: undefined,
      context: undefined,
    });
    const pod = parseProfileOptions({ mode: "leaks", target: "pod/forecast-5d5c964fb4-xnnct", namespace: "shop", container: "forecast", context: "prod" }).target;
    expect(pod).toEqual({ kind: "kubernetes", ref: { kind: "pod", name: "forecast-5d5c964fb4-xnnct" }, namespace: "shop", container: "forecast", context: "prod" });
    expect(describeTargetChoice(pod)).toBe("pod/forecast-5d5c964fb4-xnnct in namespace shop (context prod)");
    const selected = parseProfileOptions({ mode: "endpoint", selector: "app=forecast" }).target;
    expect(selected).toMatchObject({ kind: "kubernetes", ref: { kind: "selector", selector: "app=forecast" } });
    expect(describeTargetChoice(selected)).toBe("-l app=forecast");
    // A pod may still tell the app, as a container does: not required at the edge.
    expect(parseProfileOptions({ mode: "endpoint", target: "deploy/forecast" }).options.app).toBeUndefined();
  });

  it("containers and Compose project/service stay docker targets", () => {
    expect(parseProfileOptions({ mode: "leaks", target: "local-forecast-1" }).target).toEqual({ kind: "docker", container: "local-forecast-1" });
    expect(parseProfileOptions({ mode: "leaks", target: "local/forecast" }).target).toEqual({ kind: "docker", container: "local/forecast" });
  });

  it("bad combinations and names are bad usage (exit 2) naming the flags", () => {
    expect(message(() => parseProfileOptions({ mode: "leaks", target: "local-forecast-1", namespace: "default" }))).toMatch(/--namespace applies to Kubernetes targets only: add --target pod\/NAME, --target deploy\/NAME or --selector SELECTOR/);
    expect(message(() => parseProfileOptions({ mode: "leaks", container: "web" }))).toMatch(/--container applies to Kubernetes targets only/);
    expect(message(() => parseProfileOptions({ mode: "leaks", target: "deploy/forecast", selector: "app=forecast" }))).toMatch(/--target and --selector exclude each other/);
    expect(message(() => parseProfileOptions({ mode: "leaks", local: true, selector: "app=forecast" }))).toMatch(/--local and --selector exclude each other/);
    expect(message(() => parseProfileOptions({ mode: "leaks", target: "pod/Forecast_1" }))).toMatch(/--target expects pod\/NAME with a Kubernetes name/);
    expect(message(() => parseProfileOptions({ mode: "leaks", target: "deploy/forecast", namespace: "Bad_NS" }))).toMatch(/--namespace expects a Kubernetes namespace name/);
  });
});
