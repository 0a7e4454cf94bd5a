const HEADER = 8;

/** One piece of a multiplexed stream: 1 is stdout, 2 is stderr (0, stdin, never comes back). */
export interface DockerFrame {
  stream: number;
  payload: Buffer;
}

/**
 * Docker's multiplexed attach/exec stream (8-byte frame headers: stream type, payload size), parsed
 * incrementally: a header or payload cut across chunks is handled. The one parser of this package
 * (exec output, port relays, container logs).
 */
export class DockerFrames {
  private pending: Buffer = Buffer.alloc(0);
  private frameType = -1;
  private frameLeft = 0;

  /** Payload bytes still owed by the current frame (and whether a header was cut): a stream that ends here is truncated. */
  get owed(): { payloadBytes: number; partialHeader: boolean } {
    return { payloadBytes: this.frameLeft, partialHeader: this.pending.length > 0 };
  }

  /** The payload pieces complete in this chunk, in order. */
  push(chunk: Buffer): DockerFrame[] {
    const frames: DockerFrame[] = [];
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
      frames.push({ stream: this.frameType, payload: data.subarray(0, take) });
      data = data.subarray(take);
      this.frameLeft -= take;
    }
    return frames;
  }
}
