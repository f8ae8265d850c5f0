import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The handler modules beside this one, as absolute `file:` URLs: any thread can import them
 * whichever package does the importing (a package name would resolve only from packages that
 * depend on this one). From sources they are the `.ts` files, from a build the `.js` files.
 */
const extension = extname(fileURLToPath(import.meta.url));
const handlerUrl = (name: string) =>
  new URL(`./handlers/${name}${extension}`, import.meta.url).href;

/** Module specifiers of the handlers the cases use, by short name. */
export const testHandlers = Object.freeze({
  /** Echoes; throws on a request containing `options.marker` (default `BOOM`). */
  'throw-on-marker': handlerUrl('throw-on-marker'),
  /** Echoes once a shared-memory gate opens (`options.gate`). */
  gated: handlerUrl('gated'),
  /** Replies `PARALLEL` only if `options.expect` calls overlapped (`options.probe`). */
  'parallel-probe': handlerUrl('parallel-probe'),
  /** Replies with the client it sees: `{"remoteAddress","remotePort","proxiedBy"?}` as JSON. */
  'peer-address': handlerUrl('peer-address'),
});

export type TestHandlerName = keyof typeof testHandlers;
