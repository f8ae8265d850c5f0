import { performance } from 'node:perf_hooks';
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import {
  getCodec,
  type Handler,
  type HandlerContext,
  isSwitchyardError,
  loadHandler,
  type Reply,
  resolveHandlerSpecifier,
} from '@switchyard/protocol';
import { Connection, type StatsDelta, StatsRecorder } from '@switchyard/server-core';
import {
  type AdoptConnection,
  type CloseConnection,
  type FromWorker,
  packBytes,
  type RequestBatch,
  type RequestFailure,
  type ToWorker,
  unpackAt,
  type WorkerInit,
} from './messages.js';
import { ReplyRing } from './reply-ring.js';

// The entry point of every pool thread. Offload: answer request batches. Handoff: run whole
// connections with server-core's Connection and report stats to the main thread.

const port = parentPort!;
const init = workerData as WorkerInit;
const codec = getCodec(init.options.codec);

function post(message: FromWorker, transfer?: ArrayBuffer[]): void {
  port.postMessage(message, transfer);
}

/**
 * Bare specifiers (`@scope/pkg/handler`) are resolved from this package first: the handler's
 * package is usually a dependency of the app that depends on us, not of the protocol package
 * whose `loadHandler` does the import.
 */
function handlerSpecifier(spec: string): string {
  const specifier = resolveHandlerSpecifier(spec);
  if (/^[a-z][a-z0-9+.-]*:/i.test(specifier)) return specifier;
  try {
    return import.meta.resolve(specifier);
  } catch {
    return specifier;
  }
}

// ---- offload ---------------------------------------------------------------------------------

const peers = new Map<number, HandlerContext>();
/** Where synchronous replies go first when the pool uses reply rings. */
const ring = init.replyRing ? new ReplyRing(init.replyRing) : undefined;
let replyIds: number[] = [];
let replies: Reply[] = [];
let failures: RequestFailure[] = [];
let flushScheduled = false;

/**
 * Sends the replies gathered for a message, with how many batches were run to the end since the
 * last answer (sent even when there are no replies, so the main thread knows the worker is free),
 * or with nothing at all when `wake` asks the main thread to read the reply ring.
 */
function flushReplies(batchesDone = 0, runMicros = 0, handlerCalls = 0, wake = false): void {
  flushScheduled = false;
  if (!wake && batchesDone === 0 && replyIds.length === 0 && failures.length === 0) return;
  const { bytes, ends } = packBytes(replies);
  post(
    {
      type: 'replies',
      requestIds: replyIds,
      ends,
      bytes,
      failures,
      batchesDone,
      runMicros,
      handlerCalls,
    },
    [bytes],
  );
  replyIds = [];
  replies = [];
  failures = [];
}

function scheduleFlush(): void {
  if (flushScheduled) return;
  flushScheduled = true;
  setImmediate(() => flushReplies());
}

function failRequest(requestId: number, error: unknown): void {
  failures.push({
    requestId,
    message: error instanceof Error ? error.message : String(error),
    ...(isSwitchyardError(error) ? { code: error.code } : {}),
  });
}

/** A reply for the next message (async replies, and any that the ring cannot take). */
function finishRequest(requestId: number, reply: unknown): void {
  if (reply instanceof Uint8Array) {
    replyIds.push(requestId);
    replies.push(reply);
  } else {
    failRequest(requestId, new TypeError(`handler returned ${typeof reply}, expected bytes`));
  }
}

function contextOf(connectionId: number): HandlerContext {
  let context = peers.get(connectionId);
  if (!context) {
    // Unreachable unless a peer message was lost; a context without an address still works.
    context = {
      connectionId,
      remoteAddress: '',
      remotePort: 0,
      codec: codec.name,
      options: init.handlerOptions,
    };
    peers.set(connectionId, context);
  }
  return context;
}

/** When the message being gathered started, and the handler calls whose replies it carries. */
let answerStarted = 0;
let answerBatches = 0;
let answerCalls = 0;
let answerMicros = 0;

/**
 * Answers: sends the message gathered since {@link answerStarted} and starts the next one at
 * `now`. With a reply ring, batches done are counted in the ring, and the message goes only if
 * it carries replies or the main thread has not read everything yet (then it wakes it to).
 */
function answer(now: number): void {
  if (ring) {
    if (answerBatches > 0) ring.batchesDone(answerBatches);
    flushReplies(0, answerMicros, answerCalls, ring.owed);
  } else {
    flushReplies(answerBatches, answerMicros, answerCalls);
  }
  answerStarted = now;
  answerBatches = 0;
  answerCalls = 0;
  answerMicros = 0;
}

/** Answers if a reply not yet seen by the main thread is older than the merge budget. */
function answerIfDue(now: number): void {
  let oldest = answerStarted;
  if (ring) {
    // Replies in the ring age from when they were written; the main thread may read them first.
    const unreadSince = ring.oldestUnreadSince;
    oldest =
      replyIds.length + failures.length > 0 ? Math.min(answerStarted, unreadSince) : unreadSince;
  }
  if ((now - oldest) * 1000 >= init.mergeBudgetMicros) answer(now);
}

/**
 * Runs a batch, then the batches already queued behind it, answering whenever a reply has
 * waited longer than the merge budget. A reply waits at most about that long for others to
 * share its message (each message wakes the main thread), and the worker still has requests in
 * hand while its first replies go round to the client and back: answering only when out of work
 * would leave it idle for that round trip. After twice the budget it takes no more queued
 * batches and lets its event loop run (async replies, other messages). Never waits for work.
 */
function runBatches(handler: Handler, first: RequestBatch): void {
  const started = performance.now();
  answerStarted = started;
  answerBatches = 0;
  answerCalls = 0;
  answerMicros = 0;
  let batch: RequestBatch | undefined = first;
  let now = started;
  while (batch) {
    now = runBatch(handler, batch, now);
    answerBatches++;
    batch = undefined;
    answerIfDue(now);
    if ((now - started) * 1000 >= 2 * init.mergeBudgetMicros) break;
    const queued = receiveMessageOnPort(port)?.message as ToWorker | undefined;
    if (queued?.type === 'requests') batch = queued;
    else if (queued) handleMessage(handler, queued);
  }
  // Out of work (or time): what the main thread has not seen goes now. Async replies join a
  // later flush.
  answer(performance.now());
}

/**
 * Runs one batch's handler calls (the synchronous part), from `now`; returns the time after the
 * last call.
 */
function runBatch(handler: Handler, batch: RequestBatch, now: number): number {
  for (const [connectionId, remoteAddress, remotePort] of batch.peers) {
    peers.set(connectionId, {
      connectionId,
      remoteAddress,
      remotePort,
      codec: codec.name,
      options: init.handlerOptions,
    });
  }
  const last = batch.requestIds.length - 1;
  for (let i = 0; i <= last; i++) {
    const request = unpackAt(batch.bytes, batch.ends, i);
    const requestId = batch.requestIds[i]!;
    const result = callHandler(handler, requestId, request, contextOf(batch.connectionIds[i]!));
    const finished = performance.now();
    const runMicros = (finished - now) * 1000;
    if (result !== undefined) {
      if (!ring?.tryWrite(requestId, result, runMicros, finished)) {
        finishRequest(requestId, result);
        answerCalls++;
        answerMicros += runMicros;
      }
    }
    now = finished;
    // The batch's last reply waits for runBatches, which counts the batch as done in its answer.
    if (i < last) answerIfDue(now);
  }
  for (const connectionId of batch.forget) peers.delete(connectionId);
  return now;
}

/**
 * One handler call. Returns a synchronous reply; failures, and async replies when they settle,
 * join the next message.
 */
function callHandler(
  handler: Handler,
  requestId: number,
  request: Buffer,
  context: HandlerContext,
): Uint8Array | undefined {
  let result: Reply | Promise<Reply>;
  try {
    result = handler(request, context);
  } catch (error) {
    failRequest(requestId, error);
    return undefined;
  }
  if (result instanceof Uint8Array) return result;
  if (result && typeof result.then === 'function') {
    result.then(
      (reply) => {
        finishRequest(requestId, reply);
        scheduleFlush();
      },
      (error) => {
        failRequest(requestId, error);
        scheduleFlush();
      },
    );
  } else {
    finishRequest(requestId, result);
  }
  return undefined;
}

// ---- handoff ---------------------------------------------------------------------------------

/** How often counters are pushed to the main thread while connections are open. */
const STATS_INTERVAL_MS = 20;

const recorder = new StatsRecorder();
const connections = new Map<number, Connection>();
let reported: StatsDelta = emptyDelta();
let statsTimer: NodeJS.Timeout | undefined;

function emptyDelta(): StatsDelta {
  return {
    accepted: 0,
    bytesIn: 0,
    bytesOut: 0,
    framesIn: 0,
    framesOut: 0,
    peakConnectionBufferedBytes: 0,
    errors: {},
  };
}

/** Sends what changed since the last report (if anything did). */
function reportStats(force = false): void {
  const now = recorder.snapshot(0);
  const errors: Record<string, number> = {};
  let changed = now.peakConnectionBufferedBytes > reported.peakConnectionBufferedBytes;
  for (const [code, count] of Object.entries(now.errors)) {
    const before = (reported.errors as Record<string, number>)[code] ?? 0;
    if (count! > before) {
      errors[code] = count! - before;
      changed = true;
    }
  }
  const delta: StatsDelta = {
    accepted: 0,
    bytesIn: now.bytesIn - reported.bytesIn,
    bytesOut: now.bytesOut - reported.bytesOut,
    framesIn: now.framesIn - reported.framesIn,
    framesOut: now.framesOut - reported.framesOut,
    peakConnectionBufferedBytes: now.peakConnectionBufferedBytes,
    errors,
  };
  changed ||= delta.bytesIn > 0 || delta.bytesOut > 0 || delta.framesIn > 0 || delta.framesOut > 0;
  const buffered: [number, number][] = [];
  for (const [id, connection] of connections) {
    const bytes = connection.bufferedBytes;
    if (bytes > 0) buffered.push([id, bytes]);
  }
  if (!changed && !force && buffered.length === 0) return;
  reported = {
    accepted: 0,
    bytesIn: now.bytesIn,
    bytesOut: now.bytesOut,
    framesIn: now.framesIn,
    framesOut: now.framesOut,
    peakConnectionBufferedBytes: now.peakConnectionBufferedBytes,
    errors: now.errors,
  };
  post({ type: 'stats', delta, buffered });
}

function adopt(handler: Handler, { connectionId, socket }: AdoptConnection): void {
  const connection = new Connection(socket, {
    id: connectionId,
    codec,
    options: init.options,
    stats: recorder,
    dispatch: handler,
  });
  connections.set(connectionId, connection);
  statsTimer ??= setInterval(() => reportStats(), STATS_INTERVAL_MS);
  void connection.closed.then(() => {
    connections.delete(connectionId);
    // The final counters arrive before the close notice: the port keeps message order.
    reportStats(true);
    post({ type: 'closed', connectionId });
    if (connections.size === 0 && statsTimer) {
      clearInterval(statsTimer);
      statsTimer = undefined;
    }
  });
}

function closeConnection({ connectionId, graceful }: CloseConnection): void {
  const connection = connections.get(connectionId);
  if (!connection) return;
  if (graceful) connection.closeGracefully();
  else connection.destroy();
}

function handleMessage(handler: Handler, message: ToWorker): void {
  switch (message.type) {
    case 'requests':
      runBatches(handler, message);
      break;
    case 'adopt':
      adopt(handler, message);
      break;
    case 'close':
      closeConnection(message);
      break;
  }
}

// ---- start -----------------------------------------------------------------------------------

async function start(): Promise<void> {
  const specifier = handlerSpecifier(init.handler);
  let handler: Handler;
  try {
    handler = await loadHandler(specifier);
  } catch (error) {
    post({
      type: 'load-failed',
      message: error instanceof Error ? error.message : String(error),
      specifier,
      ...(isSwitchyardError(error) ? { code: error.code } : {}),
    });
    port.close();
    return;
  }
  port.on('message', (message: ToWorker) => handleMessage(handler, message));
  post({ type: 'ready' });
}

void start();
