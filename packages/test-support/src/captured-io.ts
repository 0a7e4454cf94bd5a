import { PassThrough } from "node:stream";

export interface CapturedStream {
  stream: PassThrough;
  /** Everything written to the stream so far. */
  text(): string;
}

/** A stream that keeps what is written to it. */
export function captureStream(): CapturedStream {
  const stream = new PassThrough();
  let text = "";
  stream.on("data", (chunk) => (text += chunk));
  return { stream, text: () => text };
}

export interface CapturedIo {
  stdout: PassThrough;
  stderr: PassThrough;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** What was written to stdout so far. */
  out(): string;
  /** What was written to stderr so far. */
  err(): string;
}

/**
 * The io of a command run in-process (the shape of memray-cli's CliIo): stdout and stderr that keep
 * what is written, an empty environment, cwd "/"; `extra` adds or overrides fields.
 */
export function capturedIo<Extra extends object = object>(extra?: Extra): CapturedIo & Extra {
  const stdout = captureStream();
  const stderr = captureStream();
  return { stdout: stdout.stream, stderr: stderr.stream, env: {}, cwd: "/", ...(extra as Extra), out: stdout.text, err: stderr.text };
}
