import { describe, expect, it } from "vitest";
import { AppNotFoundError, PortForwardError, PortNotDetectableError, TargetCopyError, TargetExecError, type TargetPlace } from "../src/index.js";

const container: TargetPlace = { kind: "container", name: "api", execPrefix: ["docker", "exec", "api"], checkCommand: "docker ps --filter name=api" };
const pod: TargetPlace = {
  kind: "pod",
  name: "shop/forecast-5d5c9-xnnct",
  execPrefix: ["kubectl", "exec", "-n", "shop", "forecast-5d5c9-xnnct", "--"],
  checkCommand: "kubectl get pod -n shop forecast-5d5c9-xnnct",
};
const host: TargetPlace = { kind: "host", name: "this host", execPrefix: [] };

describe("target errors say where", () => {
  it("keep the command, its exit code, the stderr tail and the cause", () => {
    const cause = new Error("connection reset\nmore");
    const error = new TargetExecError(container, ["mktemp", "-d"], { cause, commandExitCode: 1, stderrTail: "mktemp: read-only /tmp" });
    expect(error).toMatchObject({ code: "TARGET_EXEC_FAILED", exitCode: 3, place: container, command: ["mktemp", "-d"], commandExitCode: 1 });
    expect(error.cause).toBe(cause);
    expect(error.reason).toBe('Could not run ["mktemp","-d"] in container "api": connection reset\n    mktemp: read-only /tmp');
    expect(error.hint).toBe("check the container is still running (docker ps --filter name=api)");
    const inPod = new TargetExecError(pod, ["tar", "-x"], { detail: "the pod went away" });
    expect(inPod.reason).toBe('Could not run ["tar","-x"] in pod shop/forecast-5d5c9-xnnct: the pod went away');
    expect(inPod.hint).toContain("kubectl get pod -n shop forecast-5d5c9-xnnct");
    expect(new TargetExecError(host, ["mktemp"]).reason).toBe('Could not run ["mktemp"] in this host');
  });

  it("shorten inline scripts in commands", () => {
    const error = new TargetExecError(container, ["python3", "-c", "x = 1\n".repeat(50)]);
    expect(error.message.length).toBeLessThan(300);
  });

  it("copy errors name both ends and the direction's code", () => {
    const copyIn = new TargetCopyError("in", pod, "/host/dir", "/tmp/x", { detail: "tar exited 2" });
    expect(copyIn).toMatchObject({ code: "COPY_IN_FAILED", exitCode: 3 });
    expect(copyIn.reason).toBe("Could not copy /host/dir into shop/forecast-5d5c9-xnnct:/tmp/x: tar exited 2");
    const copyOut = new TargetCopyError("out", container, "/tmp/run", "runs/x", { cause: new Error("ENOSPC") });
    expect(copyOut).toMatchObject({ code: "COPY_OUT_FAILED" });
    expect(copyOut.reason).toBe("Could not copy api:/tmp/run to runs/x: ENOSPC");
  });

  it("tell a listen failure from a connection that could not be forwarded", () => {
    const listen = new PortForwardError("listen", 5000, 5000, container, { cause: new Error("EADDRINUSE") });
    expect(listen).toMatchObject({ code: "PORT_FORWARD_FAILED", stage: "listen", exitCode: 3 });
    expect(listen.message).toContain('Cannot listen on 127.0.0.1:5000 to forward port 5000 of container "api"');
    expect(listen.hint).toContain("free the port");
    const connect = new PortForwardError("connect", 41000, 1, pod, { detail: "cannot connect to port 1" });
    expect(connect.message).toContain("could not be forwarded to port 1 in pod shop/forecast-5d5c9-xnnct");
    expect(connect.hint).toContain("listens on port 1 in the pod");
  });

  it("detection errors suggest the flag", () => {
    expect(new PortNotDetectableError("api", [1, 2])).toMatchObject({ exitCode: 2, code: "PORT_NOT_DETECTABLE" });
    expect(new PortNotDetectableError("api", [1, 2]).message).toContain("--port");
    expect(new AppNotFoundError("api", ["sleep"]).message).toContain("--app module:attr");
    expect(new AppNotFoundError("api", ["sleep"]).exitCode).toBe(2);
  });
});
