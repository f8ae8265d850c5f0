import type { Socket } from 'node:net';
import {
  type ResolvedServerOptions,
  resolveServerOptions,
  type Strategy,
} from '@switchyard/protocol';
import { BaseServer, loadService, openConnection } from '@switchyard/server-core';

/**
 * Strategies built from server-core for the suite's own tests: a faithful one (the selector's
 * composition: any codec and handler through `loadService`, one thread), and broken ones whose
 * faults only server control can see (options ignored, stats wrong).
 */
function coreStrategy(
  name: string,
  adjust: (options: ResolvedServerOptions) => ResolvedServerOptions,
): Strategy {
  return {
    name,
    description: `server-core test strategy: ${name}`,
    capabilities: { connections: 'concurrent', parallelHandlers: false },
    async listen(options) {
      const resolved = resolveServerOptions(options);
      const { codec, handler } = await loadService(resolved);
      const effective = adjust(resolved);
      class Server extends BaseServer {
        protected accept(socket: Socket, id: number) {
          return openConnection(socket, {
            id,
            codec,
            options: effective,
            stats: this.recorder,
            budget: this.budget,
            dispatch: handler.handle,
            onFailure: this.reportFailure,
          });
        }

        protected override onShutdown(): Promise<void> {
          return handler.teardown();
        }
      }
      return new Server({ options: effective }).listen();
    },
  };
}

export const faithful = coreStrategy('faithful', (options) => options);

/** Ignores `maxBufferedBytesPerConnection`: buffers without limit for a client that never reads. */
export const unbounded = coreStrategy('unbounded', (options) => ({
  ...options,
  maxBufferedBytesPerConnection: 1024 * 1024 * 1024,
}));

/** Ignores `maxFrameBytes`. */
export const noFrameLimit = coreStrategy('no-frame-limit', (options) => ({
  ...options,
  maxFrameBytes: 0xffff_ffff,
}));

/** Ignores `proxyProtocol`: a PROXY header reaches its codec as if it were requests. */
export const ignoresProxyProtocol = coreStrategy('ignores-proxy-protocol', (options) => ({
  ...options,
  proxyProtocol: 'off',
}));
