import type { Socket } from 'node:net';
import {
  type ResolvedServerOptions,
  resolveServerOptions,
  type ServerOptions,
  type Strategy,
} from '@switchyard/protocol';
import {
  BaseServer,
  loadService,
  openConnection,
  type ServedConnection,
  type Service,
} from '@switchyard/server-core';

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
  constructor(
    options: ResolvedServerOptions,
    private readonly service: Service,
  ) {
    super({ options });
  }

  protected accept(socket: Socket, connectionId: number): ServedConnection {
    return openConnection(socket, {
      id: connectionId,
      codec: this.service.codec,
      options: this.options,
      stats: this.recorder,
      budget: this.budget,
      dispatch: this.service.handler.handle,
      onFailure: this.reportFailure,
    });
  }

  protected override onShutdown(): Promise<void> {
    return this.service.handler.teardown();
  }
}

/** The selector strategy: many connections, one thread, handlers never in parallel. */
export const selectorStrategy: Strategy<SelectorOptions> = {
  name: 'selector',
  description: 'one event loop multiplexes every connection',
  capabilities: { connections: 'concurrent', parallelHandlers: false },
  importFrom: { module: import.meta.url, export: 'selectorStrategy' },
  async listen(options) {
    const resolved = resolveServerOptions(options);
    const service = await loadService(resolved);
    const server = new SelectorServer(resolved, service);
    try {
      return await server.listen();
    } catch (error) {
      await service.handler.teardown();
      throw error;
    }
  },
};
