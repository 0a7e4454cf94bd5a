import type { V1Pod } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { exitOf } from "../src/pod-exec.js";
import { podLogSources } from "../src/pod-logs.js";
import { parseCpuMillicores, parseQuantity, usageOf } from "../src/pod-metrics.js";
import { findPodWireMock, measurablePods } from "../src/pod-signals-source.js";
import { isReady, labelSelectorString, ownerOf, podSummary } from "../src/resolve-pod.js";

/** A pod object as the API returns it (data, not a fake client). */
function pod(
  name: string,
  options: {
    owner?: string;
    hash?: string;
    ready?: boolean;
    phase?: string;
    deleting?: boolean;
    containers?: string[];
    defaultContainer?: string;
    waiting?: string;
    image?: string;
    ports?: number[];
  } = {},
): V1Pod {
  const containers = options.containers ?? ["main"];
  return {
    metadata: {
      name,
      uid: `uid-${name}`,
      labels: options.hash ? { "pod-template-hash": options.hash } : {},
      annotations: options.defaultContainer ? { "kubectl.kubernetes.io/default-container": options.defaultContainer } : {},
      ownerReferences: options.owner
        ? [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: `${options.owner}-${options.hash}`, uid: "rs", controller: true }]
        : [],
      ...(options.deleting ? { deletionTimestamp: new Date("2026-01-01T00:00:00Z") } : {}),
      creationTimestamp: new Date("2026-01-01T00:00:00Z"),
    },
    spec: {
      containers: containers.map((c) => ({
        name: c,
        image: options.image ?? `img/${c}`,
        ports: (options.ports ?? []).map((p) => ({ containerPort: p, protocol: "TCP" })),
      })),
    },
    status: {
      phase: options.phase ?? "Running",
      conditions: [{ type: "Ready", status: options.ready === false ? "False" : "True", ...(options.ready === false ? { reason: "ContainersNotReady" } : {}) }],
      containerStatuses: containers.map((c) => ({
        name: c,
        image: "",
        imageID: "",
        ready: options.ready !== false,
        restartCount: 0,
        state: options.waiting ? { waiting: { reason: options.waiting } } : { running: { startedAt: new Date() } },
      })),
    },
  };
}

describe("pod shapes", () => {
  it("a Deployment's pod is named after the Deployment (ReplicaSet minus the pod-template-hash)", () => {
    expect(ownerOf(pod("forecast-5d5c964fb4-x", { owner: "forecast", hash: "5d5c964fb4" }))).toEqual({ kind: "Deployment", name: "forecast" });
    expect(ownerOf(pod("bare"))).toBeNull();
  });

  it("Ready means Running, the Ready condition and not being deleted; the summary says why not", () => {
    expect(isReady(pod("a"))).toBe(true);
    expect(isReady(pod("a", { deleting: true }))).toBe(false);
    expect(isReady(pod("a", { phase: "Pending" }))).toBe(false);
    expect(podSummary(pod("a", { ready: false, waiting: "CrashLoopBackOff" }))).toEqual({
      name: "a",
      phase: "Running",
      ready: false,
      reason: "CrashLoopBackOff",
    });
    expect(podSummary(pod("a", { deleting: true })).reason).toBe("Terminating");
    expect(podSummary(pod("a", { ready: false })).reason).toBe("ContainersNotReady");
  });

  it("usage is measured for running pods that are not being deleted (a terminating pod leaves the metrics API mid-run)", () => {
    const pods = [pod("up"), pod("starting", { phase: "Pending" }), pod("leaving", { deleting: true }), pod("done", { phase: "Succeeded" })];
    expect(measurablePods(pods).map((p) => p.metadata?.name)).toEqual(["up"]);
  });

  it("label selectors: matchLabels and matchExpressions as the query string", () => {
    expect(
      labelSelectorString({
        matchLabels: { app: "forecast", tier: "web" },
        matchExpressions: [
          { key: "env", operator: "In", values: ["a", "b"] },
          { key: "x", operator: "NotIn", values: ["c"] },
          { key: "y", operator: "Exists" },
          { key: "z", operator: "DoesNotExist" },
        ],
      }),
    ).toBe("app=forecast,tier=web,env in (a,b),x notin (c),y,!z");
  });

  it("log files: logs-<namespace>-<deployment>.txt, -2 for a second replica, -<container> for side containers", () => {
    const sources = podLogSources("default", [
      pod("forecast-h-b", { owner: "forecast", hash: "h", containers: ["forecast", "wiremock"], defaultContainer: "forecast" }),
      pod("forecast-h-a", { owner: "forecast", hash: "h", containers: ["forecast", "wiremock"], defaultContainer: "forecast" }),
      pod("debug-shell"),
      pod("never-started", { waiting: "ErrImageNeverPull" }),
    ]);
    expect(sources.map((s) => [s.pod, s.container, s.file])).toEqual([
      ["debug-shell", "main", "logs-default-debug-shell.txt"],
      ["forecast-h-a", "forecast", "logs-default-forecast.txt"],
      ["forecast-h-a", "wiremock", "logs-default-forecast-wiremock.txt"],
      ["forecast-h-b", "forecast", "logs-default-forecast-2.txt"],
      ["forecast-h-b", "wiremock", "logs-default-forecast-2-wiremock.txt"],
    ]);
  });

  it("WireMock is the container named so (or running its image), on its declared port", () => {
    expect(findPodWireMock([pod("a"), pod("b", { containers: ["app", "wiremock"], ports: [8080] })])).toEqual({ pod: "b", container: "wiremock", port: 8080 });
    expect(findPodWireMock([pod("c", { image: "wiremock/wiremock:3", ports: [9999] })])).toEqual({ pod: "c", container: "main", port: 9999 });
    expect(findPodWireMock([pod("a")])).toBeNull();
  });

  it("exec status: Success is 0, NonZeroExitCode its code, a missing program 127", () => {
    expect(exitOf('{"metadata":{},"status":"Success"}')).toEqual({ exitCode: 0 });
    expect(exitOf('{"status":"Failure","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"3"}]}}')).toEqual({ exitCode: 3 });
    const missing = exitOf(
      '{"status":"Failure","message":"OCI runtime exec failed: exec: \\"nope\\": executable file not found in $PATH: unknown","reason":"InternalError"}',
    );
    expect(missing.exitCode).toBe(127);
    expect(missing.notFoundMessage).toMatch(/executable file not found/);
    expect(() => exitOf('{"status":"Failure","message":"container not running","reason":"InternalError"}')).toThrow(/container not running/);
  });

  it("quantities as kubectl top reads them", () => {
    expect(parseQuantity("12345Ki")).toBe(12345 * 1024);
    expect(parseQuantity("1.5Gi")).toBe(1.5 * 2 ** 30);
    expect(parseQuantity("128974848")).toBe(128974848);
    expect(parseQuantity("129M")).toBe(129e6);
    expect(parseQuantity("bad")).toBeNull();
    expect(parseCpuMillicores("250m")).toBe(250);
    expect(parseCpuMillicores("1234567n")).toBeCloseTo(1.235, 3);
    expect(parseCpuMillicores("2")).toBe(2000);
    const withLimit = pod("forecast-h-a", { owner: "forecast", hash: "h" });
    const usage = usageOf(
      { metadata: { name: "forecast-h-a" }, timestamp: "t", window: "30s", containers: [{ name: "main", usage: { cpu: "50m", memory: "100Mi" } }] },
      "default",
      withLimit,
      200 * 2 ** 20,
    );
    expect(usage).toMatchObject({ status: "ok", owner: "forecast", memory_usage: 100 * 2 ** 20, memory_percent: 50, cpu_millicores: 50, cpu_percent: 5 });
    // metrics-server reports nanocores per container: each part is rounded to 0.001 m, and so is their sum (556.763, not 556.7629999999999)
    const two = usageOf(
      {
        metadata: { name: "forecast-h-a" },
        containers: [
          { name: "forecast", usage: { cpu: "554915123n", memory: "105696Ki" } },
          { name: "wiremock", usage: { cpu: "1848456n", memory: "71748Ki" } },
        ],
      },
      "default",
      undefined,
      null,
    );
    expect(two).toMatchObject({ memory_usage: (105696 + 71748) * 1024, cpu_millicores: 556.763, cpu_percent: 55.68, memory_percent: null, owner: null });
  });
});
