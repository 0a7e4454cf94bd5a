import { existsSync } from "node:fs";
import Module, { createRequire } from "node:module";
import path from "node:path";
import type Docker from "dockerode";

const require = createRequire(import.meta.url);

/**
 * dockerode's constructor, loaded without two modules it requires up front and a container run never
 * calls: its BuildKit session (`lib/session.js`: grpc-js and protobufjs) and docker-modem's ssh transport
 * (`lib/ssh.js`: ssh2). They are most of dockerode's load time (~230 ms), paid by every container run.
 * Each is put in Node's module cache as a function that loads the real module at its first call (both
 * export a single function), so a BuildKit build or an ssh:// engine still works, only later. A layout
 * where either file is missing loads dockerode as it is.
 */
export function loadDockerode(): typeof Docker {
  const main = require.resolve("dockerode");
  deferModule(path.join(path.dirname(main), "session.js"));
  try {
    deferModule(path.join(path.dirname(createRequire(main).resolve("docker-modem")), "ssh.js"));
  } catch {
    // docker-modem laid out differently: nothing deferred
  }
  return require(main) as typeof Docker;
}

function deferModule(file: string): void {
  if (!existsSync(file) || require.cache[file]) return;
  let real: ((...args: unknown[]) => unknown) | undefined;
  const stub = new Module(file);
  stub.filename = file;
  stub.loaded = true;
  stub.exports = function deferred(this: unknown, ...args: unknown[]) {
    if (!real) {
      delete require.cache[file];
      real = require(file) as (...args: unknown[]) => unknown;
    }
    return real.apply(this, args);
  };
  require.cache[file] = stub;
}
