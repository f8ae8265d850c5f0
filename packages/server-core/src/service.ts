import {
  type Codec,
  type LoadedHandler,
  loadCodec,
  loadHandler,
  type ResolvedServerOptions,
} from '@switchyard/protocol';

/** A service made ready to run on this thread: its codec, and its handler after `setup`. */
export interface Service {
  readonly codec: Codec;
  readonly handler: LoadedHandler;
}

/**
 * Loads the codec and the handler `options` name (modules, or the values themselves) and runs
 * the handler's `setup` with `handlerOptions`, before the first request is read. Rejects with the
 * loader's error (`SWITCHYARD_ERR_CODEC_*`, `SWITCHYARD_ERR_HANDLER_*`) or the setup's
 * (`SWITCHYARD_ERR_HANDLER_SETUP_FAILED`, its cause kept); the caller then does not listen.
 * Whoever loads it calls `handler.teardown()` once the server has closed.
 */
export async function loadService(options: ResolvedServerOptions): Promise<Service> {
  const [codec, handler] = await Promise.all([
    loadCodec(options.codec),
    loadHandler(options.handler),
  ]);
  await handler.setup(options.handlerOptions);
  return { codec, handler };
}
