import { describe, expect, it } from "vitest";
import { createDockerClient, describeDockerEndpoint, dockerOptionsFromEnv } from "../src/docker-client.js";

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
