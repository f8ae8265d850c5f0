import type { Socket } from 'node:net';
import type {
  Codec,
  ConnectionFailure,
  ConnectionPeer,
  HandlerContext,
  HandlerOptions,
  Reply,
  ResolvedServerOptions,
  SocketEndpoint,
  SwitchyardError,
} from '@switchyard/protocol';
import { timeHandlerCalls } from './handler-time.js';
import type { MemoryBudget } from './memory-budget.js';
import type { StatsRecorder } from './stats.js';

/** Runs the handler for one request: in this thread, or by sending it elsewhere. */
export type Dispatch = (request: Buffer, context: HandlerContext) => Reply | Promise<Reply>;

export interface ConnectionOptions {
  readonly id: number;
  readonly codec: Codec;
  readonly options: ResolvedServerOptions;
  readonly stats: StatsRecorder;
  /**
   * The server-wide budget (`maxServerBufferedBytes`) this connection's holdings count against;
   * one per server, or one per thread that serves connections (its share of the budget).
   */
  readonly budget: MemoryBudget;
  readonly dispatch: Dispatch;
  /**
   * Whether each `dispatch` is timed into `stats.handlerTime` (see `timeHandlerCalls`). Default
   * true: `dispatch` runs the handler. False where it sends the request to another thread, which
   * times the call where the handler runs (the round trip is not the handler's time).
   */
  readonly timesHandler?: boolean;
  /**
   * Handler calls outstanding at once on this connection. Further requests wait, in order,
   * and count against the buffer cap. Default: unlimited.
   */
  readonly maxInFlight?: number;
  /** Told of the failure that ends this connection, after it is counted (the server's `failure`). */
  readonly onFailure?: (failure: ConnectionFailure) => void;
  /**
   * Told of the client a PROXY protocol header named, once read (`proxyProtocol`): for whoever
   * reports this connection's failures elsewhere (the handoff pool's main thread).
   */
  readonly onProxied?: (client: ConnectionPeer) => void;
  /**
   * The PROXY protocol header was read off the accepted socket before this connection was made
   * (with `tls`, it precedes the handshake: see `openConnection`): the connection reads none of
   * its own, and its handler sees `client` (absent for a header that names none: the socket's
   * own peer).
   */
  readonly proxyHeader?: { readonly client: ConnectionPeer | undefined };
}

/** The timed form of each dispatch, per histogram: made once per server, not per connection. */
const timedDispatches = new WeakMap<object, WeakMap<Dispatch, Dispatch>>();

/** What a connection calls for each request: `dispatch`, timed unless `timesHandler` is false. */
export function connectionDispatch({ dispatch, timesHandler, stats }: ConnectionOptions): Dispatch {
  if (timesHandler === false) return dispatch;
  const times = stats.handlerTime;
  let timed = timedDispatches.get(times);
  if (timed === undefined) timedDispatches.set(times, (timed = new WeakMap()));
  let wrapped = timed.get(dispatch);
  if (wrapped === undefined) timed.set(dispatch, (wrapped = timeHandlerCalls(dispatch, times)));
  return wrapped;
}

/** A socket's own peer (before a PROXY header names another). */
export function socketPeer({ remoteAddress = '', remotePort = 0 }: Socket): ConnectionPeer {
  return { remoteAddress, remotePort };
}

/**
 * The context every request of a connection is handled with, made once per connection. `state`
 * is made on first use: most handlers never touch it, and an idle connection should not pay for
 * an empty Map.
 */
export class ConnectionContext implements HandlerContext {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly proxiedBy?: SocketEndpoint;
  private ownState: Map<unknown, unknown> | undefined;

  constructor(
    readonly connectionId: number,
    peer: ConnectionPeer,
    readonly codec: string,
    readonly options: HandlerOptions,
  ) {
    this.remoteAddress = peer.remoteAddress;
    this.remotePort = peer.remotePort;
    if (peer.proxiedBy !== undefined) this.proxiedBy = peer.proxiedBy;
  }

  get state(): Map<unknown, unknown> {
    this.ownState ??= new Map();
    return this.ownState;
  }

  /** The same connection, its client named by a PROXY protocol header. */
  withPeer(client: ConnectionPeer): ConnectionContext {
    return new ConnectionContext(this.connectionId, client, this.codec, this.options);
  }
}

/** The context of a new connection (see {@link ConnectionContext}). */
export function handlerContext(
  connectionId: number,
  peer: ConnectionPeer,
  codec: Codec,
  options: ResolvedServerOptions,
): ConnectionContext {
  return new ConnectionContext(connectionId, peer, codec.name, options.handlerOptions);
}

/** A failure as the server reports it: the connection, the client as its handler saw it, why. */
export function connectionFailure(
  connectionId: number,
  { remoteAddress, remotePort, proxiedBy }: ConnectionPeer,
  error: SwitchyardError,
): ConnectionFailure {
  return { connectionId, remoteAddress, remotePort, ...(proxiedBy && { proxiedBy }), error };
}
