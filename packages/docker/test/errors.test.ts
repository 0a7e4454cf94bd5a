import { describe, expect, it } from "vitest";
import {
  AppNotFoundError,
  ContainerNotFoundError,
  ContainerNotRunningError,
  DockerExecError,
  EngineUnavailableError,
  PortForwardError,
  PortNotDetectableError,
  type ContainerSummaryLine,
} from "../src/errors.js";

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
  it("usage errors suggest the flag", () => {
    expect(new PortNotDetectableError("api", [1, 2])).toMatchObject({ exitCode: 2, code: "PORT_NOT_DETECTABLE" });
    expect(new PortNotDetectableError("api", [1, 2]).message).toContain("--port");
    expect(new AppNotFoundError("api", ["sleep"]).message).toContain("--app module:attr");
    expect(new AppNotFoundError("api", ["sleep"]).exitCode).toBe(2);
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

describe("structured fields", () => {
  it("keep the command, its exit code, the stderr tail and the cause", () => {
    const cause = new Error("connection reset\nmore");
    const error = new DockerExecError("api", ["mktemp", "-d"], { cause, commandExitCode: 1, stderrTail: "mktemp: read-only /tmp" });
    expect(error).toMatchObject({ code: "DOCKER_EXEC_FAILED", exitCode: 3, container: "api", command: ["mktemp", "-d"], commandExitCode: 1 });
    expect(error.cause).toBe(cause);
    expect(error.reason).toBe('Could not run ["mktemp","-d"] in container "api": connection reset\n    mktemp: read-only /tmp');
  });
  it("shorten inline scripts in commands", () => {
    const error = new DockerExecError("api", ["python3", "-c", "x = 1\n".repeat(50)]);
    expect(error.message.length).toBeLessThan(300);
  });
  it("tell a listen failure from a connection that could not be forwarded", () => {
    const listen = new PortForwardError("listen", 5000, 5000, "api", { cause: new Error("EADDRINUSE") });
    expect(listen).toMatchObject({ code: "PORT_FORWARD_FAILED", stage: "listen", exitCode: 3 });
    expect(listen.message).toContain("Cannot listen on 127.0.0.1:5000 to forward port 5000");
    expect(listen.hint).toContain("free the port");
    const connect = new PortForwardError("connect", 41000, 1, "api", { detail: "cannot connect to port 1" });
    expect(connect.message).toContain("could not be forwarded to port 1");
    expect(connect.hint).toContain("listens on port 1");
  });
});
