/**
 * Sizes written the way the Docker CLI writes them in `docker stats` (github.com/docker/go-units):
 * memory in binary units with 4 significant digits (`84.22MiB`), network and block I/O in decimal
 * units with 3 (`13.8MB`), percentages with 2 decimals.
 */

const BINARY = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"];
const DECIMAL = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"];

/** Go's `%.<precision>g`: significant digits, trailing zeros dropped. */
function goG(value: number, precision: number): string {
  return String(Number(value.toPrecision(precision)));
}

function customSize(size: number, base: number, units: readonly string[], precision: number): string {
  let i = 0;
  while (size >= base && i < units.length - 1) {
    size /= base;
    i++;
  }
  return `${goG(size, precision)}${units[i]}`;
}

/** go-units BytesSize: `84.22MiB`. */
export function bytesSize(bytes: number): string {
  return customSize(bytes, 1024, BINARY, 4);
}

/** go-units HumanSizeWithPrecision(size, 3): `13.8MB`. */
export function humanSize(bytes: number): string {
  return customSize(bytes, 1000, DECIMAL, 3);
}

export function percent(value: number): string {
  return `${value.toFixed(2)}%`;
}

/** Bytes from a size the Docker CLI printed (`84.2MiB`, `13.8MB`, `0B`); NaN when unreadable. */
export function parseDockerSize(text: string): number {
  const match = /^\s*([\d.]+)\s*([KMGTPEZY]?i?B|[kKMGTPEZY]B|B)\s*$/.exec(text);
  if (!match) return Number.NaN;
  const unit = match[2]!;
  const binary = BINARY.indexOf(unit);
  if (binary > 0) return Number(match[1]) * 1024 ** binary;
  const decimal = DECIMAL.findIndex((candidate) => candidate.toLowerCase() === unit.toLowerCase());
  return decimal >= 0 ? Number(match[1]) * 1000 ** decimal : Number.NaN;
}
