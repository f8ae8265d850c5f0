/**
 * Offload's admission: how much of the pool's queue one connection may hold, and what a
 * connection costs in memory while the pool holds its requests. Pure functions of counts, so the
 * policy is tested on its own, apart from threads and sockets.
 */

/**
 * What the pool holds for one request beyond its bytes, on the main thread and in the worker:
 * the pending entry and its promise and resolvers, the queue slots, the request's Buffer, the
 * worker's view of it and its reply's place in an answer. Measured at about 600 bytes of
 * main-thread heap per outstanding 2-byte request with the Connection's own part (which charges
 * 128 itself); the rest, rounded up, is charged here.
 */
export const POOL_REQUEST_OVERHEAD_BYTES = 512;

/** What server-core's Connection charges per frame it holds, so the two together fit the cap. */
const CONNECTION_FRAME_OVERHEAD_BYTES = 128;

/**
 * One connection's share of the pool's queue: the queue divided evenly among the connections
 * that have requests in the pool or waiting to enter it (the asking one included), and never
 * less than one request, so that every connection is served. A connection alone may fill the
 * queue; as others arrive its share shrinks, and it is paused until it is back within it.
 */
export function fairShare(capacity: number, connections: number): number {
  return Math.max(1, Math.floor(capacity / Math.max(1, connections)));
}

/** Where one connection stands with the pool's queue. */
export interface ConnectionLoad {
  /** Its requests in the pool's queue: gathered for or sent to a worker, not yet answered. */
  readonly queued: number;
  /** Its requests waiting to enter the queue, because it reached its share. */
  readonly waiting: number;
}

/**
 * How many of a connection's waiting requests (or, with none waiting, of its next ones) may enter
 * the pool's queue now: what is left of its {@link fairShare}. Requests that may not wait in the
 * connection's own backlog, in order, so that the workers' queues never hold more than a share of
 * any one connection: one client slows itself, never everyone.
 */
export function roomInShare(
  load: ConnectionLoad,
  capacity: number,
  busyConnections: number,
): number {
  return Math.max(0, fairShare(capacity, busyConnections) - load.queued);
}

/**
 * True while a connection must stop reading because of the pool's queue: it has reached its
 * share, or requests already wait for room in it.
 */
export function overShare(
  load: ConnectionLoad,
  capacity: number,
  busyConnections: number,
): boolean {
  return load.waiting > 0 || roomInShare(load, capacity, busyConnections) === 0;
}

/** Bytes the pool holds for a connection beyond what its Connection counts itself. */
export function poolHeldBytes(load: ConnectionLoad): number {
  return (load.queued + load.waiting) * POOL_REQUEST_OVERHEAD_BYTES;
}

/**
 * True while a connection must stop reading because of memory: what its Connection holds (the
 * requests' bytes, unwritten replies, a partial frame) plus what the pool holds for it reach the
 * per-connection cap. Never while the pool holds nothing for it: then its Connection's own
 * backpressure decides, and the pool would have no event to resume on.
 */
export function overMemoryCap(load: ConnectionLoad, connectionBytes: number, cap: number): boolean {
  const pool = poolHeldBytes(load);
  return pool > 0 && connectionBytes + pool >= cap;
}

/**
 * True while more of a connection's requests may run: what running them has produced and not yet
 * delivered (replies its socket has not written, requests in the pool with the pool's overhead
 * for each) is below the cap. Past it, a client that does not read its replies gets no more work
 * done until it does. Its requests waiting to run do not count: running them is what frees them,
 * and a connection whose waiting requests alone fill the cap would otherwise wait for ever.
 */
export function mayRun(
  unwrittenBytes: number,
  queued: number,
  queuedBytes: number,
  cap: number,
): boolean {
  return unwrittenBytes + queuedBytes + queued * POOL_REQUEST_OVERHEAD_BYTES < cap;
}

/**
 * Requests one connection may have handed to the pool at once, whatever its share: enough for
 * a pipelining client to keep every thread of a pool busy and its batches full, and few enough
 * that the requests past its share, which wait in the pool at its per-request cost, stay few.
 */
export const MAX_REQUESTS_PER_CONNECTION = 256;

/**
 * The most requests one connection may have handed to the pool at once (queued or waiting): no
 * more than the queue, than {@link MAX_REQUESTS_PER_CONNECTION}, and than the cap pays for at
 * the overhead per request, however small the requests. Past it they wait in the Connection,
 * which keeps only the request (a few bytes and a view of what it read).
 */
export function maxRequestsInPool(capacity: number, cap: number): number {
  const perRequest = POOL_REQUEST_OVERHEAD_BYTES + CONNECTION_FRAME_OVERHEAD_BYTES;
  const paidFor = Math.floor(cap / perRequest);
  return Math.max(1, Math.min(capacity, MAX_REQUESTS_PER_CONNECTION, paidFor));
}

/**
 * Time one message to a worker stands for at most, in microseconds: its handler calls in the
 * worker and, on the main thread, relaying each request and writing its reply. A worker answers
 * a message when it has run all of it, and the main thread settles the whole answer in one go,
 * so a request waits for the batch in front of it and its own: about a millisecond each keeps a
 * client with one request in flight served promptly beside clients that pipeline thousands,
 * while the message cost (tens of microseconds) stays a few percent of the work.
 */
export const BATCH_TARGET_MICROS = 1000;
/**
 * The main thread's own time per request relayed (decode, dispatch, settle, encode, write), in
 * microseconds: about what offload costs over the selector per echo request (docs/benchmarks.md).
 * For cheap handlers it is most of a batch's time, and the main thread, not the workers, is
 * where a large batch keeps others waiting.
 */
export const RELAY_MICROS = 8;
/** Most requests in one message, whatever their measured cost. */
export const MAX_BATCH_REQUESTS = 4096;

/**
 * How many requests one message to a worker may carry: {@link BATCH_TARGET_MICROS} at
 * `costMicros` of handler time (the pool's moving average) plus {@link RELAY_MICROS} per request,
 * at least one.
 */
export function batchLimit(costMicros: number): number {
  if (!(costMicros >= 0)) return MAX_BATCH_REQUESTS;
  const perRequest = costMicros + RELAY_MICROS;
  return Math.max(1, Math.min(MAX_BATCH_REQUESTS, Math.floor(BATCH_TARGET_MICROS / perRequest)));
}
