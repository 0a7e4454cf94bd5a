const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"] as const;

/** 1536 → "1.5 KiB"; null → "n/a"; `signed` adds "+" to positive values. */
export function formatBytes(bytes: number | null | undefined, signed = false): string {
  if (bytes === null || bytes === undefined) return "n/a";
  const sign = bytes < 0 ? "-" : signed && bytes > 0 ? "+" : "";
  let value = Math.abs(bytes);
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${sign}${unit === 0 ? `${Math.round(value)} B` : `${value.toFixed(1)} ${UNITS[unit]}`}`;
}

/** Sizes in summary.json's RSS unit (kibibytes), formatted like formatBytes. */
export function formatKb(kb: number | null | undefined, signed = false): string {
  return formatBytes(kb === null || kb === undefined ? kb : kb * 1024, signed);
}
