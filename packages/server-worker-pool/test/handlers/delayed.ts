import type { Handler } from '@switchyard/protocol';

/** Echoes after `options.delayMs` (default 50): work that is in flight when close begins. */
const delayed: Handler = (request, context) =>
  new Promise((resolve) => {
    setTimeout(resolve, Number(context.options.delayMs ?? 50), request);
  });

export default delayed;
