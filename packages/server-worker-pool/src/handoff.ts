import { Socket } from 'node:net';
import { MessageChannel } from 'node:worker_threads';
import {
  type Codec,
  type ConnectionPeer,
  deserializeError,
  ErrorCode,
  type ResolvedServerOptions,
  type SwitchyardError,
  type WorkerExitedError,
} from '@switchyard/protocol';
import { connectionFailure, type TrackedConnection } from '@switchyard/server-core';
import { pickLeastLoaded } from './balance.js';
import type { FromWorker, StatsReport } from './messages.js';
import type { PoolWorker } from './pool.js';
import { PoolServer, type WorkerLoss } from './pool-server.js';

let socketTransfer: boolean | undefined;

/**
 * True when this Node can transfer a `net.Socket` to a worker thread. Asked of the runtime, not
 * of its version: a fresh socket is put in a transfer list once. Where sockets are not
 * transferable at all, that throws `ERR_INVALID_TRANSFER_OBJECT` (a `DataCloneError` on some
 * versions); where they are, it either succeeds or refuses only this socket's state (it is not
 * connected).
 */
export function canTransferSockets(): boolean {
  if (socketTransfer !== undefined) return socketTransfer;
  const { port1, port2 } = new MessageChannel();
  const probe = new Socket();
  try {
    port1.postMessage(probe, [probe as unknown as ArrayBuffer]);
    socketTransfer = true;
  } catch (error) {
    const { code, name } = error as { code?: string; name?: string };
    socketTransfer = !(code === 'ERR_INVALID_TRANSFER_OBJECT' || name === 'DataCloneError');
  } finally {
    port1.close();
    port2.close();
    probe.destroy();
  }
  return socketTransfer;
}

/**
 * A connection served by a worker, as the main thread's lifecycle sees it: close and destroy
 * are messages, `closed` resolves when the worker reports the close (or dies).
 */
class RemoteConnection implements TrackedConnection {
  bufferedBytes = 0;
  readonly closed: Promise<void>;
  private done = false;
  private resolveClosed!: () => void;

  constructor(
    readonly id: number,
    readonly worker: PoolWorker,
    /**
     * Where the client is: read before the socket moves to the worker, then the client its PROXY
     * protocol header named, when the worker says so.
     */
    public peer: ConnectionPeer,
    /** Called once, when it closes. */
    private readonly onClosed: () => void,
  ) {
    this.closed = new Promise((resolve) => {
      this.resolveClosed = resolve;
    });
  }

  closeGracefully(): void {
    if (!this.done) this.worker.post({ type: 'close', connectionId: this.id, graceful: true });
  }

  destroy(): void {
    if (!this.done) this.worker.post({ type: 'close', connectionId: this.id, graceful: false });
  }

  markClosed(): void {
    if (this.done) return;
    this.done = true;
    this.bufferedBytes = 0;
    this.onClosed();
    this.resolveClosed();
  }
}

export interface HandoffInit {
  readonly options: ResolvedServerOptions;
  readonly codec: Codec;
  readonly workers: number;
}

/**
 * Handoff mode: this thread only accepts (paused, never reading) and transfers each socket to
 * the worker with the fewest connections, which runs the whole connection loop. Stats come back
 * as deltas; limits, graceful close and destroy work through {@link RemoteConnection}.
 */
export class HandoffServer extends PoolServer {
  private readonly remotes = new Map<number, RemoteConnection>();
  /** Open connections per pool slot, for the pick. */
  private readonly owned: number[] = [];
  /** Per thread, the connections its last list said hold bytes (the others hold none). */
  private readonly holders = new Map<PoolWorker, readonly number[]>();

  constructor({ options, codec, workers }: HandoffInit) {
    super({ options, codec, mode: 'handoff', workers, pauseOnConnect: true });
  }

  protected accept(socket: Socket, connectionId: number): TrackedConnection {
    const { workers } = this.pool;
    // A thread the pool is stopping is still in its slot until its exit arrives; a socket sent
    // to it would die with it, unread.
    const loads = workers.map((slot, index) =>
      slot && slot.stoppedFor === undefined ? (this.owned[index] ?? 0) : undefined,
    );
    const worker = workers[pickLeastLoaded(loads)];
    if (!worker) {
      this.recorder.recordError(ErrorCode.WORKER_EXITED);
      socket.destroy();
      return { bufferedBytes: 0, closed: Promise.resolve(), closeGracefully() {}, destroy() {} };
    }
    const { index } = worker;
    this.owned[index] = (this.owned[index] ?? 0) + 1;
    const { remoteAddress = '', remotePort = 0 } = socket;
    const remote = new RemoteConnection(connectionId, worker, { remoteAddress, remotePort }, () => {
      // A replacement thread starts with nothing: count only for the thread that owned it.
      if (this.pool.workers[index] === worker) this.owned[index]!--;
    });
    try {
      worker.post({ type: 'adopt', connectionId, socket }, [socket]);
    } catch {
      // The socket cannot move (already reset by the peer, say): it never got served.
      this.recorder.recordError(ErrorCode.SOCKET_ERROR);
      socket.destroy();
      remote.markClosed();
      return remote;
    }
    this.remotes.set(connectionId, remote);
    return remote;
  }

  /** A thread's list of what its connections hold replaces its last one. */
  private holdings(worker: PoolWorker, buffered: NonNullable<StatsReport['buffered']>): void {
    for (const connectionId of this.holders.get(worker) ?? []) {
      const remote = this.remotes.get(connectionId);
      if (remote) remote.bufferedBytes = 0;
    }
    for (const [connectionId, bytes] of buffered) {
      const remote = this.remotes.get(connectionId);
      if (remote) remote.bufferedBytes = bytes;
    }
    this.holders.set(
      worker,
      buffered.map(([connectionId]) => connectionId),
    );
  }

  protected onWorkerMessage(worker: PoolWorker, message: FromWorker): void {
    if (message.type === 'stats') {
      this.recorder.add(message.delta);
      if (message.buffered) this.holdings(worker, message.buffered);
    } else if (message.type === 'closed') {
      this.remotes.get(message.connectionId)?.markClosed();
      this.remotes.delete(message.connectionId);
    } else if (message.type === 'proxied') {
      const { type: _, connectionId, ...client } = message;
      const remote = this.remotes.get(connectionId);
      if (remote) remote.peer = client;
    } else if (message.type === 'failure') {
      const { type: _, error, ...where } = message;
      this.reportFailure({ ...where, error: deserializeError(error) as SwitchyardError });
    }
  }

  /**
   * A thread's sockets end with it: each connection it served fails (counted and reported as
   * `SWITCHYARD_ERR_WORKER_EXITED`), and only those.
   */
  protected onWorkerExit(worker: PoolWorker, error: WorkerExitedError): WorkerLoss {
    this.owned[worker.index] = 0;
    this.holders.delete(worker);
    let lost = 0;
    for (const [connectionId, remote] of this.remotes) {
      if (remote.worker !== worker) continue;
      lost++;
      this.recorder.recordError(ErrorCode.WORKER_EXITED);
      this.reportFailure(connectionFailure(connectionId, remote.peer, error));
      remote.markClosed();
      this.remotes.delete(connectionId);
    }
    return { lostConnections: lost };
  }

  protected override async onShutdown(): Promise<void> {
    await super.onShutdown();
    // After destroy, the threads took their sockets with them.
    for (const remote of this.remotes.values()) remote.markClosed();
    this.remotes.clear();
  }
}
