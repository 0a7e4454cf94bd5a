import { describe, expect, it } from "vitest";
import { createHarnessStderrParser, type HarnessEvent } from "../src/harness-events.js";

describe("createHarnessStderrParser", () => {
  it("separates events from workload output across chunk boundaries", () => {
    const events: HarnessEvent[] = [];
    const lines: string[] = [];
    const parser = createHarnessStderrParser(
      (e) => events.push(e),
      (l) => lines.push(l),
    );
    parser.push('Traceback (most\n@memray-harness {"event":"rep');
    parser.push('ort","name":"flamegraph","ok":true}\r\nplain');
    parser.push(' line\n@memray-harness not-json\n@memray-harness {"x":1}\ntail');
    parser.flush();
    expect(events).toEqual([{ event: "report", name: "flamegraph", ok: true }]);
    expect(lines).toEqual(["Traceback (most", "plain line", "@memray-harness not-json", '@memray-harness {"x":1}', "tail"]);
  });

  it("finds an event after a partial line the workload left without its newline (the end event is never lost to it)", () => {
    const events: HarnessEvent[] = [];
    const lines: string[] = [];
    const parser = createHarnessStderrParser(
      (e) => events.push(e),
      (l) => lines.push(l),
    );
    parser.push('progress: 50%@memray-harness {"event":"end","exit_code":0}\n');
    parser.flush();
    expect(events).toEqual([{ event: "end", exit_code: 0 }]);
    expect(lines).toEqual(["progress: 50%"]);
  });
});
