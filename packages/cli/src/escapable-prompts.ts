import type { MenuPrompts } from "./menu-command.js";

/** The @inquirer/prompts functions the menu uses, with their context argument (input, output, signal). */
export interface InquirerPrompts {
  select: (config: never, context: PromptContext) => Promise<unknown>;
  input: (config: never, context: PromptContext) => Promise<string>;
}

export interface PromptContext {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  signal?: AbortSignal;
}

/**
 * Prompts drawn on `output` (stderr: stdout stays for the run directory) that Escape leaves: each
 * prompt gets an AbortSignal fired by an Escape keypress, so it rejects with inquirer's
 * AbortPromptError and the menu goes back one level.
 */
export function escapablePrompts(prompts: InquirerPrompts, streams: { input: NodeJS.ReadableStream; output: NodeJS.WritableStream }): MenuPrompts {
  const run = <T>(ask: (context: PromptContext) => Promise<T>): Promise<T> => {
    const controller = new AbortController();
    const onKeypress = (_text: unknown, key?: { name?: string }) => {
      if (key?.name === "escape") controller.abort();
    };
    streams.input.on("keypress", onKeypress);
    return ask({ ...streams, signal: controller.signal }).finally(() => streams.input.off("keypress", onKeypress));
  };
  return {
    select: (config) => run((context) => prompts.select(config as never, context)) as never,
    input: (config) => run((context) => prompts.input(config as never, context)),
  };
}
