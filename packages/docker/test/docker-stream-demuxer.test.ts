import { describe, expect, it } from "vitest";
import { DockerStreamDemuxer } from "../src/docker-stream-demuxer.js";

const frame = (type: number, text: string) => {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header.writeUInt8(type, 0);
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
};

describe("DockerStreamDemuxer", () => {
  it("splits stdout and stderr frames whatever the chunking", async () => {
    const bytes = Buffer.concat([frame(1, "hello "), frame(2, "oops"), frame(1, "world"), frame(1, "")]);
    for (const size of [1, 3, 7, 8, 9, bytes.length]) {
      let stderr = "";
      const demux = new DockerStreamDemuxer((c) => (stderr += c.toString()));
      const out: Buffer[] = [];
      demux.on("data", (c: Buffer) => out.push(c));
      const done = new Promise((r) => demux.on("end", r));
      for (let i = 0; i < bytes.length; i += size) demux.write(bytes.subarray(i, i + size));
      demux.end();
      await done;
      expect(Buffer.concat(out).toString()).toBe("hello world");
      expect(stderr).toBe("oops");
    }
  });
});
