import { describe, expect, it } from "vitest";
import { createLineSplitter } from "../src/line-splitter.js";

describe("createLineSplitter", () => {
  it("joins a line cut across two chunks into one line", () => {
    const lines: string[] = [];
    const splitter = createLineSplitter((line) => lines.push(line));
    splitter.push("first li");
    splitter.push("ne\r\nsecond\n");
    splitter.push("third without newline");
    splitter.flush();
    expect(lines).toEqual(["first line", "second", "third without newline"]);
  });

  it("keeps a multi-byte character cut between two Buffer chunks", () => {
    const lines: string[] = [];
    const splitter = createLineSplitter((line) => lines.push(line));
    const bytes = Buffer.from("größe → 1 MiB\n", "utf8");
    const cut = bytes.indexOf(0xc3) + 1; // inside "ö"
    splitter.push(bytes.subarray(0, cut));
    splitter.push(bytes.subarray(cut));
    splitter.flush();
    expect(lines).toEqual(["größe → 1 MiB"]);
  });

  it("emits nothing for an empty stream and an empty line for a lone newline", () => {
    const lines: string[] = [];
    const splitter = createLineSplitter((line) => lines.push(line));
    splitter.flush();
    expect(lines).toEqual([]);
    splitter.push("\n");
    splitter.flush();
    expect(lines).toEqual([""]);
  });
});
