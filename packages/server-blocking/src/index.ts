import {
  defineIntegerOption,
  resolveServerOptions,
  type ServerOptions,
  type Strategy,
} from '@switchyard/protocol';
import { loadService } from '@switchyard/server-core';
import { BlockingServer, type ResolvedBlockingOptions } from './server.js';

export { BlockingServer, READ_AHEAD_BYTES, type ResolvedBlockingOptions } from './server.js';

/** The blocking strategy's own option, as the CLI offers it and {@link resolveBlockingOptions} checks it. */
export const blockingOptions = {
  maxWaiting: defineIntegerOption({
    key: 'maxWaiting',
    description: 'clients allowed to wait while one is served; more are refused',
    defaultText: 'unlimited',
    acceptsInfinity: true,
  }),
} as const;

/** Options of the blocking strategy: the common {@link ServerOptions} plus a wait-queue cap. */
export interface BlockingOptions extends ServerOptions {
  /**
   * Clients allowed to wait (accepted, unserved) while one is served. Beyond it, new connections
   * are refused (reset) and counted as `SWITCHYARD_ERR_CONNECTION_REFUSED`. Default unlimited;
   * `maxConnections` still caps served plus waiting.
   */
  maxWaiting?: number;
}

/** Fills in defaults and validates; throws `SWITCHYARD_ERR_INVALID_OPTION`. */
export function resolveBlockingOptions(options: BlockingOptions = {}): ResolvedBlockingOptions {
  const { maxWaiting, ...serverOptions } = options;
  return {
    // Its own keys are named too, so that a misspelt `maxWaitng` is told about `maxWaiting`.
    ...resolveServerOptions(serverOptions, Object.keys(blockingOptions)),
    maxWaiting:
      maxWaiting === undefined
        ? Number.POSITIVE_INFINITY
        : blockingOptions.maxWaiting.validate(maxWaiting),
  };
}

/** The blocking strategy: one connection served at a time, the others wait in arrival order. */
export const blockingStrategy: Strategy<BlockingOptions> = {
  name: 'blocking',
  description: 'one connection at a time, the others wait their turn',
  capabilities: { connections: 'one-at-a-time', parallelHandlers: false },
  importFrom: { module: import.meta.url, export: 'blockingStrategy' },
  options: Object.values(blockingOptions),
  async listen(options) {
    const resolved = resolveBlockingOptions(options);
    const service = await loadService(resolved);
    const server = new BlockingServer(resolved, service);
    try {
      return await server.listen();
    } catch (error) {
      await service.handler.teardown();
      throw error;
    }
  },
};
