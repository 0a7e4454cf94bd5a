import type { CliIo } from "./cli-io.js";
import type { CliDeps } from "./deps.js";

/** What a command definition needs: the io, the clients (built on first use) and where its exit code goes. */
export interface CommandContext {
  io: CliIo;
  deps: () => Promise<CliDeps>;
  setExit: (code: number) => void;
}
