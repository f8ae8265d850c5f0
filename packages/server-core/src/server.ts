import { EventEmitter, once } from 'node:events';
import { createServer, type ListenOptions, type Server, type Socket } from 'node:net';
import {
  type CloseOptions,
  CloseTimeoutError,
  type ConnectionFailure,
  ConnectionRefusedError,
  ErrorCode,
  ListenFailedError,
  type ResolvedServerOptions,
  ReusePortUnsupportedError,
  type RunningServer,
  type ServerAddress,
  type ServerEvents,
  type ServerStats,
} from '@switchyard/protocol';
import { MemoryBudget } from './memory-budget.js';
import { reusePortUnsupported } from './reuse-port.js';
import { secureContextFor } from './secure-transport.js';
import { claimSocketPath } from './socket-path.js';
import { StatsRecorder } from './stats.js';

/** What the lifecycle needs from a connection, wherever it is served (this thread or a worker). */
export interface TrackedConnection {
  /** Bytes it holds now, for stats. */
  readonly bufferedBytes: number;
  /** Resolves when it has closed. */
  readonly closed: Promise<void>;
  /** Stop reading, deliver replies already owed, then close. */
  closeGracefully(): void;
  /** Close now. */
  destroy(): void;
}

export interface BaseServerInit {
  readonly options: ResolvedServerOptions;
  /** Accept sockets paused, for strategies that decide when (or where) reading starts. */
  readonly pauseOnConnect?: boolean;
}

export const DEFAULT_CLOSE_TIMEOUT_MS = 10_000;

/**
 * `idle` until `listen()`, then `listening`; `closing` from `close()` while connections finish;
 * `closed` once `destroy()` is called, a graceful close has finished, or binding failed.
 */
type State = 'idle' | 'listening' | 'closing' | 'closed';

/**
 * The lifecycle every strategy shares, written once: bind, admit under `maxConnections`, track
 * connections, stats, graceful `close` and immediate `destroy` (both idempotent, in any order).
 * A strategy subclasses it and decides what happens to an admitted socket in {@link accept}.
 */
export abstract class BaseServer extends EventEmitter<ServerEvents> implements RunningServer {
  readonly options: ResolvedServerOptions;
  protected readonly recorder = new StatsRecorder();
  /** `maxServerBufferedBytes`, shared by every connection served on this thread. */
  protected readonly budget: MemoryBudget;
  private readonly connections = new Set<TrackedConnection>();
  private readonly server: Server;
  private state: State = 'idle';
  private nextConnectionId = 1;
  private listenerClosed: Promise<void> | undefined;
  /** What `close()` and `destroy()` return, made once so that every later call returns it. */
  private closeOnce: Promise<void> | undefined;
  private destroyOnce: Promise<void> | undefined;
  private shutdownOnce: Promise<void> | undefined;
  private boundAddress: ServerAddress | undefined;

  constructor({ options, pauseOnConnect = false }: BaseServerInit) {
    super();
    this.options = options;
    this.budget = new MemoryBudget(options.maxServerBufferedBytes);
    this.server = createServer({ allowHalfOpen: true, pauseOnConnect }, (socket) =>
      this.admit(socket),
    );
    // Listener errors after bind (EMFILE on accept) are counted, never thrown at the process.
    // A failure to bind is listen()'s to report, not a socket error of a server that never ran.
    this.server.on('error', () => {
      if (this.server.listening) this.recorder.recordError(ErrorCode.SOCKET_ERROR);
    });
  }

  get address(): ServerAddress {
    if (!this.boundAddress) throw new Error('server is not listening yet');
    return this.boundAddress;
  }

  /** True once `close` or `destroy` has been called. */
  get isClosing(): boolean {
    return this.state === 'closing' || this.state === 'closed';
  }

  /**
   * Binds to `options.host:options.port`, or to the Unix socket `options.path` (see
   * {@link claimSocketPath}). Throws `SWITCHYARD_ERR_LISTEN_FAILED`, or
   * `SWITCHYARD_ERR_REUSEPORT_UNSUPPORTED` for `reusePort` on a Node that would ignore it.
   */
  async listen(): Promise<this> {
    if (this.state !== 'idle') throw new Error('listen() may be called once');
    // A key or certificate that does not parse fails here, not at the first connection.
    if (this.options.tls) secureContextFor(this.options.tls);
    this.state = 'listening';
    const { host, port, path, reusePort } = this.options;
    const unsupported = reusePort ? reusePortUnsupported() : undefined;
    if (unsupported !== undefined) {
      this.state = 'closed';
      throw new ReusePortUnsupportedError(unsupported);
    }
    try {
      if (path !== undefined) await claimSocketPath(path);
      // `reusePort` is missing from Node 20's types; Nodes that know it share the port.
      this.server.listen(
        (path === undefined
          ? { host, port, ...(reusePort && { reusePort }) }
          : { path }) as ListenOptions,
      );
      await once(this.server, 'listening');
    } catch (error) {
      this.state = 'closed';
      if (error instanceof ListenFailedError) throw error;
      const code = (error as NodeJS.ErrnoException).code ?? 'error';
      const where = path === undefined ? `${host}:${port}` : `unix:${path}`;
      throw new ListenFailedError(`cannot listen on ${where}: ${code}`, { cause: error });
    }
    const address = this.server.address();
    if (address === null) throw new ListenFailedError('no address after listening');
    this.boundAddress =
      typeof address === 'string'
        ? { family: 'unix', path: address }
        : {
            host: address.address,
            port: address.port,
            family: address.family === 'IPv6' ? 'IPv6' : 'IPv4',
          };
    await this.onListening();
    return this;
  }

  stats(): ServerStats {
    let buffered = 0;
    for (const connection of this.connections) buffered += connection.bufferedBytes;
    return this.recorder.snapshot(buffered);
  }

  close({ timeoutMs = DEFAULT_CLOSE_TIMEOUT_MS }: CloseOptions = {}): Promise<void> {
    if (this.closeOnce) return this.closeOnce;
    if (this.destroyOnce) return (this.closeOnce = this.destroyOnce);
    this.state = 'closing';
    this.closeOnce = this.closeGracefully(timeoutMs);
    return this.closeOnce;
  }

  destroy(): Promise<void> {
    if (this.destroyOnce) return this.destroyOnce;
    this.state = 'closed';
    this.destroyOnce = (async () => {
      const listenerClosed = this.stopListening();
      for (const connection of this.connections) connection.destroy();
      await this.onDestroy();
      await listenerClosed;
      await this.shutdown();
    })();
    return this.destroyOnce;
  }

  /**
   * Emits `failure` for a connection failure already counted; hand it to each `Connection` as
   * `onFailure`, or call it with failures that arrive from another thread.
   */
  protected readonly reportFailure = (failure: ConnectionFailure): void => {
    this.emit('failure', failure);
  };

  /** Decides what to do with an admitted socket; returns what to track until it closes. */
  protected abstract accept(socket: Socket, connectionId: number): TrackedConnection;

  /** Runs after bind, before `listen()` resolves (start workers here). */
  protected async onListening(): Promise<void> {}

  /** Runs when graceful close begins, after the listener stopped and connections were told. */
  protected async onClose(): Promise<void> {}

  /** Runs when destroy begins, after every connection was destroyed. */
  protected async onDestroy(): Promise<void> {}

  /** Runs once, last, after every connection closed (terminate workers here). */
  protected async onShutdown(): Promise<void> {}

  /**
   * A strategy's own admission limit (a wait-queue cap), checked after `maxConnections`:
   * returns why the next socket must be refused, or undefined to admit it.
   */
  protected refusalReason(): string | undefined {
    return undefined;
  }

  /** Closes a socket that a limit turned away, and counts it. */
  protected refuse(socket: Socket, reason: string): void {
    this.recorder.refused++;
    this.recorder.recordError(new ConnectionRefusedError(reason).code);
    // A Unix domain socket has no reset to send: it is closed.
    if (this.options.path === undefined) socket.resetAndDestroy();
    else socket.destroy();
  }

  /** Tracks a connection until it closes; the strategy calls this for connections it adopts later. */
  protected track(connection: TrackedConnection): void {
    this.connections.add(connection);
    void connection.closed.then(() => {
      this.connections.delete(connection);
      this.recorder.active--;
    });
  }

  private admit(socket: Socket): void {
    if (this.isClosing) {
      socket.destroy();
      return;
    }
    if (this.connections.size >= this.options.maxConnections) {
      this.refuse(socket, `maxConnections (${this.options.maxConnections}) reached`);
      return;
    }
    const refusal = this.refusalReason();
    if (refusal !== undefined) {
      this.refuse(socket, refusal);
      return;
    }
    this.recorder.accepted++;
    this.recorder.active++;
    this.track(this.accept(socket, this.nextConnectionId++));
  }

  private async closeGracefully(timeoutMs: number): Promise<void> {
    const listenerClosed = this.stopListening();
    for (const connection of this.connections) connection.closeGracefully();
    await this.onClose();
    const drained = Promise.all([...this.connections].map((connection) => connection.closed));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(resolve, timeoutMs, 'timeout');
    });
    const outcome = await Promise.race([drained, timedOut]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      this.recorder.recordError(ErrorCode.CLOSE_TIMEOUT);
      for (const connection of this.connections) connection.destroy();
      // Settle like a graceful close: every connection is gone from the stats when this rejects.
      await drained;
    }
    await listenerClosed;
    this.state = 'closed';
    await this.shutdown();
    if (outcome === 'timeout') throw new CloseTimeoutError(timeoutMs);
  }

  private stopListening(): Promise<void> {
    this.listenerClosed ??= new Promise((resolve) => {
      // The callback waits for every socket of this server to close; destroy() guarantees that.
      if (this.server.listening) this.server.close(() => resolve());
      else resolve();
    });
    return this.listenerClosed;
  }

  private shutdown(): Promise<void> {
    this.shutdownOnce ??= this.onShutdown();
    return this.shutdownOnce;
  }
}
