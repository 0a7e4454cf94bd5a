import { StringDecoder } from "node:string_decoder";

export interface LineSplitter {
  /** Feed a chunk (a multi-byte character may be cut across chunks); complete lines go to onLine. */
  push(chunk: string | Buffer): void;
  /** Emit the last line when the stream ended without a newline. */
  flush(): void;
}

/**
 * Splits streamed output into lines, whatever the chunk boundaries: a line cut across two chunks is
 * one line. A trailing `\r` is removed (CRLF output). The one line splitter of every package.
 */
export function createLineSplitter(onLine: (line: string) => void): LineSplitter {
  const decoder = new StringDecoder("utf8");
  let pending = "";
  const emit = (text: string) => {
    pending += text;
    let newline = pending.indexOf("\n");
    while (newline !== -1) {
      const line = pending.slice(0, newline);
      onLine(line.endsWith("\r") ? line.slice(0, -1) : line);
      pending = pending.slice(newline + 1);
      newline = pending.indexOf("\n");
    }
  };
  return {
    push(chunk) {
      emit(typeof chunk === "string" ? chunk : decoder.write(chunk));
    },
    flush() {
      emit(decoder.end());
      if (pending) onLine(pending.endsWith("\r") ? pending.slice(0, -1) : pending);
      pending = "";
    },
  };
}
