/** Synthetic ELF files for tests: a header, section contents, .shstrtab and the section header table. */

export interface SectionSpec {
  name: string;
  /** sh_type (default 1, PROGBITS). */
  type?: number;
  flags?: number;
  /** Contents, or a size for zero-filled contents. */
  data?: Buffer | number;
}

export interface ElfSpec {
  class?: 32 | 64;
  littleEndian?: boolean;
  machine?: number;
  sections: SectionSpec[];
  /** Put the section count in section 0 (e_shnum = 0) and e_shstrndx = SHN_XINDEX, as for >= 0xff00 sections. */
  extendedNumbering?: boolean;
  /** Put .shstrtab right after the header, far from the section header table. */
  strtabFirst?: boolean;
  /** Zero-filled padding between the section contents and the table (pushes .shstrtab out of the 1 MiB window). */
  padding?: number;
}

export function buildElf(spec: ElfSpec): Buffer {
  const is64 = (spec.class ?? 64) === 64;
  const le = spec.littleEndian ?? true;
  const headerSize = is64 ? 64 : 52;
  const entSize = is64 ? 64 : 40;
  const names = ["", ...spec.sections.map((s) => s.name), ".shstrtab"];
  const nameOffsets: number[] = [];
  const strtabParts: Buffer[] = [];
  let strtabLength = 0;
  for (const name of names) {
    nameOffsets.push(strtabLength);
    const bytes = Buffer.from(`${name}\0`, "latin1");
    strtabParts.push(bytes);
    strtabLength += bytes.length;
  }
  const strtab = Buffer.concat(strtabParts);
  const chunks: Buffer[] = [];
  let offset = headerSize;
  const place = (data: Buffer) => {
    const at = offset;
    chunks.push(data);
    offset += data.length;
    return at;
  };
  let strtabOffset = 0;
  if (spec.strtabFirst) strtabOffset = place(strtab);
  const placed = spec.sections.map((section) => {
    const data = typeof section.data === "number" ? Buffer.alloc(section.data) : (section.data ?? Buffer.alloc(16));
    const nobits = section.type === 8;
    return { section, offset: nobits ? offset : place(data), size: data.length };
  });
  if (spec.padding) place(Buffer.alloc(spec.padding));
  if (!spec.strtabFirst) strtabOffset = place(strtab);
  const shoff = offset;
  const count = names.length;
  const table = Buffer.alloc(count * entSize);
  const write = (index: number, fields: { name: number; type: number; flags: number; offset: number; size: number; link?: number }) => {
    const at = index * entSize;
    const u32 = (value: number, pos: number) => (le ? table.writeUInt32LE(value, at + pos) : table.writeUInt32BE(value, at + pos));
    const u64 = (value: number, pos: number) => (le ? table.writeBigUInt64LE(BigInt(value), at + pos) : table.writeBigUInt64BE(BigInt(value), at + pos));
    u32(fields.name, 0);
    u32(fields.type, 4);
    if (is64) {
      u64(fields.flags, 8);
      u64(fields.offset, 24);
      u64(fields.size, 32);
      u32(fields.link ?? 0, 40);
    } else {
      u32(fields.flags, 8);
      u32(fields.offset, 16);
      u32(fields.size, 20);
      u32(fields.link ?? 0, 24);
    }
  };
  const strtabIndex = count - 1;
  write(0, { name: 0, type: 0, flags: 0, offset: 0, size: spec.extendedNumbering ? count : 0, link: spec.extendedNumbering ? strtabIndex : 0 });
  placed.forEach(({ section, offset: at, size }, i) =>
    write(i + 1, { name: nameOffsets[i + 1]!, type: section.type ?? 1, flags: section.flags ?? 0, offset: at, size }),
  );
  write(strtabIndex, { name: nameOffsets[strtabIndex]!, type: 3, flags: 0, offset: strtabOffset, size: strtab.length });

  const header = Buffer.alloc(headerSize);
  Buffer.from([0x7f, 0x45, 0x4c, 0x46, is64 ? 2 : 1, le ? 1 : 2, 1]).copy(header);
  const h16 = (value: number, pos: number) => (le ? header.writeUInt16LE(value, pos) : header.writeUInt16BE(value, pos));
  const h32 = (value: number, pos: number) => (le ? header.writeUInt32LE(value, pos) : header.writeUInt32BE(value, pos));
  h16(3, 16); // ET_DYN
  h16(spec.machine ?? 62, 18);
  h32(1, 20);
  if (is64) {
    le ? header.writeBigUInt64LE(BigInt(shoff), 40) : header.writeBigUInt64BE(BigInt(shoff), 40);
    h16(64, 52);
    h16(entSize, 58);
    h16(spec.extendedNumbering ? 0 : count, 60);
    h16(spec.extendedNumbering ? 0xffff : strtabIndex, 62);
  } else {
    h32(shoff, 32);
    h16(52, 40);
    h16(entSize, 46);
    h16(spec.extendedNumbering ? 0 : count, 48);
    h16(spec.extendedNumbering ? 0xffff : strtabIndex, 50);
  }
  return Buffer.concat([header, ...chunks, table]);
}

/** A shared object like a PyO3 extension module, with or without DWARF. */
export function extensionModule(withDebugInfo: boolean): Buffer {
  const sections: SectionSpec[] = [
    { name: ".dynsym", type: 11, data: 48 },
    { name: ".text", data: 256 },
    { name: ".data", data: 32 },
    { name: ".bss", type: 8, data: 64 },
  ];
  if (withDebugInfo) {
    sections.push(
      { name: ".debug_abbrev", data: 100 },
      { name: ".debug_info", data: 4000 },
      { name: ".debug_line", data: 1500 },
      { name: ".debug_str", data: 2500 },
    );
  }
  sections.push({ name: ".symtab", type: 2, data: 96 }, { name: ".strtab", type: 3, data: 40 });
  return buildElf({ sections });
}
