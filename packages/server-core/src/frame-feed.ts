import type { Socket } from 'node:net';
import type { Decoder } from '@switchyard/protocol';
import type { FrameDeadline } from './deadlines.js';

/**
 * Frames of one read a connection runs in one turn of the event loop; the rest wait for the next
 * turn (tokio gives a task a budget of 128 operations per tick for the same reason). A client
 * pipelining tiny frames puts ten thousand of them in one 64 KiB read: run all at once, every
 * other connection waits for them, a turn at a time.
 */
export const FRAMES_PER_TURN = 128;

const NO_FRAMES: readonly Buffer[] = [];

/** What a {@link FrameFeed} does to its connection. */
export interface FrameFeedHost {
  /** Runs one request. */
  runFrame(frame: Buffer): void;
  /** True once the connection is closed: nothing more is run. */
  stopped(): boolean;
  /** Stops reading while frames of a read wait for a later turn (`true`), and reads on (`false`). */
  holdReading(hold: boolean): void;
  /** After each turn's frames: backpressure, and whether anything is still owed. */
  afterFrames(): void;
  /** The decoder refused what was read. */
  decodingFailed(error: unknown): void;
}

/**
 * Decodes each read and runs its frames in request order, {@link FRAMES_PER_TURN} per turn, the
 * connection's reading held meanwhile so that the next read comes after them. The replies of a
 * turn's frames leave in one writev, not a syscall each (the socket is corked around them).
 */
export class FrameFeed {
  private frames: readonly Buffer[] = NO_FRAMES;
  private next = 0;

  constructor(
    private readonly socket: Socket,
    /** None for a codec whose frame is the chunk: the chunk is run as it is, no array made. */
    private readonly decoder: Decoder | undefined,
    /** Told after each read whether a frame is still partial. */
    private readonly deadline: FrameDeadline | undefined,
    private readonly host: FrameFeedHost,
  ) {}

  /** True while frames of the last read wait for a turn: they are requests owed a reply. */
  get pending(): boolean {
    return this.next < this.frames.length;
  }

  /** A new read (none of the previous one's frames is pending: reading was held). */
  read(chunk: Buffer): void {
    if (this.decoder === undefined) {
      this.host.runFrame(chunk);
      this.host.afterFrames();
      return;
    }
    let frames: Buffer[];
    try {
      frames = this.decoder.push(chunk);
    } catch (error) {
      this.host.decodingFailed(error);
      return;
    }
    this.deadline?.afterRead(this.decoder.bufferedBytes > 0, frames.length > 0);
    this.frames = frames;
    this.next = 0;
    this.turn();
  }

  private turn(): void {
    const { frames, host } = this;
    const deferred = this.next > 0;
    const end = Math.min(frames.length, this.next + FRAMES_PER_TURN);
    const batch = end - this.next > 1;
    if (batch) this.socket.cork();
    while (this.next < end && !host.stopped()) host.runFrame(frames[this.next++]!);
    if (batch) this.socket.uncork();
    if (host.stopped()) {
      this.frames = NO_FRAMES;
      this.next = 0;
      return;
    }
    if (this.next < frames.length) {
      if (!deferred) host.holdReading(true);
      setImmediate(() => this.turn());
    } else {
      this.frames = NO_FRAMES;
      this.next = 0;
      if (deferred) host.holdReading(false);
    }
    host.afterFrames();
  }
}
