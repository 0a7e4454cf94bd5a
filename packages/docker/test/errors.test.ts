import { describe, expect, it } from "vitest";
import { ContainerNotFoundError, ContainerNotRunningError, EngineUnavailableError, type ContainerSummaryLine } from "../src/errors.js";

const running: ContainerSummaryLine[] = [
  { name: "forecast", id: "aaaa1111", image: "img", state: "running" },
  { name: "abcd", id: "bbbb2222", image: "img", state: "running" },
  { name: "stack-forecast-1", id: "cccc3333", image: "img", state: "running", project: "stack", service: "forecast" },
];

describe("error messages", () => {
  it("list the running containers and say what to do", () => {
    const notFound = new ContainerNotFoundError("nope", running);
    expect(notFound.exitCode).toBe(3);
    expect(notFound.code).toBe("CONTAINER_NOT_FOUND");
    expect(notFound.message).toContain("stack-forecast-1");
    expect(notFound.message).toContain("compose service stack/forecast");
    const stopped = new ContainerNotRunningError("stack-opt-1", "exited", running);
    expect(stopped.message).toMatch(/exited, not running/);
    expect(stopped.message).toContain("abcd");
    expect(new ContainerNotFoundError("x", []).message).toContain("no containers are running");
  });
  it("engine errors say how to start an engine", () => {
    const error = new EngineUnavailableError("unix:///var/run/docker.sock", new Error("connect ENOENT"));
    expect(error.exitCode).toBe(3);
    expect(error.message).toContain("bash tools/docker-engine.sh");
    expect(error.message).toContain("sudo dockerd");
    expect(error.message).toContain("DOCKER_HOST");
  });
});

describe("container state hints", () => {
  it("say docker unpause for a paused container, docker start otherwise", () => {
    const paused = new ContainerNotRunningError("api", "paused", running);
    expect(paused.hint).toBe("unpause it (docker unpause api) or pick a running container with --target");
    expect(paused.message).not.toContain("docker start");
    expect(paused.reason).toMatch(/^Container "api" is paused, not running/);
    expect(new ContainerNotRunningError("api", "exited", running).hint).toContain("docker start api");
    expect(new ContainerNotRunningError("api", "restarting", running).hint).toContain("docker logs api");
  });
});
