import { performance } from 'node:perf_hooks';
import {
  type ConnectionPeer,
  type Handler,
  type HandlerContext,
  handlerFailure,
  type Reply,
  serializeError,
} from '@switchyard/protocol';
import { ConnectionContext } from '@switchyard/server-core';
import { ByteRing, carry, totalLength, worthRing } from './byte-ring.js';
import {
  type ReplyBatch,
  type RequestBatch,
  type RequestFailure,
  type ToOffloadWorker,
  unpackAt,
} from './messages.js';
import {
  callReturned,
  callStarted,
  handlerTimes,
  init,
  onExiting,
  post,
  startWorker,
} from './worker-host.js';

// The entry of an offload thread: runs the handler for batches of requests and answers each
// with one message of replies.

/** How a handler call went when it returned: a reply, a throw, or a promise still pending. */
type Outcome = 'answered' | 'failed' | 'pending';

/** What the next answer carries. */
class Answer {
  requestIds: number[] = [];
  replies: Uint8Array[] = [];
  failures: RequestFailure[] = [];
  batchesDone = 0;
  runMicros = 0;
  handlerCalls = 0;

  get empty(): boolean {
    return this.batchesDone === 0 && this.requestIds.length === 0 && this.failures.length === 0;
  }

  reply(requestId: number, reply: unknown): void {
    if (reply instanceof Uint8Array) {
      this.requestIds.push(requestId);
      this.replies.push(reply);
    } else {
      this.fail(requestId, new TypeError(`handler returned ${typeof reply}, expected bytes`));
    }
  }

  fail(requestId: number, error: unknown): void {
    this.failures.push({ requestId, error: serializeError(handlerFailure(error)) });
  }

  /** Into the reply ring if there is one with room (the main thread gives it back), else packed. */
  send(replyRing: ByteRing | undefined): void {
    const { requestIds, failures, batchesDone, runMicros, handlerCalls } = this;
    const total = totalLength(this.replies);
    const ring = worthRing(this.replies.length, total) ? replyRing?.reserve(total) : undefined;
    const { ends, bytes } = carry(this.replies, replyRing, ring);
    // One object literal, never a spread: see the note on messages at the top of messages.ts.
    const answer: ReplyBatch = {
      type: 'replies',
      requestIds,
      ends,
      bytes,
      ring,
      failures,
      batchesDone,
      runMicros,
      handlerCalls,
    };
    post(answer, bytes && [bytes]);
  }
}

class OffloadWorker {
  private readonly codecName = init.codecName;
  private readonly peers = new Map<number, HandlerContext>();
  private answer = new Answer();
  private lateAnswerScheduled = false;
  /**
   * The link's rings, from the batch that brings them (the first one worth a ring, or the one after
   * an answer that was; any batch may): requests are read from one, replies go in the other. Until
   * then every answer goes packed.
   */
  private requestRing: ByteRing | undefined;
  private replyRing: ByteRing | undefined;
  constructor(private readonly handler: Handler) {
    // A thread that exits mid-batch still delivers the replies it finished: only the call that
    // was running (and async ones still pending) die with it.
    onExiting(() => this.flush());
  }

  /**
   * Runs every handler call of a batch, then answers with the synchronous replies (and any async
   * ones settled meanwhile): one answer per batch, so the main thread may send the next.
   */
  run(batch: RequestBatch): void {
    if (batch.rings) {
      this.requestRing = new ByteRing(batch.rings.requests);
      this.replyRing = new ByteRing(batch.rings.replies);
    }
    this.runBatch(batch, batch.bytes ?? this.takeRequests(batch));
    this.answer.batchesDone++;
    this.flush();
  }

  private flush(): void {
    this.lateAnswerScheduled = false;
    if (this.answer.empty) return;
    this.answer.send(this.replyRing);
    this.answer = new Answer();
  }

  /** Async replies that settle between batches go in an answer of their own. */
  private scheduleLateAnswer(): void {
    if (this.lateAnswerScheduled) return;
    this.lateAnswerScheduled = true;
    setImmediate(() => this.flush());
  }

  /**
   * The batch's requests, copied out of the request ring so that the ring's bytes go back at once:
   * a handler owns its request and may keep it.
   */
  private takeRequests(batch: RequestBatch): ArrayBuffer {
    const { at, size } = batch.ring!;
    const total = batch.ends[batch.ends.length - 1] ?? 0;
    // Not zero-filled (every byte is written next), and never a slice of Node's buffer pool:
    // the requests are read back from offset 0 of its ArrayBuffer.
    const own = Buffer.allocUnsafeSlow(total);
    own.set(this.requestRing!.data.subarray(at, at + total));
    this.requestRing!.release(size);
    return own.buffer;
  }

  private runBatch(batch: RequestBatch, bytes: ArrayBuffer): void {
    for (const [connectionId, remoteAddress, remotePort, proxiedBy] of batch.peers) {
      const peer = { remoteAddress, remotePort, ...(proxiedBy && { proxiedBy }) };
      this.peers.set(connectionId, this.context(connectionId, peer));
    }
    // One clock read per call: each call's end is the next one's start.
    let started = performance.now();
    for (let i = 0; i < batch.requestIds.length; i++) {
      const requestId = batch.requestIds[i]!;
      const connectionId = batch.connectionIds[i]!;
      const context =
        this.peers.get(connectionId) ??
        this.context(connectionId, { remoteAddress: '', remotePort: 0 });
      const outcome = this.call(requestId, unpackAt(bytes, batch.ends, i), context, started);
      const finished = performance.now();
      if (outcome !== 'pending') {
        const ms = finished - started;
        handlerTimes.observe(ms);
        if (outcome === 'answered') {
          this.answer.runMicros += ms * 1000;
          this.answer.handlerCalls++;
        }
      }
      started = finished;
    }
    for (const connectionId of batch.forget) this.peers.delete(connectionId);
  }

  /**
   * One handler call: `answered` synchronously (its time is the handler's cost), `failed` (a
   * throw), or `pending`: the reply joins a later answer, and the call is timed, from `started`,
   * when it settles.
   */
  private call(
    requestId: number,
    request: Buffer,
    context: HandlerContext,
    started: number,
  ): Outcome {
    let result: Reply | Promise<Reply>;
    callStarted(requestId);
    try {
      result = this.handler(request, context);
    } catch (error) {
      this.answer.fail(requestId, error);
      return 'failed';
    } finally {
      callReturned();
    }
    if (!(result && typeof (result as Promise<Reply>).then === 'function')) {
      this.answer.reply(requestId, result);
      return 'answered';
    }
    (result as Promise<Reply>).then(
      (reply) => {
        handlerTimes.observe(performance.now() - started);
        this.answer.reply(requestId, reply);
        this.scheduleLateAnswer();
      },
      (error: unknown) => {
        handlerTimes.observe(performance.now() - started);
        this.answer.fail(requestId, error);
        this.scheduleLateAnswer();
      },
    );
    return 'pending';
  }

  /**
   * server-core's context, the one the selector's handlers get: this thread keeps one per
   * connection it serves, and its `state` Map is made on first use, not with the connection.
   */
  private context(connectionId: number, peer: ConnectionPeer): HandlerContext {
    return new ConnectionContext(connectionId, peer, this.codecName, init.options.handlerOptions);
  }
}

void startWorker<ToOffloadWorker>((handler) => {
  const worker = new OffloadWorker(handler);
  return (batch) => worker.run(batch);
});
