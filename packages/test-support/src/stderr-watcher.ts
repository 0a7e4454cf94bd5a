import type { Readable } from "node:stream";

export interface StderrWatcher {
  /** Everything the child wrote to stderr so far. */
  text(): string;
  /** The first match of `pattern` in the child's stderr, already written or to come; rejects after `seconds` with the stderr so far. */
  waitFor(pattern: RegExp, seconds?: number): Promise<RegExpExecArray>;
}

/** Watch a child process's stderr from now on (call it right after starting the child). */
export function watchStderr(child: { stderr?: Readable | null }): StderrWatcher {
  let stderr = "";
  const waiters: Array<() => void> = [];
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
    for (const check of [...waiters]) check();
  });
  return {
    text: () => stderr,
    waitFor: (pattern, seconds = 120) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ${pattern} on stderr:\n${stderr}`)), seconds * 1000);
        const check = () => {
          const match = pattern.exec(stderr);
          if (!match) return;
          clearTimeout(timer);
          waiters.splice(waiters.indexOf(check), 1);
          resolve(match);
        };
        waiters.push(check);
        check();
      }),
  };
}
