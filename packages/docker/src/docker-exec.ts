import type { Duplex } from "node:stream";
import { TargetExecError, type TargetPlace } from "@alpiq/memray-core";
import type Docker from "dockerode";
import createDebug from "debug";

const debug = createDebug("memray:docker");

export interface StartExecOptions {
  env?: Record<string, string> | undefined;
  cwd?: string | undefined;
  /** Attach standard input (the returned stream's write side feeds it; end() closes it). */
  stdin?: boolean;
  user?: string | undefined;
}

export interface StartedExec {
  exec: Docker.Exec;
  /**
   * The hijacked connection: reading gives Docker's multiplexed stdout/stderr frames, writing feeds
   * the process's stdin (raw, not framed), `end()` closes stdin.
   */
  stream: Duplex;
}

/** `docker exec` of an argv array (never a shell string) with a hijacked, streaming connection. */
export async function startExec(
  container: Docker.Container,
  place: TargetPlace,
  argv: readonly string[],
  options: StartExecOptions = {},
): Promise<StartedExec> {
  if (argv.length === 0 || argv[0] === "") {
    throw new TargetExecError(place, argv, { detail: "exec needs a command", hint: "pass a non-empty argv" });
  }
  const env = Object.entries(options.env ?? {}).map(([key, value]) => {
    if (!key || key.includes("=") || key.includes("\0")) {
      throw new TargetExecError(place, argv, {
        detail: `invalid environment variable name ${JSON.stringify(key)}`,
        hint: "environment variable names must be non-empty and contain no '=' or NUL",
      });
    }
    return `${key}=${value}`;
  });
  debug("exec in %s: %o", place.name, argv);
  try {
    const exec = await container.exec({
      Cmd: [...argv],
      AttachStdin: options.stdin ?? false,
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
      ...(env.length > 0 ? { Env: env } : {}),
      ...(options.cwd ? { WorkingDir: options.cwd } : {}),
      ...(options.user ? { User: options.user } : {}),
    });
    const stream = (await exec.start({ hijack: true, stdin: options.stdin ?? false })) as Duplex;
    return { exec, stream };
  } catch (error) {
    throw new TargetExecError(place, argv, { cause: error });
  }
}

/**
 * The exit code of a finished exec. The engine may report Running for a moment after the stream
 * closed, so poll briefly.
 */
export async function execExitCode(exec: Docker.Exec, place: TargetPlace, argv: readonly string[]): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    let info: Docker.ExecInspectInfo;
    try {
      info = await exec.inspect();
    } catch (error) {
      throw new TargetExecError(place, argv, { cause: error });
    }
    if (!info.Running && info.ExitCode !== null && info.ExitCode !== undefined) return info.ExitCode;
    if (attempt >= 100) {
      throw new TargetExecError(place, argv, { detail: "the engine still reports the exec as running after its output ended" });
    }
    await new Promise((resolve) => setTimeout(resolve, attempt < 10 ? 10 : 50));
  }
}
