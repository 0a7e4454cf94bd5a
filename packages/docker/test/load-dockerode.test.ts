import { Agent } from "node:http";
import { createRequire } from "node:module";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadDockerode } from "../src/load-dockerode.js";

const require = createRequire(import.meta.url);
const loaded = (name: string) => Object.keys(require.cache).some((file) => file.includes(`${path.sep}node_modules${path.sep}${name}${path.sep}`));

describe("loadDockerode", () => {
  it("loads dockerode without grpc-js, protobufjs and ssh2, and loads each at its first use", () => {
    expect(loaded("dockerode")).toBe(false); // a fresh process per test file: nothing loaded before
    const Docker = loadDockerode();
    const docker = new Docker({ socketPath: "/nonexistent.sock" });
    expect(typeof docker.getContainer).toBe("function");
    expect(loaded("dockerode")).toBe(true);
    expect(loaded("@grpc/grpc-js")).toBe(false);
    expect(loaded("protobufjs")).toBe(false);
    expect(loaded("ssh2")).toBe(false);

    // docker-modem's ssh transport: the deferred module loads ssh2 and answers as the real one (an agent).
    const main = require.resolve("dockerode");
    const ssh = createRequire(createRequire(main).resolve("docker-modem"))("./ssh.js") as (options: object) => unknown;
    expect(ssh({ host: "example.invalid", port: 22 })).toBeInstanceOf(Agent);
    expect(loaded("ssh2")).toBe(true);
    // dockerode's BuildKit session: the same function, its dependencies loaded when called.
    const withSession = createRequire(main)("./session.js") as (...args: unknown[]) => unknown;
    expect(withSession.name).toBe("deferred");
    expect(loaded("@grpc/grpc-js")).toBe(false);
    try {
      withSession(docker, undefined, () => undefined);
    } catch {
      // it may fail to reach the engine: what matters is that the real module was loaded to try
    }
    expect(loaded("@grpc/grpc-js")).toBe(true);
  });
});
