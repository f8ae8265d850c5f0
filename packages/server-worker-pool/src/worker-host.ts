import { parentPort, workerData } from 'node:worker_threads';
import {
  type Codec,
  type Handler,
  type LoadedHandler,
  loadCodec,
  loadHandler,
  resolveCodecSpecifier,
  resolveHandlerSpecifier,
  serializeError,
} from '@switchyard/protocol';
import type { FromWorker, TearDown, WorkerInit } from './messages.js';

// What every pool thread shares, whatever its mode: the start data, the port to the main thread,
// and loading the handler before any work is taken.

export const port = parentPort!;
export const init = workerData as WorkerInit;

export function post(message: FromWorker, transfer?: ArrayBuffer[]): void {
  port.postMessage(message, transfer);
}

/**
 * Bare specifiers (`@scope/pkg/handler`) are resolved from this package first: the handler's
 * package is usually a dependency of the app that depends on us, not of the protocol package
 * whose `loadHandler` does the import.
 */
function fromHere(specifier: string): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(specifier)) return specifier;
  try {
    return import.meta.resolve(specifier);
  } catch {
    return specifier;
  }
}

/**
 * Loads the handler, then takes every message from the main thread with the listener `serve`
 * makes for it, and says `ready`. A load failure is sent whole (code, message, the loader's own
 * error as cause) and the thread ends.
 */
export async function startWorker<Message>(
  serve: (
    handler: Handler,
    codec: Codec | undefined,
  ) => (message: Exclude<Message, TearDown>) => void,
): Promise<void> {
  let handler: Handler;
  let loaded: LoadedHandler;
  let codec: Codec | undefined;
  try {
    if (init.loadsCodec) {
      codec = await loadCodec(fromHere(resolveCodecSpecifier(String(init.options.codec))));
    }
    loaded = await loadHandler(fromHere(resolveHandlerSpecifier(String(init.options.handler))));
    await loaded.setup(init.options.handlerOptions);
    handler = loaded.handle;
  } catch (error) {
    post({ type: 'load-failed', error: serializeError(error) });
    port.close();
    return;
  }
  const listener = serve(handler, codec);
  port.on('message', (message: Message | TearDown) => {
    if ((message as TearDown).type !== 'teardown') {
      listener(message as Exclude<Message, TearDown>);
      return;
    }
    loaded.teardown().then(
      () => post({ type: 'torn-down' }),
      () => post({ type: 'torn-down' }),
    );
  });
  post({ type: 'ready' });
}
