import type { Handler } from '@switchyard/protocol';

/** Echoes, except that a request containing `boom` throws (the worker survives). */
const throwOnMarker: Handler = (request) => {
  if (request.includes('boom')) throw new Error('boom requested');
  return request;
};

export default throwOnMarker;
