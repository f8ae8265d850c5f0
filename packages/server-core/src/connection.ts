import type { Socket } from 'node:net';
import {
  type Codec,
  type Decoder,
  ErrorCode,
  type HandlerContext,
  HandlerFailedError,
  IdleTimeoutError,
  isSwitchyardError,
  type Reply,
  type ResolvedServerOptions,
} from '@switchyard/protocol';
import type { StatsRecorder } from './stats.js';

/** Runs the handler for one request: in this thread, or by sending it elsewhere. */
export type Dispatch = (request: Buffer, context: HandlerContext) => Reply | Promise<Reply>;

export interface ConnectionOptions {
  readonly id: number;
  readonly codec: Codec;
  readonly options: ResolvedServerOptions;
  readonly stats: StatsRecorder;
  readonly dispatch: Dispatch;
  /**
   * Handler calls outstanding at once on this connection. Further requests wait, in order,
   * and count against the buffer cap. Default: unlimited.
   */
  readonly maxInFlight?: number;
}

/** A reply's place in the per-connection order; filled when its handler finishes. */
interface ReplySlot {
  reply: Reply | undefined;
  /** Bytes this slot holds: the request while its handler runs, then the reply. */
  heldBytes: number;
}

const EMPTY = Buffer.alloc(0);

/**
 * What one frame held costs beyond its bytes (its Buffer object, its reply slot and promise, or
 * its entry in the socket's write queue). Backpressure charges it, so that a flood of tiny frames
 * is bounded by the memory it takes and not only by payload bytes; stats count bytes only.
 */
const FRAME_OVERHEAD_BYTES = 128;

/** The stateless decoder of the `raw` codec, shared by every raw connection. */
let rawDecoder: Decoder | undefined;

/**
 * Longest a gracefully closing connection keeps reading, and dropping, what a client still
 * sends after our replies and FIN have gone out (see `releaseAfterFlush`).
 */
const LINGER_MS = 250;
/** A closing client that sent nothing for this long is done sending. */
const QUIET_MS = 10;

/**
 * One client connection and its state: address, decoder, replies in request order, and the
 * bytes it holds. Bytes flow one way: socket `data` -> decoder -> dispatch -> reply slot ->
 * encoder -> socket `write`. The socket's writable buffer is the outbound queue; when it and
 * the requests awaiting replies pass `maxBufferedBytesPerConnection`, reading stops until the
 * socket drains (`drain` is the selector's EVENT_WRITE).
 */
export class Connection {
  readonly id: number;
  readonly socket: Socket;
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** Resolves once the socket has closed, for whatever reason. */
  readonly closed: Promise<void>;

  private readonly decoder: Decoder;
  /**
   * True for the `raw` codec, whose frame is the chunk as it arrived: the read path then skips
   * the decoder and the one-element array it would allocate for every chunk.
   */
  private readonly chunkIsFrame: boolean;
  private readonly context: HandlerContext;
  private readonly codec: Codec;
  private readonly stats: StatsRecorder;
  private readonly dispatch: Dispatch;
  private readonly maxInFlight: number;
  private readonly cap: number;
  /** Replies not yet written, oldest first; `slots[0]` blocks the rest until it is filled. */
  private readonly slots: ReplySlot[] = [];
  /** Requests not yet dispatched because `maxInFlight` handler calls are outstanding. */
  private readonly waiting: Buffer[] = [];
  private inFlight = 0;
  /** Bytes in `slots` and `waiting`: requests awaiting replies, replies awaiting their turn. */
  private requestBytes = 0;
  /** Writes queued in the socket since its queue was last seen empty (an upper bound). */
  private writesQueued = 0;
  /** Why reading is paused; created on the first pause, since most connections never pause. */
  private pauseReasons: Set<string> | undefined;
  /** A zero-length write is queued to tell us when the bytes before it have been written. */
  private flushWatch = false;
  private readEnded = false;
  private closing = false;
  private ended = false;
  private resolveClosed!: () => void;
  private readonly onData = (chunk: Buffer) => this.onReadable(chunk);
  private readonly onEnd = () => this.onReadEnd();

  constructor(
    socket: Socket,
    { id, codec, options, stats, dispatch, maxInFlight }: ConnectionOptions,
  ) {
    this.id = id;
    this.socket = socket;
    this.remoteAddress = socket.remoteAddress ?? '';
    this.remotePort = socket.remotePort ?? 0;
    this.codec = codec;
    this.stats = stats;
    this.dispatch = dispatch;
    this.maxInFlight = maxInFlight ?? Number.POSITIVE_INFINITY;
    this.cap = options.maxBufferedBytesPerConnection;
    this.chunkIsFrame = codec.name === 'raw';
    // `raw` keeps no state between chunks, so every raw connection shares one decoder.
    this.decoder = this.chunkIsFrame
      ? (rawDecoder ??= codec.createDecoder({ maxFrameBytes: options.maxFrameBytes }))
      : codec.createDecoder({ maxFrameBytes: options.maxFrameBytes });
    this.context = {
      connectionId: id,
      remoteAddress: this.remoteAddress,
      remotePort: this.remotePort,
      codec: codec.name,
      options: options.handlerOptions,
    };
    this.closed = new Promise((resolve) => {
      this.resolveClosed = resolve;
    });

    socket.setNoDelay(options.noDelay);
    if (options.idleTimeoutMs > 0) {
      socket.setTimeout(options.idleTimeoutMs);
      socket.on('timeout', () => this.fail(new IdleTimeoutError(options.idleTimeoutMs)));
    }
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('drain', () => this.updateBackpressure());
    // Node has already destroyed the socket when it emits 'error' (reset, broken pipe).
    socket.on('error', () => this.stats.recordError(ErrorCode.SOCKET_ERROR));
    socket.on('close', () => this.resolveClosed());
    // Accepted with `pauseOnConnect`, or paused by a strategy: reading starts now.
    socket.resume();
  }

  /** Bytes received on this connection so far (the socket's own counter: free to keep). */
  get bytesIn(): number {
    return this.socket.bytesRead;
  }

  /** Bytes of replies written (or queued to be written) on this connection so far. */
  get bytesOut(): number {
    return this.socket.bytesWritten;
  }

  /** Bytes this connection holds now: a partial frame, requests awaiting replies, unwritten replies. */
  get bufferedBytes(): number {
    return this.decoder.bufferedBytes + this.requestBytes + this.socket.writableLength;
  }

  /** Stops reading until {@link resume} is called with the same reason. */
  pause(reason: string): void {
    (this.pauseReasons ??= new Set()).add(reason);
    this.socket.pause();
  }

  resume(reason: string): void {
    if (!this.pauseReasons?.delete(reason)) return;
    if (this.pauseReasons.size === 0 && !this.closing && !this.socket.destroyed)
      this.socket.resume();
  }

  /** Stops reading, delivers the replies to requests already received, then closes. */
  closeGracefully(): void {
    if (this.closing) return;
    this.closing = true;
    this.socket.pause();
    this.finishIfIdle();
  }

  destroy(): void {
    this.socket.destroy();
  }

  private onReadable(chunk: Buffer): void {
    this.stats.bytesIn += chunk.length;
    if (this.chunkIsFrame) {
      this.onFrame(chunk);
    } else {
      let frames: Buffer[];
      try {
        frames = this.decoder.push(chunk);
      } catch (error) {
        this.fail(error);
        return;
      }
      for (let i = 0; i < frames.length; i++) {
        this.onFrame(frames[i]!);
        if (this.socket.destroyed) return;
      }
    }
    this.updateBackpressure();
  }

  /** Runs a request now, or queues it behind the `maxInFlight` handler calls outstanding. */
  private onFrame(frame: Buffer): void {
    this.stats.framesIn++;
    if (this.inFlight < this.maxInFlight) this.run(frame);
    else {
      this.waiting.push(frame);
      this.requestBytes += frame.length;
    }
  }

  private run(request: Buffer): void {
    let result: Reply | Promise<Reply>;
    this.inFlight++;
    try {
      result = this.dispatch(request, this.context);
    } catch (error) {
      this.inFlight--;
      this.failHandler(error);
      return;
    }
    if (result instanceof Uint8Array) {
      // Synchronous handler: nothing to wait for, and the order is kept if nothing is queued.
      this.inFlight--;
      if (this.slots.length === 0) this.send(result);
      else {
        // Behind a reply still owed: it waits its turn, and its bytes count against the cap.
        this.slots.push({ reply: result, heldBytes: result.length });
        this.requestBytes += result.length;
      }
      return;
    }
    if (!(result && typeof (result as Promise<Reply>).then === 'function')) {
      this.inFlight--;
      this.failHandler(new TypeError(`handler returned ${typeof result}, expected bytes`));
      return;
    }
    const slot: ReplySlot = { reply: undefined, heldBytes: request.length };
    this.slots.push(slot);
    this.requestBytes += request.length;
    (result as Promise<Reply>).then(
      (reply) => this.complete(slot, reply),
      (error) => this.failHandler(error),
    );
  }

  private complete(slot: ReplySlot, reply: Reply): void {
    this.inFlight--;
    if (this.socket.destroyed) return;
    if (!(reply instanceof Uint8Array)) {
      this.failHandler(new TypeError(`handler resolved to ${typeof reply}, expected bytes`));
      return;
    }
    slot.reply = reply;
    this.requestBytes += reply.length - slot.heldBytes;
    slot.heldBytes = reply.length;
    while (this.slots.length > 0 && this.slots[0]!.reply !== undefined) {
      const ready = this.slots.shift()!;
      this.requestBytes -= ready.heldBytes;
      this.send(ready.reply!);
    }
    while (this.waiting.length > 0 && this.inFlight < this.maxInFlight && !this.socket.destroyed) {
      const request = this.waiting.shift()!;
      this.requestBytes -= request.length;
      this.run(request);
    }
    this.updateBackpressure();
    this.finishIfIdle();
  }

  private send(reply: Reply): void {
    if (this.socket.destroyed) return;
    const bytes = this.codec.encode(reply);
    this.stats.framesOut++;
    this.stats.bytesOut += bytes.length;
    this.socket.write(bytes);
    // Written through at once (the common case) unless something is left queued.
    if (this.socket.writableLength > 0) this.writesQueued++;
  }

  /** Pauses reading while this connection holds more than its cap; resumes below it. */
  private updateBackpressure(): void {
    const writable = this.socket.writableLength;
    if (writable === 0) this.writesQueued = 0;
    const bytes = this.requestBytes + writable;
    this.stats.observeBuffered(bytes + this.decoder.bufferedBytes);
    const frames = this.slots.length + this.waiting.length + this.writesQueued;
    const held = bytes + frames * FRAME_OVERHEAD_BYTES;
    // The common case, checked first: below the cap and reading.
    if (held < this.cap) {
      if (this.pauseReasons?.size) this.resume('backpressure');
      return;
    }
    if (this.socket.destroyed) return;
    if (!this.pauseReasons?.has('backpressure')) this.pause('backpressure');
    this.watchFlush();
  }

  /**
   * Makes sure something calls {@link updateBackpressure} again once queued bytes are written.
   * `drain` fires only after a write returned false, that is at the socket's high-water mark
   * (16 KiB on Node 20, 64 KiB on 22+); a smaller cap would wait for it forever. A zero-length
   * write completes, in order, right after everything queued before it, so its callback is
   * that signal. Re-armed on every check: replies finishing while paused queue bytes behind it.
   * Requests awaiting replies need no watch: each completion checks again.
   */
  private watchFlush(): void {
    const socket = this.socket;
    if (this.flushWatch || socket.writableLength === 0 || socket.writableNeedDrain) return;
    if (socket.writableEnded) return;
    this.flushWatch = true;
    socket.write(EMPTY, () => {
      this.flushWatch = false;
      this.updateBackpressure();
    });
  }

  private onReadEnd(): void {
    this.readEnded = true;
    try {
      this.decoder.end();
    } catch (error) {
      this.fail(error);
      return;
    }
    this.finishIfIdle();
  }

  /** Ends our side once the client has ended (or we are closing) and every reply is written. */
  private finishIfIdle(): void {
    if (this.ended || !(this.readEnded || this.closing)) return;
    if (this.inFlight > 0 || this.slots.length > 0 || this.waiting.length > 0) return;
    this.ended = true;
    // Half-close: the client may still read; end() sends FIN after the queued replies.
    // Graceful close: nothing more will be read, so release the socket once it is flushed.
    if (this.closing) this.releaseAfterFlush();
    else this.socket.end();
  }

  /**
   * Ends our side and closes the socket once the replies and the FIN are written. A client may
   * still be sending, its bytes unread in our socket; closing a socket with unread input makes
   * the kernel send a reset, which can make the client drop replies it has not read yet (seen on
   * Linux loopback: all of them). So first read and drop what the client sends until it ends,
   * or goes quiet for {@link QUIET_MS}, or {@link LINGER_MS} pass (a lingering close, as HTTP
   * servers do). A client that sends nothing more costs the close one quiet period.
   */
  private releaseAfterFlush(): void {
    const socket = this.socket;
    socket.end();
    socket.once('finish', () => {
      if (socket.destroyed) return;
      if (socket.readableEnded) {
        socket.destroy();
        return;
      }
      let heard = false;
      socket.off('data', this.onData).off('end', this.onEnd);
      socket.setTimeout(0);
      socket.on('data', () => {
        heard = true;
      });
      socket.once('end', () => socket.destroy());
      const quiet = setInterval(() => {
        if (!heard) socket.destroy();
        heard = false;
      }, QUIET_MS);
      const linger = setTimeout(() => socket.destroy(), LINGER_MS);
      socket.once('close', () => {
        clearInterval(quiet);
        clearTimeout(linger);
      });
      socket.resume();
    });
  }

  private failHandler(error: unknown): void {
    this.fail(
      isSwitchyardError(error)
        ? error
        : new HandlerFailedError(
            `handler failed: ${error instanceof Error ? error.message : String(error)}`,
            { cause: error },
          ),
    );
  }

  /** Counts the failure by code and closes this connection only. */
  private fail(error: unknown): void {
    if (this.socket.destroyed) return;
    this.stats.recordError(isSwitchyardError(error) ? error.code : ErrorCode.SOCKET_ERROR);
    this.socket.destroy();
  }
}
