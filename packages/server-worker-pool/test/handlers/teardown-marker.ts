import { appendFileSync } from 'node:fs';
import { threadId } from 'node:worker_threads';
import type { HandlerObject, HandlerOptions } from '@switchyard/protocol';

let file = '';

/** Echoes; appends `setup <thread>` and `teardown <thread>` lines to `options.file`. */
const teardownMarker: HandlerObject = {
  setup(options: HandlerOptions) {
    file = String(options.file);
    appendFileSync(file, `setup ${threadId}\n`);
  },
  handle: (request) => request,
  teardown() {
    appendFileSync(file, `teardown ${threadId}\n`);
  },
};

export default teardownMarker;
