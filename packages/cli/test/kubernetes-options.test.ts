import { describe, expect, it } from "vitest";
import { parseProfileOptions } from "../src/profile-options.js";
import { offlineTargets as targets, usageMessage as message } from "./helpers/edge.js";

describe("Kubernetes targets at the edge", () => {
  it("pod/NAME, deploy/NAME and -l become a kubernetes target with --namespace, --container, --context", () => {
    expect(parseProfileOptions(targets, { mode: "sequence", target: "deploy/forecast" }).target).toEqual({
      kind: "kubernetes",
      label: "deploy/forecast",
      params: { ref: { kind: "deployment", name: "forecast" }, namespace: undefined, container: undefined, context: undefined },
    });
    const pod = parseProfileOptions(targets, {
      mode: "leaks",
      target: "pod/forecast-5d5c964fb4-xnnct",
      namespace: "shop",
      container: "forecast",
      context: "prod",
    }).target;
    expect(pod.params).toEqual({ ref: { kind: "pod", name: "forecast-5d5c964fb4-xnnct" }, namespace: "shop", container: "forecast", context: "prod" });
    expect(pod.label).toBe("pod/forecast-5d5c964fb4-xnnct in namespace shop (context prod)");
    const selected = parseProfileOptions(targets, { mode: "endpoint", selector: "app=forecast" }).target;
    expect(selected).toMatchObject({ kind: "kubernetes", params: { ref: { kind: "selector", selector: "app=forecast" } } });
    expect(selected.label).toBe("-l app=forecast");
    // A pod may still tell the app, as a container does: not required at the edge.
    expect(parseProfileOptions(targets, { mode: "endpoint", target: "deploy/forecast" }).options.app).toBeUndefined();
  });

  it("containers and Compose project/service stay docker targets", () => {
    expect(parseProfileOptions(targets, { mode: "leaks", target: "local-forecast-1" }).target).toEqual({
      kind: "docker",
      label: "container local-forecast-1",
      params: { container: "local-forecast-1" },
    });
    expect(parseProfileOptions(targets, { mode: "leaks", target: "local/forecast" }).target).toEqual({
      kind: "docker",
      label: "container local/forecast",
      params: { container: "local/forecast" },
    });
  });

  it("a --target no provider recognises is bad usage naming every syntax", () => {
    expect(message(() => parseProfileOptions(targets, { mode: "leaks", target: "podman:web" }))).toMatch(
      /--target "podman:web" names no target memray-cli knows: use --local; --target pod\/NAME, --target deploy\/NAME or --selector SELECTOR; --target NAME, ID or PROJECT\/SERVICE/,
    );
  });

  it("bad combinations and names are bad usage (exit 2) naming the flags", () => {
    expect(message(() => parseProfileOptions(targets, { mode: "leaks", target: "local-forecast-1", namespace: "default" }))).toMatch(
      /--namespace applies to Kubernetes targets only: add --target pod\/NAME, --target deploy\/NAME or --selector SELECTOR/,
    );
    expect(message(() => parseProfileOptions(targets, { mode: "leaks", container: "web" }))).toMatch(/--container applies to Kubernetes targets only/);
    expect(message(() => parseProfileOptions(targets, { mode: "leaks", target: "deploy/forecast", selector: "app=forecast" }))).toMatch(
      /--target and --selector exclude each other/,
    );
    expect(message(() => parseProfileOptions(targets, { mode: "leaks", local: true, selector: "app=forecast" }))).toMatch(
      /--local and --selector exclude each other/,
    );
    expect(message(() => parseProfileOptions(targets, { mode: "leaks", target: "pod/Forecast_1" }))).toMatch(
      /--target expects pod\/NAME with a Kubernetes name/,
    );
    expect(message(() => parseProfileOptions(targets, { mode: "leaks", target: "deploy/forecast", namespace: "Bad_NS" }))).toMatch(
      /--namespace expects a Kubernetes namespace name/,
    );
  });
});
