import { Transform, type TransformCallback } from "node:stream";

const HEADER = 8;

/**
 * Splits Docker's multiplexed attach stream (8-byte frame headers: stream type, size) into stdout,
 * which it passes on as a readable stream WITH backpressure, and stderr, which goes to a callback.
 * docker-modem's demuxStream ignores backpressure; this one is for long byte streams (port relays).
 */
export class DockerStreamDemuxer extends Transform {
  private pending: Buffer = Buffer.alloc(0);
  private frameType = -1;
  private frameLeft = 0;

  constructor(private readonly onStderr: (chunk: Buffer) => void = () => undefined) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    let data = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = Buffer.alloc(0);
    while (data.length > 0) {
      if (this.frameLeft === 0) {
        if (data.length < HEADER) {
          this.pending = Buffer.from(data);
          break;
        }
        this.frameType = data.readUInt8(0);
        this.frameLeft = data.readUInt32BE(4);
        data = data.subarray(HEADER);
        continue;
      }
      const take = Math.min(this.frameLeft, data.length);
      const payload = data.subarray(0, take);
      data = data.subarray(take);
      this.frameLeft -= take;
      if (this.frameType === 2) this.onStderr(payload);
      else if (this.frameType === 1) this.push(payload);
    }
    callback();
  }
}
