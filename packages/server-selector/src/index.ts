import type { Socket } from 'node:net';
import {
  type Codec,
  getCodec,
  type Handler,
  loadHandler,
  type ResolvedServerOptions,
  resolveServerOptions,
  type ServerOptions,
  type Strategy,
} from '@switchyard/protocol';
import { BaseServer, Connection } from '@switchyard/server-core';

/** Options of the selector strategy: exactly the common {@link ServerOptions}. */
export type SelectorOptions = ServerOptions;

/**
 * One event loop (libuv's epoll, what `sel.select()` is in the classic Python `selectors` echo
 * server) watches every socket. The listener being readable is `accept`: each socket gets a
 * {@link Connection}, the per-connection state (address, decoder, replies in request order,
 * bytes held). A readable socket is decoded and its requests handled right there, on this
 * thread; replies are written in request order, and past `maxBufferedBytesPerConnection` the
 * connection stops reading until the socket drains (`drain` plays the part of `EVENT_WRITE`).
 * The README walks through the loop.
 */
export class SelectorServer extends BaseServer {
  private readonly codec: Codec;

  constructor(
    options: ResolvedServerOptions,
    private readonly handler: Handler,
  ) {
    super({ options });
    this.codec = getCodec(options.codec);
  }

  protected accept(socket: Socket, connectionId: number): Connection {
    return new Connection(socket, {
      id: connectionId,
      codec: this.codec,
      options: this.options,
      stats: this.recorder,
      dispatch: this.handler,
    });
  }
}

/** The selector strategy: many connections, one thread, handlers never in parallel. */
export const selectorStrategy: Strategy<SelectorOptions> = {
  name: 'selector',
  description: 'one event loop multiplexes every connection',
  capabilities: { connections: 'concurrent', parallelHandlers: false },
  async listen(options) {
    const resolved = resolveServerOptions(options);
    const handler = await loadHandler(resolved.handler);
    return new SelectorServer(resolved, handler).listen();
  },
};
