import type {
  Codec,
  ConnectionFailure,
  ConnectionPeer,
  HandlerContext,
  Reply,
  ResolvedServerOptions,
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
}

/** What a connection calls for each request: `dispatch`, timed unless `timesHandler` is false. */
export function connectionDispatch({ dispatch, timesHandler, stats }: ConnectionOptions): Dispatch {
  return timesHandler === false ? dispatch : timeHandlerCalls(dispatch, stats.handlerTime);
}

/** The context every request of a connection is handled with, made once per connection. */
export function handlerContext(
  connectionId: number,
  { remoteAddress, remotePort }: ConnectionPeer,
  codec: Codec,
  options: ResolvedServerOptions,
): HandlerContext {
  return {
    connectionId,
    remoteAddress,
    remotePort,
    codec: codec.name,
    options: options.handlerOptions,
    state: new Map(),
  };
}

/** A failure as the server reports it: the connection, the client as its handler saw it, why. */
export function connectionFailure(
  connectionId: number,
  { remoteAddress, remotePort, proxiedBy }: ConnectionPeer,
  error: SwitchyardError,
): ConnectionFailure {
  return { connectionId, remoteAddress, remotePort, ...(proxiedBy && { proxiedBy }), error };
}
