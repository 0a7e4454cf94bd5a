import { Writable } from "node:stream";
import { StringDecoder } from "node:string_decoder";
import { DockerFrames } from "./docker-frames.js";

type OnChunk = ((chunk: string) => void | Promise<void>) | undefined;

/**
 * The sink of a `docker exec` attach stream: splits Docker's multiplexed frames (8-byte header:
 * stream type, size) into stdout and stderr, decodes them as UTF-8 (a character cut across frames
 * stays whole), hands each piece to its callback and waits for a returned promise before taking
 * more: a slow consumer slows the stream down instead of piling output up in memory.
 */
export class ExecOutput extends Writable {
  private readonly frames = new DockerFrames();
  private readonly decoders = { 1: new StringDecoder("utf8"), 2: new StringDecoder("utf8") };
  private readonly kept = { 1: "", 2: "" };

  constructor(
    private readonly onStdout: OnChunk,
    private readonly onStderr: OnChunk,
    private readonly keep: boolean,
  ) {
    super();
  }

  get stdout(): string {
    return this.kept[1];
  }

  get stderr(): string {
    return this.kept[2];
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.consume(chunk).then(() => callback(), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    Promise.all([this.deliver(1, this.decoders[1].end()), this.deliver(2, this.decoders[2].end())]).then(() => callback(), callback);
  }

  private async consume(chunk: Buffer): Promise<void> {
    for (const { stream, payload } of this.frames.push(chunk)) {
      if (stream === 1 || stream === 2) await this.deliver(stream, this.decoders[stream].write(payload));
    }
  }

  private async deliver(stream: 1 | 2, text: string): Promise<void> {
    if (!text) return;
    if (this.keep) this.kept[stream] += text;
    await (stream === 1 ? this.onStdout : this.onStderr)?.(text);
  }
}
