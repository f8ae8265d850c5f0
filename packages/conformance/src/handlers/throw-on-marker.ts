/**
 * Echoes every request, except that a request containing `options.marker` (default `BOOM`)
 * throws: the conformance case `handler.error` checks that only that connection is closed.
 * A plain module with no test-runner imports, so a worker thread can load it.
 */
export const DEFAULT_MARKER = 'BOOM';

export default function throwOnMarker(
  request: Buffer,
  context: { options: Readonly<Record<string, unknown>> },
): Buffer {
  const marker = String(context.options.marker ?? DEFAULT_MARKER);
  if (request.includes(marker)) throw new Error(`request contained the marker ${marker}`);
  return request;
}
