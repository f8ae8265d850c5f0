// A key-value store over the `lines` codec, one command per line:
//   SET key value  -> OK          (the value is the rest of the line, spaces included)
//   GET key        -> the value, or (nil)
//   DEL key        -> 1 if the key existed, else 0
//   STATS          -> commands=<this connection's commands> keys=<keys in this thread's store>
// A command the store cannot run is answered `ERR ...`: bad input from a client is a reply, not
// a failure, so the connection stays open. Plain ES module, so worker threads load it as it is:
// `handler: './examples/kv/handler.mjs'`.
//
// Where state lives (the README says more):
// - `store` is module state: one Map per thread that loaded this module, shared by every
//   connection that thread serves. Worker threads each have their own.
// - `context.state` is per connection: the command counter lives there.

/** @typedef {import('@switchyard/protocol').HandlerObject} HandlerObject */
/** @typedef {import('@switchyard/protocol').HandlerContext} HandlerContext */
/** @typedef {import('@switchyard/protocol').HandlerOptions} HandlerOptions */

/** @type {Map<string, string>} */
const store = new Map();

/** Key of this connection's command counter in `context.state`. */
const COMMANDS = Symbol('commands');

/** @param {string} text */
const reply = (text) => Buffer.from(text);

/**
 * Splits `text` at its first space: `['SET', 'k v']`; without a space, the rest is undefined.
 * @param {string} text
 * @returns {[string, string | undefined]}
 */
function splitFirst(text) {
  const space = text.indexOf(' ');
  return space === -1 ? [text, undefined] : [text.slice(0, space), text.slice(space + 1)];
}

/**
 * Preloads `options.seed`, an object of string keys and values, into this thread's store. Runs
 * once on every thread that runs the handler, so each worker of a pool starts with the same data.
 * @param {HandlerOptions} options
 */
function setup(options) {
  const { seed } = options;
  if (seed === undefined) return;
  if (typeof seed !== 'object' || seed === null || Array.isArray(seed)) {
    throw new TypeError('handlerOptions.seed must be an object of string keys and values');
  }
  for (const [key, value] of Object.entries(seed)) {
    // A key with a space could never be named in a command; a newline cannot be sent as a line.
    if (typeof value !== 'string' || value.includes('\n') || key === '' || /[ \n]/.test(key)) {
      throw new TypeError(`handlerOptions.seed: cannot store ${JSON.stringify(key)}`);
    }
    store.set(key, value);
  }
}

/**
 * @param {Buffer} request
 * @param {HandlerContext} context
 */
function handle(request, context) {
  const commands = /** @type {number} */ (context.state.get(COMMANDS) ?? 0) + 1;
  context.state.set(COMMANDS, commands);

  // A trailing \r is what telnet and `nc -C` add; the lines codec leaves it in the frame.
  let line = request.toString('utf8');
  if (line.endsWith('\r')) line = line.slice(0, -1);
  const [word, rest] = splitFirst(line);
  const command = word.toUpperCase();

  switch (command) {
    case 'SET': {
      const [key, value] = rest === undefined ? [undefined, undefined] : splitFirst(rest);
      if (!key || value === undefined) return reply('ERR usage: SET key value');
      store.set(key, value);
      return reply('OK');
    }
    case 'GET':
    case 'DEL': {
      if (!rest || rest.includes(' ')) return reply(`ERR usage: ${command} key`);
      if (command === 'DEL') return reply(store.delete(rest) ? '1' : '0');
      return reply(store.get(rest) ?? '(nil)');
    }
    case 'STATS':
      if (rest !== undefined) return reply('ERR usage: STATS');
      return reply(`commands=${commands} keys=${store.size}`);
    case '':
      return reply('ERR empty command');
    default:
      return reply(`ERR unknown command ${JSON.stringify(word)}`);
  }
}

/** @type {HandlerObject} */
const kvHandler = { setup, handle };

export default kvHandler;
