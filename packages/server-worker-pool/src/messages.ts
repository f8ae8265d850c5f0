import type { Socket } from 'node:net';
import type { ResolvedServerOptions, SerializedError, SocketEndpoint } from '@switchyard/protocol';
import type { StatsDelta } from '@switchyard/server-core';

/**
 * Everything that crosses between the main thread and a worker, in one place.
 * Byte payloads travel packed, one region per message, because a message costs microseconds
 * whatever it carries: offload packs large ones into a ring of shared memory made once per worker
 * when first needed (`src/byte-ring.ts`), else into one transferred ArrayBuffer.
 *
 * A message sent per batch is written as one object literal, never `{ ...shared, more }`: on
 * Node 20 (V8 11.3) an object made by spread outlives young-generation GCs whatever refers to it,
 * and drags what it points to along, so every batch's arrays and what hangs off them reached the
 * old generation and the isolate ran a full GC every few thousand requests (docs/benchmarks.md,
 * 2026-12-07). Node 22 and later do not.
 */

/** How the pool uses its workers; fixed when the server starts. */
export type PoolMode = 'offload' | 'handoff';

/** What a worker needs to load the handler and serve, given once at start. */
export interface WorkerInit {
  /** With `codec` and `handler` as module specifiers: only those cross to a thread. */
  readonly options: ResolvedServerOptions;
  /** The codec's name, for `context.codec`. */
  readonly codecName: string;
  /** Handoff workers decode, so they load the codec (`options.codec`, a specifier) too. */
  readonly loadsCodec: boolean;
}

/** What each thread gets besides {@link WorkerInit}: its own windows on what it does. */
export interface WorkerStart extends WorkerInit {
  /** A {@link Progress} over 16 bytes, written by the thread and read by the main thread. */
  readonly progress: SharedArrayBuffer;
  /**
   * Its handler calls, timed (server-core's `HandlerTimes` over it): written by the thread, read
   * by the main thread for `stats()`, with no message per call or per answer.
   */
  readonly handlerTime: SharedArrayBuffer;
}

/**
 * How far a thread got, in memory both threads see, so that the main thread knows it even when
 * the thread can no longer say (dead, or stuck in a synchronous handler call): `[STARTED]` is the
 * last call begun (offload: its request id; handoff: a count) and `[RUNNING]` the call running
 * synchronously now, 0 between calls. One plain store each side of a call, no message.
 */
export type Progress = Float64Array;
export const STARTED = 0;
export const RUNNING = 1;
export const PROGRESS_BYTES = 16;

/**
 * A client address, sent the first time a worker sees a request of that connection; with the
 * balancer that relayed it when a PROXY protocol header named the client.
 */
export type PeerInfo = readonly [
  connectionId: number,
  remoteAddress: string,
  remotePort: number,
  proxiedBy?: SocketEndpoint,
];

/** Offload: where a message's bytes sit in a ring (`src/byte-ring.ts`): offset, and region size. */
export interface RingPlace {
  readonly at: number;
  readonly size: number;
}

/** Offload: the shared memory of one link, requests one way and replies the other. */
export interface LinkRings {
  readonly requests: SharedArrayBuffer;
  readonly replies: SharedArrayBuffer;
}

/**
 * Offload: requests gathered during one turn of the main event loop for one worker.
 * Request `i` is `bytes[ends[i - 1] ?? 0, ends[i])`, from connection `connectionIds[i]`.
 */
export interface RequestBatch {
  readonly type: 'requests';
  readonly requestIds: readonly number[];
  readonly connectionIds: readonly number[];
  readonly ends: readonly number[];
  /** The requests' bytes, transferred; absent when they are in the request ring ({@link RingPlace}). */
  readonly bytes?: ArrayBuffer;
  readonly ring?: RingPlace;
  /**
   * The link's two rings, made once by the main thread, with the first batch that is worth a ring
   * or follows an answer that was (a link that only carries small payloads never makes them).
   */
  readonly rings?: LinkRings;
  /** Connections this worker has not seen before. */
  readonly peers: readonly PeerInfo[];
  /** Connections that closed: the worker may forget them. */
  readonly forget: readonly number[];
}

/** Offload: a handler call that threw, rejected or returned something that is not bytes. */
export interface RequestFailure {
  readonly requestId: number;
  readonly error: SerializedError;
}

/**
 * Offload: the one way replies come back. Replies the worker finished since its last answer,
 * packed like requests, and what it knows about its own progress.
 */
export interface ReplyBatch {
  readonly type: 'replies';
  readonly requestIds: readonly number[];
  readonly ends: readonly number[];
  /** The replies' bytes, transferred; absent when they are in the reply ring ({@link RingPlace}). */
  readonly bytes?: ArrayBuffer;
  readonly ring?: RingPlace;
  readonly failures: readonly RequestFailure[];
  /**
   * Request batches whose every handler call has been made since the last answer (async calls
   * may still be pending; their replies come in a later answer). The main thread may send that
   * many more.
   */
  readonly batchesDone: number;
  /** Microseconds spent in the handler calls whose synchronous replies this answer carries. */
  readonly runMicros: number;
  /** Handler calls that `runMicros` covers. */
  readonly handlerCalls: number;
}

/** Handoff: a whole connection, its socket transferred (accepted paused, never read). */
export interface AdoptConnection {
  readonly type: 'adopt';
  readonly connectionId: number;
  readonly socket: Socket;
}

/** Handoff: close one adopted connection, gracefully (deliver owed replies) or now. */
export interface CloseConnection {
  readonly type: 'close';
  readonly connectionId: number;
  readonly graceful: boolean;
}

/** Handoff: counters since the last report, plus what each open connection holds now. */
export interface StatsReport {
  readonly type: 'stats';
  readonly delta: StatsDelta;
  /**
   * Every connection of the thread holding bytes, and how many; the others hold none. Absent when
   * the thread did not look (nothing moved and nothing was held, or the report of a close): what
   * the main thread knows stands.
   */
  readonly buffered?: readonly (readonly [connectionId: number, bytes: number])[];
}

/** Handoff: an adopted connection closed (sent after its final stats report). */
export interface ConnectionClosed {
  readonly type: 'closed';
  readonly connectionId: number;
}

/** Handoff: a failure ended a connection in the worker (already counted in its stats). */
export interface ConnectionFailed {
  readonly type: 'failure';
  readonly connectionId: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly proxiedBy?: SocketEndpoint;
  readonly error: SerializedError;
}

/**
 * Handoff: an adopted connection's PROXY protocol header named its client, so the main thread
 * reports what ends it (the worker's exit) with the address its handler saw.
 */
export interface ConnectionProxied {
  readonly type: 'proxied';
  readonly connectionId: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly proxiedBy?: SocketEndpoint;
}

/** The handler loaded: the worker takes work from now on. */
export interface WorkerReady {
  readonly type: 'ready';
}

/** The handler could not be loaded; the worker exits after sending this. */
export interface WorkerLoadFailed {
  readonly type: 'load-failed';
  readonly error: SerializedError;
}

/**
 * The thread is exiting (`process.exit`, or an uncaught error): why, with the stack where the
 * exit came from, sent from its `exit` event so that it arrives before the main thread's.
 */
export interface WorkerExiting {
  readonly type: 'exiting';
  readonly exitCode: number;
  /** True for an uncaught error; false when the thread called process.exit or ran out of work. */
  readonly crashed: boolean;
  readonly error: SerializedError;
  readonly stack: string | undefined;
}

/** The pool is shutting down: run the handler's teardown, then say `torn-down`. */
export interface TearDown {
  readonly type: 'teardown';
}

/** The handler's teardown has run (or failed: the pool terminates the thread either way). */
export interface TornDown {
  readonly type: 'torn-down';
}

export type ToOffloadWorker = RequestBatch | TearDown;
export type ToHandoffWorker = AdoptConnection | CloseConnection | TearDown;
export type ToWorker = ToOffloadWorker | ToHandoffWorker;
export type FromWorker =
  | WorkerReady
  | WorkerLoadFailed
  | ReplyBatch
  | StatsReport
  | ConnectionClosed
  | ConnectionFailed
  | ConnectionProxied
  | WorkerExiting
  | TornDown;

/** Packs byte strings into one fresh ArrayBuffer (to transfer) and their end offsets. */
export function packBytes(parts: readonly Uint8Array[]): { bytes: ArrayBuffer; ends: number[] } {
  let total = 0;
  const ends = new Array<number>(parts.length);
  for (let i = 0; i < parts.length; i++) {
    total += parts[i]!.length;
    ends[i] = total;
  }
  const bytes = new ArrayBuffer(total);
  const view = new Uint8Array(bytes);
  let offset = 0;
  for (const part of parts) {
    view.set(part, offset);
    offset += part.length;
  }
  return { bytes, ends };
}

/** The `index`-th byte string of a packed message, as a Buffer view (no copy). */
export function unpackAt(bytes: ArrayBuffer, ends: readonly number[], index: number): Buffer {
  const start = index === 0 ? 0 : ends[index - 1]!;
  return Buffer.from(bytes, start, ends[index]! - start);
}
