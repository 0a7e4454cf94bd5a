import { describe, expect, it } from "vitest";
import { visibleText } from "../src/index.js";

describe("visibleText", () => {
  it("writes out an OSC title, a CSI clear and a bell instead of passing them to the terminal", () => {
    const message = "boom \u001b]0;PWNED\u0007 \u001b[2J done";
    const shown = visibleText(message);
    expect(shown).toBe("boom \\x1b]0;PWNED\\x07 \\x1b[2J done");
    expect(shown).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
  });

  it("keeps newlines, tabs and other Unicode; escapes CR, NUL, DEL and the C1 range (U+009B is a one-character CSI)", () => {
    expect(visibleText("a\tb\nc — é ✓")).toBe("a\tb\nc — é ✓");
    expect(visibleText("x\ry\u0000z\u007f\u009b31m\u0080\u009f")).toBe("x\\x0dy\\x00z\\x7f\\x9b31m\\x80\\x9f");
  });

  it("is the identity on plain text, and what it returns contains no control character (one pass over every code unit below U+00A0)", () => {
    expect(visibleText("plain text: 12 MiB")).toBe("plain text: 12 MiB");
    const all = Array.from({ length: 0xa0 }, (_, code) => String.fromCharCode(code)).join("");
    const shown = visibleText(all);
    expect(shown).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    expect(shown).toContain("\t\n");
    expect(shown.match(/\\x[0-9a-f]{2}/g)).toHaveLength(0x20 - 2 + 1 + 0x20);
  });
});
