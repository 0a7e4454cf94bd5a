import { describe, expect, it } from "vitest";
import { createDockerClient, describeDockerEndpoint, dockerOptionsFromEnv } from "../src/docker-client.js";
import { EngineUnavailableError } from "../src/errors.js";

describe("dockerOptionsFromEnv", () => {
  it("uses the default socket without DOCKER_HOST", () => {
    expect(dockerOptionsFromEnv({})).toMatchObject({ socketPath: "/var/run/docker.sock", host: undefined });
  });
  it("reads unix:// and tcp:// hosts", () => {
    expect(dockerOptionsFromEnv({ DOCKER_HOST: "unix:///tmp/d.sock" })).toMatchObject({ socketPath: "/tmp/d.sock" });
    expect(dockerOptionsFromEnv({ DOCKER_HOST: "tcp://127.0.0.1:2375" })).toMatchObject({ host: "127.0.0.1", port: "2375", protocol: "http" });
    expect(dockerOptionsFromEnv({ DOCKER_HOST: "tcp://127.0.0.1:2376" })).toMatchObject({ protocol: "https" });
    expect(dockerOptionsFromEnv({ DOCKER_HOST: "ssh://me@box" })).toMatchObject({ protocol: "ssh", host: "box", username: "me" });
  });
  it("builds clients that connect where DOCKER_HOST says, whatever process.env says", () => {
    expect(describeDockerEndpoint(createDockerClient({ DOCKER_HOST: "unix:///tmp/x.sock" }))).toBe("unix:///tmp/x.sock");
    expect(describeDockerEndpoint(createDockerClient({ DOCKER_HOST: "tcp://127.0.0.1:2999" }))).toBe("tcp://127.0.0.1:2999");
    expect(describeDockerEndpoint(createDockerClient({}))).toBe("unix:///var/run/docker.sock");
  });
});

describe("an unusable DOCKER_HOST", () => {
  it.each(["garbage://x", "http://127.0.0.1:2375", "tcp://", "tcp://[::1"])("%s is an EngineUnavailableError naming DOCKER_HOST and the schemes", (value) => {
    const error = (() => {
      try {
        dockerOptionsFromEnv({ DOCKER_HOST: value });
      } catch (e) {
        return e;
      }
    })() as EngineUnavailableError;
    expect(error).toBeInstanceOf(EngineUnavailableError);
    expect(error).toMatchObject({ code: "DOCKER_ENGINE_UNAVAILABLE", exitCode: 3, endpoint: value });
    expect(error.message).toContain(`DOCKER_HOST=${value}`);
    for (const scheme of ["unix://", "tcp://", "ssh://", "npipe://"]) expect(error.message).toContain(scheme);
    expect(() => createDockerClient({ DOCKER_HOST: value })).toThrow(EngineUnavailableError);
  });
  it("a bare HOST:PORT is tcp, as for the Docker CLI", () => {
    expect(dockerOptionsFromEnv({ DOCKER_HOST: "127.0.0.1:2375" })).toMatchObject({ host: "127.0.0.1", port: "2375", protocol: "http" });
  });
  it("unreadable TLS files name DOCKER_CERT_PATH", () => {
    expect(() => dockerOptionsFromEnv({ DOCKER_HOST: "tcp://h:2376", DOCKER_CERT_PATH: "/no/such/certs" })).toThrow(/DOCKER_CERT_PATH=\/no\/such\/certs/);
  });
});
