import type { HandlerContext } from '@switchyard/protocol';
import { describe, expect, test } from 'vitest';
import kv from './handler.mjs';

let connections = 0;

/** A context as a server makes one per connection: its own `state`. */
function connection(options: Record<string, unknown> = {}): HandlerContext {
  return {
    connectionId: ++connections,
    remoteAddress: '127.0.0.1',
    remotePort: 50_000 + connections,
    codec: 'lines',
    options,
    state: new Map(),
  };
}

function ask(context: HandlerContext, command: string): string {
  return Buffer.from(kv.handle(Buffer.from(command), context) as Uint8Array).toString();
}

// The store is this module's state, shared by every test in this file: each test uses its own keys.
describe('kv handler', () => {
  test('SET then GET gives the value back, spaces included; a missing key is (nil)', () => {
    const c = connection();
    expect(ask(c, 'SET greeting hello there')).toBe('OK');
    expect(ask(c, 'GET greeting')).toBe('hello there');
    expect(ask(c, 'GET never-set')).toBe('(nil)');
    expect(ask(c, 'SET empty ')).toBe('OK');
    expect(ask(c, 'GET empty')).toBe('');
  });

  test('DEL says whether the key existed', () => {
    const c = connection();
    ask(c, 'SET doomed 1');
    expect(ask(c, 'DEL doomed')).toBe('1');
    expect(ask(c, 'DEL doomed')).toBe('0');
    expect(ask(c, 'GET doomed')).toBe('(nil)');
  });

  test('takes commands in any case and ignores the \\r that telnet adds', () => {
    const c = connection();
    expect(ask(c, 'set crlf yes\r')).toBe('OK');
    expect(ask(c, 'Get crlf\r')).toBe('yes');
  });

  test.each([
    ['', 'ERR empty command'],
    ['FLUSHALL', 'ERR unknown command "FLUSHALL"'],
    ['SET', 'ERR usage: SET key value'],
    ['SET lonely', 'ERR usage: SET key value'],
    ['SET  value', 'ERR usage: SET key value'],
    ['GET', 'ERR usage: GET key'],
    ['GET two keys', 'ERR usage: GET key'],
    ['DEL', 'ERR usage: DEL key'],
    ['STATS now', 'ERR usage: STATS'],
  ])('answers %j with %j instead of failing the connection', (command, answer) => {
    expect(ask(connection(), command)).toBe(answer);
  });

  test("STATS counts this connection's commands, ERR replies included, and no other's", () => {
    const a = connection();
    const b = connection();
    ask(a, 'SET stats-a 1');
    ask(a, 'NOPE');
    ask(b, 'GET stats-a');
    expect(ask(a, 'STATS')).toMatch(/^commands=3 keys=\d+$/);
    expect(ask(b, 'STATS')).toMatch(/^commands=2 keys=\d+$/);
  });

  test('setup preloads the seed into the store', async () => {
    await kv.setup?.({ seed: { 'seeded-key': 'seeded value' } });
    expect(ask(connection(), 'GET seeded-key')).toBe('seeded value');
  });

  test.each([
    ['an array', ['a']],
    ['a value that is not a string', { n: 1 }],
    ['a key with a space', { 'two words': 'x' }],
    ['a value with a newline', { k: 'a\nb' }],
  ])('setup refuses a seed that is %s', async (_, seed) => {
    await expect(async () => kv.setup?.({ seed })).rejects.toThrow(TypeError);
  });
});
