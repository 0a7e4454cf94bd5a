import ora, { type Ora } from "ora";
import pc from "picocolors";
import { visibleText, type HarnessEvent, type ProgressEvent } from "@alpiq/memray-core";
import { describeAttachEvent } from "./attach-lines.js";
import { colorEnabled } from "./output-mode.js";
import { outputNote } from "./output-notes.js";

/** Lines of the workload's output echoed per second; the rest is only in harness.log. */
const ECHO_BURST = 40;

/**
 * Renders a session's progress on stderr: a spinner with the step and elapsed time on a TTY,
 * plain timestamped lines otherwise (CI logs). The workload's own output is echoed, dimmed, and with
 * the harness's messages goes through visibleText: control characters are shown, never interpreted
 * (harness.log keeps the output as it was). Colours only where `colorEnabled` allows them for the
 * stream (a terminal; not picocolors' own guess, which colours whenever CI is set: profile() echoes to
 * any stream).
 */
export class ProgressReporter {
  private readonly started = Date.now();
  private readonly spinner: Ora | undefined;
  private stepStarted = Date.now();
  private stepText = "";
  private echoWindow = 0;
  private echoCount = 0;
  private echoSkipped = 0;
  private readonly c: ReturnType<typeof pc.createColors>;

  constructor(
    private readonly stream: NodeJS.WritableStream & { isTTY?: boolean },
    private readonly quietOutput = false,
    env: NodeJS.ProcessEnv = process.env,
  ) {
    const colors = colorEnabled(env, stream);
    this.c = pc.createColors(colors);
    // A spinner only on a terminal; NO_COLOR leaves it uncoloured (ora colours through chalk, which ignores NO_COLOR).
    if (stream.isTTY) this.spinner = ora({ stream, discardStdin: false, color: colors ? "cyan" : false }).start();
  }

  private elapsed(): string {
    return `${((Date.now() - this.started) / 1000).toFixed(1)}s`;
  }

  private line(text: string): void {
    if (this.spinner) {
      this.spinner.clear();
      this.stream.write(`${text}\n`);
      this.spinner.render();
    } else {
      this.stream.write(`${text}\n`);
    }
  }

  step(message: string): void {
    this.completeStep();
    this.stepStarted = Date.now();
    this.stepText = message;
    if (this.spinner) this.spinner.text = `${message} ${this.c.dim(this.elapsed())}`;
    else this.line(`[${this.elapsed().padStart(6)}] ${message}`);
  }

  private completeStep(): void {
    if (this.spinner && this.stepText) {
      this.spinner.stopAndPersist({
        symbol: this.c.green("✔"),
        text: `${this.stepText} ${this.c.dim(`${((Date.now() - this.stepStarted) / 1000).toFixed(1)}s`)}`,
      });
      this.spinner.start();
    }
    this.stepText = "";
  }

  info(message: string): void {
    this.line(message);
  }

  /** Warnings already printed live (the end of the run does not repeat them). */
  readonly warningsShown = new Set<string>();

  warn(message: string): void {
    this.warningsShown.add(message);
    this.line(this.c.yellow(`warning: ${visibleText(message)}`));
  }

  handle(event: ProgressEvent): void {
    if (event.type === "step") return this.step(event.message);
    if (event.type === "output") {
      if (this.quietOutput) return;
      this.echo(event.line);
      this.noteKnownOutput(event.line);
      return;
    }
    this.harnessEvent(event.event);
  }

  /** Notes already printed for known, harmless output (once per run). */
  private readonly notesShown = new Set<string>();

  /** A known line that looks alarming and is not (polars' AVX warning under emulation): said once. */
  private noteKnownOutput(line: string): void {
    const known = outputNote(line);
    if (!known || this.notesShown.has(known.id)) return;
    this.notesShown.add(known.id);
    this.line(this.c.cyan(`note: ${known.note}`));
  }

  /**
   * The workload's own output, bounded: at most ECHO_BURST lines per second reach the terminal (all of
   * it is in harness.log); what is skipped is counted and said once the flood slows down.
   */
  private echo(line: string): void {
    const now = Date.now();
    if (now - this.echoWindow >= 1000) {
      if (this.echoSkipped) this.line(this.c.dim(`│ … ${this.echoSkipped} more lines in harness.log`));
      this.echoWindow = now;
      this.echoCount = 0;
      this.echoSkipped = 0;
    }
    if (this.echoCount++ < ECHO_BURST) this.line(this.c.dim(`│ ${visibleText(line)}`));
    else this.echoSkipped += 1;
  }

  private harnessEvent(event: HarnessEvent): void {
    switch (event.event) {
      case "step":
        this.step(visibleText(String(event.message ?? event.step)));
        break;
      case "report": {
        const ok = Boolean(event.ok);
        const seconds = typeof event.seconds === "number" ? ` ${this.c.dim(`${event.seconds.toFixed(1)}s`)}` : "";
        this.line(
          `  ${ok ? this.c.green("✔") : this.c.red("✘")} report ${visibleText(String(event.name))}${seconds}${ok ? "" : this.c.red(` ${visibleText(String(event.message ?? event.error ?? "failed"))}`)}`,
        );
        break;
      }
      case "warning":
        this.warn(String(event.message));
        break;
      case "attach-processes":
      case "attach-tracking":
      case "attach-window":
      case "attach-process-died":
      case "attach-stopped":
        for (const text of describeAttachEvent(event)) this.line(`  ${visibleText(text)}`);
        break;
      default:
        break;
    }
  }

  /** Stop the spinner; `ok` false marks the last step failed. */
  finish(ok: boolean): void {
    if (this.echoSkipped) this.line(this.c.dim(`│ … ${this.echoSkipped} more lines in harness.log`));
    this.echoSkipped = 0;
    if (this.spinner) {
      if (this.stepText) {
        if (ok) this.completeStep();
        else this.spinner.stopAndPersist({ symbol: this.c.red("✘"), text: this.stepText });
      }
      this.spinner.stop();
    }
    this.stepText = "";
  }
}
