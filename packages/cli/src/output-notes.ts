/**
 * Known lines of a workload's output that look alarming and are not (the seed's "Known limitations"), and
 * the note the CLI prints the first time it sees one.
 */
export interface OutputNote {
  id: string;
  matches: (line: string) => boolean;
  note: string;
}

const OUTPUT_NOTES: readonly OutputNote[] = [
  {
    // polars checks the CPU at import: under Rosetta/QEMU (or an old CPU) it warns about AVX & co.
    id: "polars-avx",
    matches: (line) =>
      /Missing required CPU features/i.test(line) ||
      /polars-lts-cpu/i.test(line) ||
      (/polars/i.test(line) && /\b(AVX2?|FMA|BMI[12]|LZCNT|MOVBE)\b/i.test(line)) ||
      /required CPU features were not detected/i.test(line),
    note:
      "polars' warning about missing CPU features (AVX, ...) is expected under CPU emulation (Rosetta, QEMU) " +
      "or on an older CPU: safe to ignore — not a crash, only a slower SIMD fallback (see the README's Known limitations)",
  },
];

/** The note for a line, or null. */
export function outputNote(line: string): OutputNote | null {
  return OUTPUT_NOTES.find((candidate) => candidate.matches(line)) ?? null;
}
