import { threadId } from 'node:worker_threads';
import type { HandlerObject, HandlerOptions } from '@switchyard/protocol';

// Module state, so one copy per worker thread: what a naive stateful handler keeps.
const counts = new Map<number, number>();
let setupOptions: HandlerOptions | undefined;

/**
 * Replies `<thread> <n> <m> <setup>`: the worker's thread id, how many requests of this connection
 * this worker's module state has seen, how many its `context.state` has, and whether setup ran.
 */
const counter: HandlerObject = {
  setup(options) {
    setupOptions = options;
  },
  handle(_request, context) {
    const seen = (counts.get(context.connectionId) ?? 0) + 1;
    counts.set(context.connectionId, seen);
    const own = ((context.state.get('n') as number | undefined) ?? 0) + 1;
    context.state.set('n', own);
    return Buffer.from(`${threadId} ${seen} ${own} ${setupOptions?.tag ?? 'no-setup'}`);
  },
};

export default counter;
