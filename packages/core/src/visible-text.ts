/**
 * Text that came from a run or a workload (an exception message, a file name, a warning), made safe
 * to print on a terminal: every C0 control character other than `\n` and `\t`, DEL and every C1
 * control character is written out as `\xNN`, so an escape sequence (ESC `[2J`, an OSC title, a
 * bare C1 CSI) is shown instead of interpreted. Everything else, other Unicode included, is kept.
 */
export function visibleText(text: string): string {
  return text.replace(CONTROL, (char) => `\\x${char.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

/** C0 without \t (0x09) and \n (0x0a), DEL, C1. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/** Every string of a JSON-like value through visibleText (a report built from runs, before it is rendered for a terminal). */
export function visibleStrings<T>(value: T): T {
  if (typeof value === "string") return visibleText(value) as T;
  if (Array.isArray(value)) return value.map(visibleStrings) as T;
  if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, visibleStrings(item)])) as T;
  return value;
}
