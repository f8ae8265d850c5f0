import type { Socket } from 'node:net';
import {
  type Codec,
  type ConnectionPeer,
  type Decoder,
  decoderFailure,
  handlerFailure,
  IdleTimeoutError,
  type Reply,
  type SwitchyardError,
} from '@switchyard/protocol';
import {
  type ConnectionContext,
  type ConnectionOptions,
  connectionDispatch,
  connectionFailure,
  type Dispatch,
  handlerContext,
  socketPeer,
} from './connection-options.js';
import { answersIn, type ConnectionState, readsIn } from './connection-state.js';
import { FrameDeadline, HandlerDeadline } from './deadlines.js';
import { FrameFeed, type FrameFeedHost } from './frame-feed.js';
import { Holdings } from './holdings.js';
import { Lifecycle, type LifecycleHost } from './lifecycle.js';
import { type ProxyHeaderGate, proxyHeaderGate } from './proxy-header-gate.js';
import { readAtMostOneChunkWhilePaused } from './read-ahead.js';
import { ReplyOrder, type ReplySlot } from './reply-order.js';
import { secureTransport, socketFailure } from './secure-transport.js';
import { listenTo, type SocketEvents, stopServing } from './socket-events.js';
import type { StatsRecorder } from './stats.js';

export type { ConnectionOptions, Dispatch } from './connection-options.js';

/**
 * One client connection: address, decoder, replies in request order, and what it holds
 * ({@link Holdings}: against its cap and the server's budget). Bytes flow socket `data` (with `tls`
 * on, a TLS socket over the accepted one: {@link secureTransport}) -> (PROXY header, when on: {@link ProxyHeaderGate}) -> decoder -> dispatch -> reply slot ->
 * encoder -> socket `write`; past the cap, reading stops until the socket drains. Its life is
 * one {@link ConnectionState}, kept by its {@link Lifecycle}; pause, resume, close and destroy
 * the socket through it.
 */
export class Connection implements FrameFeedHost, LifecycleHost, SocketEvents {
  readonly id: number;
  readonly socket: Socket;
  /** Resolves once the socket has closed, for whatever reason. */
  readonly closed: Promise<void>;

  /** None for a codec whose frame is the chunk: no decoder, no array allocated per chunk. */
  private readonly decoder: Decoder | undefined;
  /** Made once; made again only when a PROXY header names the client, before any request. */
  private context: ConnectionContext;
  /** With `proxyProtocol` on, until the header is read; the codec sees nothing before. */
  private gate: ProxyHeaderGate | undefined;
  private readonly codec: Codec;
  private readonly stats: StatsRecorder;
  private readonly dispatch: Dispatch;
  private readonly told: Pick<ConnectionOptions, 'onFailure' | 'onProxied'>;
  private readonly cap: number;
  private readonly order: ReplyOrder;
  private readonly holdings: Holdings;
  /** Absent when off (0), and for codecs whose frame is the chunk (nothing is ever partial). */
  private readonly frameDeadline: FrameDeadline | undefined;
  private readonly feed: FrameFeed;
  private readonly handlerDeadline: HandlerDeadline | undefined;
  private readonly lifecycle: Lifecycle;
  /** Why reading is paused; created on the first pause, since most connections never pause. */
  private pauseReasons: Set<string> | undefined;
  private resolveClosed!: () => void;

  constructor(accepted: Socket, init: ConnectionOptions) {
    const { id, codec, options, stats, budget, maxInFlight, proxyHeader } = init;
    this.id = id;
    const socket = (this.socket = secureTransport(accepted, options));
    this.lifecycle = new Lifecycle(socket, this);
    this.codec = codec;
    this.stats = stats;
    this.dispatch = connectionDispatch(init);
    this.told = init;
    this.order = new ReplyOrder(maxInFlight ?? Number.POSITIVE_INFINITY);
    this.cap = options.maxBufferedBytesPerConnection;
    this.decoder = codec.frameIsChunk
      ? undefined
      : codec.createDecoder({ maxFrameBytes: options.maxFrameBytes });
    const peer = proxyHeader?.client ?? socketPeer(socket);
    this.context = handlerContext(id, peer, codec, options);
    this.gate = proxyHeader ? undefined : proxyHeaderGate(options, peer, this);
    this.holdings = new Holdings(socket, this.order, this.decoder, stats, budget, this);
    const { frameTimeoutMs, handlerTimeoutMs } = options;
    if (this.decoder && frameTimeoutMs > 0)
      this.frameDeadline = new FrameDeadline(frameTimeoutMs, this);
    this.feed = new FrameFeed(socket, this.decoder, this.frameDeadline, this);
    if (handlerTimeoutMs > 0)
      this.handlerDeadline = new HandlerDeadline(handlerTimeoutMs, this.order, this);
    this.closed = new Promise((resolve) => {
      this.resolveClosed = resolve;
    });
    readAtMostOneChunkWhilePaused(socket);
    socket.setNoDelay(options.noDelay);
    listenTo(socket, this, options.idleTimeoutMs);
    // Accepted with `pauseOnConnect`, or paused by a strategy: reading starts now.
    socket.resume();
  }

  /** Where this connection is in its life (see {@link Lifecycle}). */
  get state(): ConnectionState {
    return this.lifecycle.state;
  }

  /** The client, as its handler sees it: the socket's peer, or the client a PROXY header named. */
  get peer(): ConnectionPeer {
    return this.context;
  }

  /** Bytes this connection holds now: a partial frame, requests awaiting replies, unwritten replies. */
  get bufferedBytes(): number {
    return this.holdings.bufferedBytes;
  }

  /** Stops reading until {@link resume} is called with the same reason. */
  pause(reason: string): void {
    (this.pauseReasons ??= new Set()).add(reason);
    this.socket.pause();
  }

  /** Resumes reading once no reason to pause is left, unless the connection has stopped reading. */
  resume(reason: string): void {
    if (!this.pauseReasons?.delete(reason)) return;
    if (this.pauseReasons.size === 0 && readsIn(this.state)) this.socket.resume();
  }

  /** Stops reading, delivers the replies to requests already received, then closes. */
  closeGracefully(): void {
    this.lifecycle.apply('close-gracefully');
    this.finishIfIdle();
  }

  destroy(): void {
    this.socket.destroy();
  }

  // What its parts call back (its lifecycle, frame feed, holdings and PROXY header gate) are
  // methods of the connection itself, not a closure each: an idle connection's memory is mostly
  // such objects. Reading stopped (for good): neither a frame nor the PROXY header can be late.
  stoppedReading(): void {
    this.frameDeadline?.stop();
    this.gate?.stop();
  }
  /** A lingering close started: nothing more is served. */
  stopServing(): void {
    stopServing(this.socket);
  }
  runFrame(frame: Buffer): void {
    this.onFrame(frame);
  }
  stopped(): boolean {
    return this.isClosed();
  }
  holdReading(hold: boolean): void {
    if (hold) this.pause('turn');
    else this.resume('turn');
  }
  afterFrames(): void {
    this.updateBackpressure();
    this.finishIfIdle();
  }
  decodingFailed(error: unknown): void {
    this.fail(decoderFailure(error, this.codec.name));
  }
  refused(error: SwitchyardError): void {
    this.fail(error);
  }
  /** The PROXY header was read: the client it names is the peer, and what follows is read. */
  passed(client: ConnectionPeer | undefined, rest: Buffer): void {
    this.gate = undefined;
    if (client) {
      this.context = this.context.withPeer(client);
      this.told.onProxied?.(client);
    }
    if (rest.length > 0) this.feed.read(rest);
  }

  // A method, not a getter: TypeScript would keep a narrowed `state` across the calls between.
  private isClosed(): boolean {
    return this.state === 'closed';
  }

  /** Runs a request now, or queues it behind the `maxInFlight` handler calls outstanding. */
  private onFrame(frame: Buffer): void {
    this.stats.framesIn++;
    if (this.order.admit(frame)) this.run(frame);
  }

  private run(request: Buffer): void {
    let result: Reply | Promise<Reply>;
    try {
      result = this.dispatch(request, this.context);
    } catch (error) {
      this.order.abandon();
      this.fail(handlerFailure(error));
      return;
    }
    if (result instanceof Uint8Array) {
      // Synchronous handler: written at once, unless a reply before it is still owed (then it
      // waits its turn, and its bytes count against the cap).
      if (this.order.answeredNow(result)) this.send(result);
      return;
    }
    if (!(result && typeof (result as Promise<Reply>).then === 'function')) {
      this.order.abandon();
      this.fail(handlerFailure(new TypeError(`handler returned ${typeof result}, expected bytes`)));
      return;
    }
    const deadline = this.handlerDeadline;
    const slot = this.order.reserve(request, deadline === undefined ? 0 : deadline.now());
    if (deadline !== undefined && this.order.oldestPending === slot) deadline.watchOldest();
    (result as Promise<Reply>).then(
      (reply) => this.complete(slot, reply),
      (error) => {
        if (answersIn(this.state)) this.fail(handlerFailure(error));
      },
    );
  }

  private complete(slot: ReplySlot, reply: Reply): void {
    this.order.settle();
    if (!answersIn(this.state)) return;
    if (!(reply instanceof Uint8Array)) {
      this.fail(
        handlerFailure(new TypeError(`handler resolved to ${typeof reply}, expected bytes`)),
      );
      return;
    }
    this.order.fill(slot, reply);
    this.holdings.gatherWrites();
    for (let ready = this.order.takeReady(); ready !== undefined; ready = this.order.takeReady()) {
      this.send(ready);
    }
    while (!this.isClosed()) {
      const request = this.order.takeRunnable();
      if (request === undefined) break;
      this.run(request);
    }
    this.updateBackpressure();
    this.finishIfIdle();
  }

  private send(reply: Reply): void {
    if (this.isClosed()) return;
    let bytes: Buffer;
    try {
      bytes = this.codec.encode(reply);
    } catch (error) {
      // A reply the codec cannot carry (`\n` in a `lines` frame): nothing after it would frame.
      this.fail(decoderFailure(error, this.codec.name));
      return;
    }
    this.holdings.write(bytes);
  }

  /**
   * Pauses reading while this connection holds its cap or more; resumes below it. One that holds
   * nothing but a frame still arriving reads on past the cap: the frame cannot complete
   * otherwise, and the decoder refuses it past `maxFrameBytes`.
   */
  private updateBackpressure(): void {
    const held = this.holdings.update();
    // The common case, checked first: below the cap and reading.
    if (held < this.cap || this.holdings.besidesPartialFrame === 0) {
      if (this.pauseReasons?.size) this.resume('backpressure');
      return;
    }
    if (this.isClosed()) return;
    if (!this.pauseReasons?.has('backpressure')) this.pause('backpressure');
    this.holdings.watchFlush();
  }

  read(chunk: Buffer): void {
    this.stats.bytesIn += chunk.length;
    if (this.gate === undefined) this.feed.read(chunk);
    else this.gate.read(chunk);
  }

  flushed(): void {
    this.updateBackpressure();
  }

  socketError(error: Error): void {
    this.report(socketFailure(this.socket, error));
  }

  socketClosed(): void {
    this.holdings.release();
    this.stoppedReading();
    this.handlerDeadline?.stop();
    this.resolveClosed();
  }

  idle(): void {
    this.fail(new IdleTimeoutError(this.socket.timeout ?? 0));
  }

  readEnded(): void {
    if (this.gate?.ended()) return;
    this.lifecycle.apply('read-end');
    try {
      this.decoder?.end();
    } catch (error) {
      this.fail(decoderFailure(error, this.codec.name));
      return;
    }
    this.finishIfIdle();
  }

  /** Tells the state that nothing is owed, once every reply is written (see `idle`). */
  private finishIfIdle(): void {
    if (!this.order.owed && !this.feed.pending) this.lifecycle.apply('idle');
  }

  /**
   * A handler call outlived `handlerTimeoutMs` (its deadline calls this): reports `error` and
   * gives up on every request and reply this connection holds, then closes
   * it after the replies already written: those before the late call have all gone to the
   * socket (replies leave in order and the oldest pending call is the late one), so the client
   * gets every reply owed before it, and none after.
   */
  timedOut(error: SwitchyardError): void {
    if (!answersIn(this.state)) return;
    this.report(error);
    this.order.dropAll();
    this.lifecycle.apply('give-up');
    this.updateBackpressure();
  }

  /**
   * Counts and reports the failure, and closes this connection only: what its holdings (over the
   * server's memory budget) and its frame deadline call.
   */
  fail(error: SwitchyardError): void {
    if (this.isClosed()) return;
    this.report(error);
    this.socket.destroy();
  }

  private report(error: SwitchyardError): void {
    this.stats.recordError(error.code);
    this.told.onFailure?.(connectionFailure(this.id, this.context, error));
  }
}
