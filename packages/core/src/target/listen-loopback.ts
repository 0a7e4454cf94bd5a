import type { AddressInfo, Server } from "node:net";

export interface ListenOnLoopbackOptions {
  /** When `port` is taken: "fail" (default) rejects; "any" listens on a free port instead. */
  ifTaken?: "fail" | "any";
  /** The caller's typed error for a failed listen on `port` (the one asked for, or 0 for the free one); default: the error as is. */
  wrapError?: (error: unknown, port: number) => unknown;
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (error: Error) => {
      server.off("listening", onListening);
      reject(error);
    };
    const onListening = () => {
      server.off("error", onError);
      resolve();
    };
    server.once("error", onError);
    server.once("listening", onListening);
    server.listen({ host: "127.0.0.1", port, exclusive: true });
  });
}

/**
 * Listen on 127.0.0.1:port (0 picks a free one); with `ifTaken: "any"`, a taken port falls back to a
 * free one. Resolves with the port actually bound.
 */
export async function listenOnLoopback(server: Server, port: number, options: ListenOnLoopbackOptions = {}): Promise<number> {
  const wrap = options.wrapError ?? ((error: unknown) => error);
  try {
    await listen(server, port);
  } catch (error) {
    const inUse = (error as NodeJS.ErrnoException).code === "EADDRINUSE";
    if (!(inUse && port > 0 && options.ifTaken === "any")) throw wrap(error, port);
    await listen(server, 0).catch((second: unknown) => {
      throw wrap(second, 0);
    });
  }
  return (server.address() as AddressInfo).port;
}
