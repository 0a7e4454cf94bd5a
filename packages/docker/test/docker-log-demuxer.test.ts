import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { describe, expect, it } from "vitest";
import { DockerLogDemuxer } from "../src/docker-log-demuxer.js";

const frame = (stream: 1 | 2, text: string) => {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
};

async function demux(chunks: Buffer[]): Promise<{ text: string; demuxer: DockerLogDemuxer }> {
  const demuxer = new DockerLogDemuxer();
  const out: Buffer[] = [];
  await pipeline(
    Readable.from(chunks),
    demuxer,
    new Writable({
      write(chunk, _encoding, callback) {
        out.push(chunk);
        callback();
      },
    }),
  );
  return { text: Buffer.concat(out).toString(), demuxer };
}

describe("DockerLogDemuxer", () => {
  const wire = Buffer.concat([frame(1, "2026-01-01T00:00:00.000000001Z out one\n"), frame(2, "2026-01-01T00:00:00.000000002Z err one\n"), frame(1, "x\n")]);

  it("passes the payloads in the daemon's order and counts each stream's bytes", async () => {
    const { text, demuxer } = await demux([wire]);
    expect(text).toBe("2026-01-01T00:00:00.000000001Z out one\n2026-01-01T00:00:00.000000002Z err one\nx\n");
    expect(demuxer.stdoutBytes).toBe(Buffer.byteLength("2026-01-01T00:00:00.000000001Z out one\n") + 2);
    expect(demuxer.stderrBytes).toBe(Buffer.byteLength("2026-01-01T00:00:00.000000002Z err one\n"));
  });

  it("gives the same bytes whatever the chunking (headers and payloads split anywhere)", async () => {
    for (const size of [1, 3, 7, 8, 9, 13]) {
      const chunks: Buffer[] = [];
      for (let i = 0; i < wire.length; i += size) chunks.push(wire.subarray(i, i + size));
      const { text, demuxer } = await demux(chunks);
      expect(text, `chunks of ${size}`).toBe("2026-01-01T00:00:00.000000001Z out one\n2026-01-01T00:00:00.000000002Z err one\nx\n");
      expect(demuxer.stdoutBytes + demuxer.stderrBytes).toBe(text.length);
    }
  });

  it("rejects a stream that is not multiplexed and one cut inside a frame", async () => {
    await expect(demux([Buffer.from("plain text, no frame headers here")])).rejects.toThrow(/malformed Docker log stream/);
    await expect(demux([wire.subarray(0, wire.length - 1)])).rejects.toThrow(/ended inside a frame \(1 payload bytes missing\)/);
  });
});
