import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CodecName } from './codec.js';
import { HandlerInvalidError, HandlerNotFoundError } from './errors.js';

/** Options handed to a handler. Must be structured-cloneable: worker threads receive a copy. */
export type HandlerOptions = Readonly<Record<string, unknown>>;

/** What a handler knows about the request it is answering. */
export interface HandlerContext {
  /** Server-unique id of the connection (per worker in worker strategies). */
  readonly connectionId: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly codec: CodecName;
  readonly options: HandlerOptions;
}

/** A reply: the frame to encode and send. */
export type Reply = Uint8Array;

/**
 * A handler answers one request with one reply, synchronously or not. Replies on one connection
 * are sent in request order whatever order async handlers finish in. A throw or rejection closes
 * that connection only (`SWITCHYARD_ERR_HANDLER_FAILED`).
 *
 * Handlers are the default export of a module and are referenced by module specifier, so that a
 * worker thread can load the very same handler.
 */
export type Handler = (request: Buffer, context: HandlerContext) => Reply | Promise<Reply>;

/** Specifiers of the built-in handlers, by short name. */
export const builtinHandlers = Object.freeze({
  echo: '@switchyard/protocol/handlers/echo',
  burn: '@switchyard/protocol/handlers/burn',
} as const);

export type BuiltinHandlerName = keyof typeof builtinHandlers;

/**
 * Turns what a user typed into a module specifier that any thread can import: a built-in name
 * (`echo`, `burn`), a path (made absolute against `baseDir`, as a `file:` URL), or a specifier
 * that is already a URL or a package name.
 */
export function resolveHandlerSpecifier(spec: string, baseDir: string = process.cwd()): string {
  if (Object.hasOwn(builtinHandlers, spec)) return builtinHandlers[spec as BuiltinHandlerName];
  if (spec.startsWith('.') || isAbsolute(spec)) return pathToFileURL(resolve(baseDir, spec)).href;
  return spec;
}

/**
 * Imports a handler module and returns its default export. `spec` is resolved as by
 * {@link resolveHandlerSpecifier} (paths against `baseDir`, default the current directory).
 * Throws `SWITCHYARD_ERR_HANDLER_NOT_FOUND` when the module cannot be resolved or fails while
 * loading (the original error is the `cause`), `SWITCHYARD_ERR_HANDLER_INVALID` when its default
 * export is not a function.
 */
export async function loadHandler(spec: string, baseDir?: string): Promise<Handler> {
  const specifier = resolveHandlerSpecifier(spec, baseDir);
  let mod: { default?: unknown };
  try {
    mod = await import(specifier);
  } catch (error) {
    // Not found, not exported, an unknown extension, or a throw while evaluating: whatever the
    // loader says, the handler cannot be used, and callers match on one code.
    throw new HandlerNotFoundError(specifier, { cause: error });
  }
  if (typeof mod.default !== 'function') throw new HandlerInvalidError(specifier);
  return mod.default as Handler;
}
