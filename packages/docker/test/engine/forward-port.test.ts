import { createHash } from "node:crypto";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createDockerClient } from "../../src/docker-client.js";
import { DockerTarget } from "../../src/docker-target.js";
import type { ForwardPortOptions, PortForward } from "@alpiq/memray-core";
import { TestContainers } from "./fixture.js";

const image = inject("fixtureImage");
const CONTAINER_PORT = 8123;
const forwardPort = ({ target, containerPort, ...options }: ForwardPortOptions & { target: DockerTarget; containerPort: number }) =>
  target.forwardPort(containerPort, options);

describe.skipIf(!image)("DockerTarget.forwardPort to a server in a container", () => {
  const docker = createDockerClient();
  const containers = new TestContainers(docker, "forward");
  let target: DockerTarget;
  let forward: PortForward | undefined;
  let expectedSha: string;

  beforeAll(async () => {
    // The server listens on the container's loopback only: reachable solely through the relay.
    const { name } = await containers.run("web", image!, {
      Cmd: ["python3", "-m", "http.server", String(CONTAINER_PORT), "--bind", "127.0.0.1", "--directory", "/srv/www"],
    });
    target = await DockerTarget.connect({ docker, container: name });
    await target.exec(["dd", "if=/dev/urandom", "of=/srv/www/blob.bin", "bs=1M", "count=8", "status=none"]);
    await target.exec(["sh", "-c", 'printf "hello from the container\\n" > /srv/www/hello.txt']);
    expectedSha = (await target.exec(["sha256sum", "/srv/www/blob.bin"])).stdout.split(" ")[0]!;
    for (let i = 0; i < 50; i++) {
      const probe = await target.exec(["python3", "-c", `import socket; socket.create_connection(("127.0.0.1", ${CONTAINER_PORT}), 1)`]);
      if (probe.exitCode === 0) break;
      await new Promise((r) => setTimeout(r, 200));
    }
  });

  afterAll(async () => {
    await forward?.close();
    await containers.removeAll();
  });

  it("serves HTTP on host 127.0.0.1, including concurrent and large responses", async () => {
    forward = await forwardPort({ target, containerPort: CONTAINER_PORT });
    expect(forward.hostPort).toBeGreaterThan(0);
    const base = `http://127.0.0.1:${forward.hostPort}`;
    const hello = await fetch(`${base}/hello.txt`);
    expect(hello.status).toBe(200);
    expect(await hello.text()).toBe("hello from the container\n");

    const blobs = await Promise.all(
      Array.from({ length: 4 }, async () => {
        const response = await fetch(`${base}/blob.bin`);
        return createHash("sha256")
          .update(Buffer.from(await response.arrayBuffer()))
          .digest("hex");
      }),
    );
    expect(blobs).toEqual(Array(4).fill(expectedSha));
    expect((await fetch(`${base}/missing`)).status).toBe(404);
  });

  it("listens on a requested port and stops on close()", async () => {
    const free = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, "127.0.0.1", () => {
        const port = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(port));
      });
    });
    const fixed = await forwardPort({ target, containerPort: CONTAINER_PORT, hostPort: free });
    expect(fixed.hostPort).toBe(free);
    expect((await fetch(`http://127.0.0.1:${free}/hello.txt`)).status).toBe(200);
    await expect(forwardPort({ target, containerPort: CONTAINER_PORT, hostPort: free })).rejects.toMatchObject({ code: "PORT_FORWARD_FAILED" });
    await fixed.close();
    await expect(fetch(`http://127.0.0.1:${free}/hello.txt`)).rejects.toThrow();
  });

  it("picks another host port when the requested one is taken and ifTaken is any", async () => {
    const blocker = await new Promise<net.Server>((resolve) => {
      const s = net.createServer().listen(0, "127.0.0.1", () => resolve(s));
    });
    const taken = (blocker.address() as net.AddressInfo).port;
    try {
      const other = await forwardPort({ target, containerPort: CONTAINER_PORT, hostPort: taken, ifTaken: "any" });
      expect(other.takenHostPort).toBe(taken);
      expect(other.hostPort).not.toBe(taken);
      expect((await fetch(`http://127.0.0.1:${other.hostPort}/hello.txt`)).status).toBe(200);
      await other.close();
      const free = await forwardPort({ target, containerPort: CONTAINER_PORT, ifTaken: "any" });
      expect(free.takenHostPort).toBeUndefined();
      await free.close();
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it("closes the connection and reports when nothing listens in the container", async () => {
    const errors: Error[] = [];
    const dead = await forwardPort({ target, containerPort: 1, onError: (e) => errors.push(e) });
    await expect(fetch(`http://127.0.0.1:${dead.hostPort}/`)).rejects.toThrow();
    await dead.close();
    expect(errors.map((e) => e.message).join("\n")).toMatch(/cannot connect to port 1/);
  });
});
