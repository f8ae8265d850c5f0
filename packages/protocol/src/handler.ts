import { HandlerInvalidError, HandlerNotFoundError, HandlerSetupFailedError } from './errors.js';
import { resolveModuleSpecifier } from './modules.js';
import type { SocketEndpoint } from './proxy-header.js';

/** Options handed to a handler. Must be structured-cloneable: worker threads receive a copy. */
export type HandlerOptions = Readonly<Record<string, unknown>>;

/** Who is at the other end of a connection, as its handler and its failure report see it. */
export interface ConnectionPeer {
  /** The client: the socket's peer, or the client a PROXY protocol header named. */
  readonly remoteAddress: string;
  readonly remotePort: number;
  /**
   * Present only when `remoteAddress` and `remotePort` came from a PROXY protocol header
   * (`proxyProtocol`): the socket's own peer, the balancer that relayed the connection. Absent
   * without a header, and for a header that names no client (v2 `LOCAL`, a balancer's health
   * check; v1 `UNKNOWN`), where the socket's peer is the remote address.
   */
  readonly proxiedBy?: SocketEndpoint;
}

/** What a handler knows about the request it is answering. */
export interface HandlerContext extends ConnectionPeer {
  /** Server-unique id of the connection (per worker in handoff mode). */
  readonly connectionId: number;
  /** The codec's `name`. */
  readonly codec: string;
  readonly options: HandlerOptions;
  /**
   * State that lives as long as the connection, for the handler to keep what it likes in: the
   * same Map for every request of the connection on this thread, dropped when the connection
   * closes. Where requests of one connection run on different threads (the worker pool with
   * `affinity: 'request'`), each thread has its own.
   */
  readonly state: Map<unknown, unknown>;
}

/** A reply: the frame to encode and send. */
export type Reply = Uint8Array;

/**
 * A handler answers one request with one reply, synchronously or not. Replies on one connection
 * are sent in request order whatever order async handlers finish in. A throw or rejection closes
 * that connection only (`SWITCHYARD_ERR_HANDLER_FAILED`, with the thrown value as `cause`).
 */
export type Handler = (request: Buffer, context: HandlerContext) => Reply | Promise<Reply>;

/**
 * A handler with a lifecycle. `setup` runs once on each thread that runs the handler, before its
 * first request (a failure stops `listen`, `SWITCHYARD_ERR_HANDLER_SETUP_FAILED`); `teardown`
 * runs on that thread when the server has closed. Module state is per thread: a worker pool's
 * workers each have their own.
 */
export interface HandlerObject {
  handle: Handler;
  setup?(options: HandlerOptions): void | Promise<void>;
  teardown?(): void | Promise<void>;
}

/** What a handler module exports by default, or what a single-thread strategy takes as a value. */
export type HandlerDefinition = Handler | HandlerObject;

/**
 * Where a handler comes from: a built-in name, a module specifier (so a worker thread can load
 * the very same handler), or (strategies without a thread boundary) the handler itself.
 */
export type HandlerReference = string | HandlerDefinition;

/** A handler made uniform: `handle` bound to its object, `setup` and `teardown` always present. */
export interface LoadedHandler {
  /** Where it came from, for errors and logs. */
  readonly label: string;
  readonly handle: Handler;
  /** Runs the handler's `setup`; a failure is `SWITCHYARD_ERR_HANDLER_SETUP_FAILED`. */
  setup(options: HandlerOptions): Promise<void>;
  teardown(): Promise<void>;
}

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
export function resolveHandlerSpecifier(spec: string, baseDir?: string): string {
  if (Object.hasOwn(builtinHandlers, spec)) return builtinHandlers[spec as BuiltinHandlerName];
  return resolveModuleSpecifier(spec, baseDir);
}

/** True for a function, or an object with a `handle` function (and optional lifecycle). */
export function isHandlerDefinition(value: unknown): value is HandlerDefinition {
  if (typeof value === 'function') return true;
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return (
    typeof candidate.handle === 'function' &&
    (candidate.setup === undefined || typeof candidate.setup === 'function') &&
    (candidate.teardown === undefined || typeof candidate.teardown === 'function')
  );
}

/** A short label for a reference, for errors and logs. */
export function describeHandlerReference(reference: HandlerReference): string {
  if (typeof reference === 'string') return reference;
  const fn: unknown =
    typeof reference === 'function' ? reference : (reference as { handle?: unknown })?.handle;
  const name = typeof fn === 'function' ? fn.name : '';
  return name ? `value ${name}` : 'value';
}

/**
 * Makes a definition uniform. Throws `SWITCHYARD_ERR_HANDLER_INVALID` when `definition` is
 * neither a function nor an object with a `handle` function.
 */
export function toLoadedHandler(definition: unknown, label: string): LoadedHandler {
  if (!isHandlerDefinition(definition)) throw new HandlerInvalidError(label);
  if (typeof definition === 'function') {
    return { label, handle: definition, setup: async () => {}, teardown: async () => {} };
  }
  const handle = definition.handle.bind(definition);
  return {
    label,
    handle,
    async setup(options) {
      try {
        await definition.setup?.(options);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new HandlerSetupFailedError(`handler ${label} setup failed: ${reason}`, {
          cause: error,
        });
      }
    },
    async teardown() {
      await definition.teardown?.();
    },
  };
}

/**
 * The handler a reference stands for. A string is imported as by {@link resolveHandlerSpecifier}
 * (paths against `baseDir`, default the current directory) and its default export used. Throws
 * `SWITCHYARD_ERR_HANDLER_NOT_FOUND` when the module cannot be resolved or fails while loading
 * (the loader's error is the `cause` and its message is in the text),
 * `SWITCHYARD_ERR_HANDLER_INVALID` when what it exports (or the value given) is not a handler.
 */
export async function loadHandler(
  reference: HandlerReference,
  baseDir?: string,
): Promise<LoadedHandler> {
  if (typeof reference !== 'string') {
    return toLoadedHandler(reference, describeHandlerReference(reference));
  }
  const specifier = resolveHandlerSpecifier(reference, baseDir);
  let mod: { default?: unknown };
  try {
    mod = await import(specifier);
  } catch (error) {
    // Not found, not exported, an unknown extension, or a throw while evaluating: whatever the
    // loader says, the handler cannot be used, and callers match on one code.
    throw new HandlerNotFoundError(specifier, { cause: error });
  }
  return toLoadedHandler(mod.default, specifier);
}
