/**
 * Just enough ELF to list the sections of a shared object: the file header, the section header table
 * and the section name string table (32/64-bit, little/big endian, extended section numbering). No
 * program headers, symbols or DWARF are read.
 */

export interface ElfSection {
  name: string;
  /** sh_type (1 PROGBITS, 8 NOBITS, ...). */
  type: number;
  /** Bytes in the file (the compressed size for a SHF_COMPRESSED section). */
  size: number;
  offset: number;
  /** SHF_COMPRESSED (zlib/zstd DWARF). */
  compressed: boolean;
}

export interface ElfFile {
  class: 32 | 64;
  littleEndian: boolean;
  /** e_type: 2 EXEC, 3 DYN (shared object). */
  type: number;
  /** e_machine: 62 x86-64, 183 AArch64, ... */
  machine: number;
  sections: ElfSection[];
}

/** Reads byte ranges of an ELF file that may not fit in memory (a wheel member, a large .so). */
export interface ElfSource {
  /** The file size in bytes. */
  size: number;
  /** The bytes of each `[start, end)` range, in order (one pass over the file may serve them all). */
  read(ranges: ReadonlyArray<readonly [number, number]>): Promise<Buffer[]>;
}

/** Thrown for anything that is not a well-formed ELF file; callers wrap it in their own error. */
export class ElfFormatError extends Error {
  override readonly name = "ElfFormatError";
}

const SHT_NOBITS = 8;
const SHF_COMPRESSED = 0x800;
const SHN_XINDEX = 0xffff;
const HEADER_BYTES = 64;
/** Bytes read before the section header table in the same pass: linkers put .shstrtab just there. */
const STRTAB_WINDOW = 1 << 20;

export const ELF_MACHINES: Readonly<Record<number, string>> = { 3: "x86", 62: "x86-64", 40: "arm", 183: "aarch64", 243: "riscv", 21: "ppc64" };

/** True when the bytes start with the ELF magic \x7fELF. */
export function isElf(bytes: Buffer): boolean {
  return bytes.length >= 4 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46;
}

interface Header {
  class: 32 | 64;
  littleEndian: boolean;
  type: number;
  machine: number;
  shoff: number;
  shentsize: number;
  shnum: number;
  shstrndx: number;
}

interface RawSection {
  nameOffset: number;
  type: number;
  flags: number;
  offset: number;
  size: number;
  link: number;
}

function reader(buffer: Buffer, littleEndian: boolean) {
  return {
    u16: (at: number) => (littleEndian ? buffer.readUInt16LE(at) : buffer.readUInt16BE(at)),
    u32: (at: number) => (littleEndian ? buffer.readUInt32LE(at) : buffer.readUInt32BE(at)),
    u64: (at: number) => {
      const value = littleEndian ? buffer.readBigUInt64LE(at) : buffer.readBigUInt64BE(at);
      if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new ElfFormatError(`a 64-bit field at ${at} is too large (${value})`);
      return Number(value);
    },
  };
}

function parseHeader(bytes: Buffer, fileSize: number): Header {
  if (!isElf(bytes)) throw new ElfFormatError("not an ELF file (no \\x7fELF magic)");
  if (bytes.length < 52) throw new ElfFormatError(`truncated ELF header (${bytes.length} bytes)`);
  const cls = bytes[4];
  const data = bytes[5];
  if (cls !== 1 && cls !== 2) throw new ElfFormatError(`unknown ELF class ${cls}`);
  if (data !== 1 && data !== 2) throw new ElfFormatError(`unknown ELF data encoding ${data}`);
  const is64 = cls === 2;
  if (is64 && bytes.length < HEADER_BYTES) throw new ElfFormatError(`truncated ELF64 header (${bytes.length} bytes)`);
  const r = reader(bytes, data === 1);
  const header: Header = is64
    ? {
        class: 64,
        littleEndian: data === 1,
        type: r.u16(16),
        machine: r.u16(18),
        shoff: r.u64(40),
        shentsize: r.u16(58),
        shnum: r.u16(60),
        shstrndx: r.u16(62),
      }
    : {
        class: 32,
        littleEndian: data === 1,
        type: r.u16(16),
        machine: r.u16(18),
        shoff: r.u32(32),
        shentsize: r.u16(46),
        shnum: r.u16(48),
        shstrndx: r.u16(50),
      };
  if (header.shoff === 0) throw new ElfFormatError("the file has no section header table (e_shoff is 0)");
  const minimum = is64 ? 64 : 40;
  if (header.shentsize < minimum) throw new ElfFormatError(`section header entries of ${header.shentsize} bytes (expected >= ${minimum})`);
  if (header.shoff + header.shentsize > fileSize)
    throw new ElfFormatError(`the section header table (at ${header.shoff}) lies past the end of the file (${fileSize} bytes)`);
  return header;
}

function parseSection(table: Buffer, at: number, header: Header): RawSection {
  const r = reader(table, header.littleEndian);
  if (at + header.shentsize > table.length) throw new ElfFormatError("truncated section header table");
  return header.class === 64
    ? { nameOffset: r.u32(at), type: r.u32(at + 4), flags: r.u64(at + 8), offset: r.u64(at + 24), size: r.u64(at + 32), link: r.u32(at + 40) }
    : { nameOffset: r.u32(at), type: r.u32(at + 4), flags: r.u32(at + 8), offset: r.u32(at + 16), size: r.u32(at + 20), link: r.u32(at + 24) };
}

function nameAt(strtab: Buffer, offset: number): string {
  if (offset >= strtab.length) throw new ElfFormatError(`a section name offset (${offset}) lies outside .shstrtab (${strtab.length} bytes)`);
  const end = strtab.indexOf(0, offset);
  return strtab.toString("latin1", offset, end === -1 ? strtab.length : end);
}

/**
 * The sections of an ELF file read through `source` (a few passes at most: the header, the section
 * header table with the bytes just before it, and .shstrtab when it lies elsewhere). Throws
 * ElfFormatError for anything malformed.
 */
export async function readElfSections(source: ElfSource): Promise<ElfFile> {
  if (source.size < 52) throw new ElfFormatError(`${source.size} bytes is too small for an ELF file`);
  const [headerBytes] = await source.read([[0, Math.min(HEADER_BYTES, source.size)]]);
  const header = parseHeader(headerBytes!, source.size);

  // Extended numbering: with >= 0xff00 sections, e_shnum is 0 and section 0's sh_size holds the count.
  let shnum = header.shnum;
  let shstrndx = header.shstrndx;
  if (shnum === 0 || shstrndx === SHN_XINDEX) {
    const [first] = await source.read([[header.shoff, header.shoff + header.shentsize]]);
    const zero = parseSection(first!, 0, header);
    if (shnum === 0) shnum = zero.size;
    if (shstrndx === SHN_XINDEX) shstrndx = zero.link;
  }
  if (shnum === 0) throw new ElfFormatError("the section header table is empty");
  const tableEnd = header.shoff + shnum * header.shentsize;
  if (tableEnd > source.size) throw new ElfFormatError(`the section header table (${shnum} entries at ${header.shoff}) runs past the end of the file`);
  if (shstrndx >= shnum) throw new ElfFormatError(`e_shstrndx ${shstrndx} is not a section (there are ${shnum})`);

  const windowStart = Math.max(HEADER_BYTES, header.shoff - STRTAB_WINDOW);
  const [before, table] = await source.read([
    [windowStart, header.shoff],
    [header.shoff, tableEnd],
  ]);
  const raw = Array.from({ length: shnum }, (_, index) => parseSection(table!, index * header.shentsize, header));
  const names = raw[shstrndx]!;
  if (names.type === SHT_NOBITS || names.offset + names.size > source.size) {
    throw new ElfFormatError(`the section name table (section ${shstrndx}) lies outside the file`);
  }
  let strtab: Buffer;
  if (names.offset >= windowStart && names.offset + names.size <= header.shoff) {
    strtab = before!.subarray(names.offset - windowStart, names.offset - windowStart + names.size);
  } else {
    [strtab] = (await source.read([[names.offset, names.offset + names.size]])) as [Buffer];
  }
  const sections = raw.map<ElfSection>((section, index) => ({
    name: index === 0 && section.type === 0 ? "" : nameAt(strtab, section.nameOffset),
    type: section.type,
    size: section.type === SHT_NOBITS ? 0 : section.size,
    offset: section.offset,
    compressed: (section.flags & SHF_COMPRESSED) !== 0,
  }));
  return { class: header.class, littleEndian: header.littleEndian, type: header.type, machine: header.machine, sections };
}

/** An ElfSource over bytes already in memory. */
export function bufferElfSource(buffer: Buffer): ElfSource {
  return {
    size: buffer.length,
    read: async (ranges) =>
      ranges.map(([start, end]) => {
        if (start < 0 || end > buffer.length || start > end) throw new ElfFormatError(`range ${start}-${end} is outside the file (${buffer.length} bytes)`);
        return buffer.subarray(start, end);
      }),
  };
}

/**
 * The DWARF sections (`.debug_*`, GNU-compressed `.zdebug_*`) and their sizes in the file, in file
 * order. A NOBITS `.debug_*` section (a stripped placeholder) holds nothing and is left out.
 */
export function debugSections(file: ElfFile): Record<string, number> {
  const out: Record<string, number> = {};
  for (const section of file.sections) {
    if (section.type === SHT_NOBITS) continue;
    if (section.name.startsWith(".debug_") || section.name.startsWith(".zdebug_")) out[section.name] = (out[section.name] ?? 0) + section.size;
  }
  return out;
}

/** Whether the file carries DWARF debug info memray can symbolise with (`.debug_info` or `.zdebug_info`). */
export function hasDebugInfo(file: ElfFile): boolean {
  const sections = debugSections(file);
  return (sections[".debug_info"] ?? 0) > 0 || (sections[".zdebug_info"] ?? 0) > 0;
}
