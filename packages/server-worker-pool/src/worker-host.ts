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
import { HandlerTimes } from '@switchyard/server-core';
import {
  type FromWorker,
  type Progress,
  RUNNING,
  STARTED,
  type TearDown,
  type WorkerStart,
} from './messages.js';

// What every pool thread shares, whatever its mode: the start data, the port to the main thread,
// loading the handler before any work is taken, its progress, and why it exits.

export const port = parentPort!;
export const init = workerData as WorkerStart;
const progress: Progress = new Float64Array(init.progress);
/** This thread's handler calls, timed into memory the main thread reads for `stats()`. */
export const handlerTimes = new HandlerTimes(init.handlerTime);

export function post(message: FromWorker, transfer?: ArrayBuffer[]): void {
  port.postMessage(message, transfer);
}

/** A handler call begins: `call` is its request id (offload) or a count (handoff). */
export function callStarted(call: number): void {
  progress[STARTED] = call;
  progress[RUNNING] = call;
}

/** The synchronous part of a handler call returned (or threw). */
export function callReturned(): void {
  progress[RUNNING] = 0;
}

let crash: unknown;
let serving = false;
const beforeExit: (() => void)[] = [];

/** Runs `hook` as the thread exits (process.exit or a crash): its last chance to post. */
export function onExiting(hook: () => void): void {
  beforeExit.push(hook);
}

// The monitor only watches: an uncaught error still ends the thread, as it would without it.
process.on('uncaughtExceptionMonitor', (error) => {
  crash = error;
});
// Runs on process.exit() and on an uncaught error (not on terminate()); messages posted here
// reach the main thread before its 'exit' event.
process.on('exit', (exitCode) => {
  if (!serving) return;
  for (const hook of beforeExit) hook();
  const crashed = crash !== undefined;
  const { error, stack } = crashed
    ? { error: crash, stack: (crash as Error).stack }
    : exitCall(exitCode);
  post({ type: 'exiting', exitCode, crashed, error: serializeError(error), stack });
});

/** Why a thread that did not crash exits, and the stack of process.exit()'s caller. */
function exitCall(exitCode: number): { error: Error; stack: string | undefined } {
  const lines = new Error().stack?.split('\n') ?? [];
  // Leave out this hook's frames and Node's own, up to process.exit itself.
  const exit = lines.findIndex((line) => line.includes('at process.exit'));
  if (exit === -1)
    return { error: new Error(`its event loop ended (exit code ${exitCode})`), stack: undefined };
  const error = new Error(`process.exit(${exitCode}) was called`);
  return { error, stack: [`Error: ${error.message}`, ...lines.slice(exit + 1)].join('\n') };
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
  serving = true;
  post({ type: 'ready' });
}
