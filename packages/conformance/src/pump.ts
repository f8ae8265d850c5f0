import type { Socket } from 'node:net';
import type { ByteSource } from './bytes.js';

/** Bytes written per `write` when streaming a source: one default socket read's worth. */
export const PUMP_CHUNK_BYTES = 64 * 1024;

/** Writes a {@link ByteSource} as fast as the socket drains, never buffering more than a chunk. */
export class Pump {
  written = 0;
  waitingForDrain = false;
  finished = false;
  private stopped = false;
  readonly done: Promise<void>;

  constructor(
    private readonly socket: Socket,
    private readonly source: ByteSource,
    private readonly notify: () => void,
  ) {
    this.done = this.run();
  }

  /** Stops after the chunk being written; `written` is then final. */
  stop(): void {
    this.stopped = true;
  }

  private async run(): Promise<void> {
    const { socket } = this;
    while (this.written < this.source.length && !this.stopped && !socket.destroyed) {
      const end = Math.min(this.written + PUMP_CHUNK_BYTES, this.source.length);
      const chunk = this.source.slice(this.written, end);
      this.written = end;
      if (!socket.write(chunk)) {
        this.waitingForDrain = true;
        this.notify();
        await new Promise<void>((resolve) => {
          const done = () => {
            socket.off('drain', done);
            socket.off('close', done);
            resolve();
          };
          socket.on('drain', done);
          socket.on('close', done);
        });
        this.waitingForDrain = false;
      }
      this.notify();
    }
    this.finished = true;
    this.notify();
  }
}
