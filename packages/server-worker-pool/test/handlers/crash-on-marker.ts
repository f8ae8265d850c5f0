import type { Handler } from '@switchyard/protocol';

/** Echoes, except that a request containing `crash` ends the worker thread it runs on. */
const crashOnMarker: Handler = (request) => {
  if (request.includes('crash')) process.exit(3);
  return request;
};

export default crashOnMarker;
