import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { listenOnLoopback } from "../src/target/listen-loopback.js";

const servers: net.Server[] = [];
const server = () => {
  const created = net.createServer();
  servers.push(created);
  return created;
};
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((resolve) => (s.listening ? s.close(() => resolve()) : resolve()))));
});

describe("listenOnLoopback", () => {
  it("port 0: a free port on 127.0.0.1, the one bound returned", async () => {
    const s = server();
    const port = await listenOnLoopback(s, 0);
    expect(port).toBeGreaterThan(0);
    expect(s.address()).toMatchObject({ address: "127.0.0.1", port });
  });

  it("a taken port fails by default, through the caller's wrapper with the port it tried", async () => {
    const taken = await listenOnLoopback(server(), 0);
    await expect(listenOnLoopback(server(), taken)).rejects.toMatchObject({ code: "EADDRINUSE" });
    const wrapped = listenOnLoopback(server(), taken, { wrapError: (error, port) => new Error(`listen ${port}: ${(error as NodeJS.ErrnoException).code}`) });
    await expect(wrapped).rejects.toThrow(`listen ${taken}: EADDRINUSE`);
  });

  it('ifTaken "any": a taken port falls back to a free one', async () => {
    const taken = await listenOnLoopback(server(), 0);
    const s = server();
    const port = await listenOnLoopback(s, taken, { ifTaken: "any" });
    expect(port).not.toBe(taken);
    expect(s.listening).toBe(true);
  });
});
