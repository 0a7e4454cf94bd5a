import ora, { type Ora } from "ora";
import pc from "picocolors";
import type { HarnessEvent, ProgressEvent } from "@alpiq/memray-core";

/**
 * Renders a session's progress on stderr: a spinner with the step and elapsed time on a TTY,
 * plain timestamped lines otherwise (CI logs). The workload's own output is echoed, dimmed.
 */
export class ProgressReporter {
  private readonly started = Date.now();
  private readonly spinner: Ora | undefined;
  private stepStarted = Date.now();
  private stepText = "";

  constructor(private readonly stream: NodeJS.WritableStream & { isTTY?: boolean }, private readonly quietOutput = false) {
    if (stream.isTTY) this.spinner = ora({ stream, discardStdin: false }).start();
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
    if (this.spinner) this.spinner.text = `${message} ${pc.dim(this.elapsed())}`;
    else this.line(`[${this.elapsed().padStart(6)}] ${message}`);
  }

  private completeStep(): void {
    if (this.spinner && this.stepText) {
      this.spinner.stopAndPersist({ symbol: pc.green("✔"), text: `${this.stepText} ${pc.dim(`${((Date.now() - this.stepStarted) / 1000).toFixed(1)}s`)}` });
      this.spinner.start();
    }
    this.stepText = "";
  }

  info(message: string): void {
    this.line(message);
  }

  warn(message: string): void {
    this.line(pc.yellow(`warning: ${message}`));
  }

  handle(event: ProgressEvent): void {
    if (event.type === "step") return this.step(event.message);
    if (event.type === "output") {
      if (!this.quietOutput) this.line(pc.dim(`│ ${event.line}`));
      return;
    }
    this.harnessEvent(event.event);
  }

  private harnessEvent(event: HarnessEvent): void {
    switch (event.event) {
      case "step":
        this.step(`${String(event.message ?? event.step)}`);
        break;
      case "report": {
        const ok = Boolean(event.ok);
        const seconds = typeof event.seconds === "number" ? ` ${pc.dim(`${event.seconds.toFixed(1)}s`)}` : "";
        this.line(`  ${ok ? pc.green("✔") : pc.red("✘")} report ${String(event.name)}${seconds}${ok ? "" : pc.red(` ${String(event.message ?? event.error ?? "failed")}`)}`);
        break;
      }
      case "warning":
        this.warn(String(event.message));
        break;
      default:
        break;
    }
  }

  /** Stop the spinner; `ok` false marks the last step failed. */
  finish(ok: boolean): void {
    if (this.spinner) {
      if (this.stepText) {
        if (ok) this.completeStep();
        else this.spinner.stopAndPersist({ symbol: pc.red("✘"), text: this.stepText });
      }
      this.spinner.stop();
    }
    this.stepText = "";
  }
}
