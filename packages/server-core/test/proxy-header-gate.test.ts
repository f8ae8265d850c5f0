import {
  type ConnectionPeer,
  ErrorCode,
  encodeProxyHeader,
  type ProxyHeaderError,
  resolveServerOptions,
} from '@switchyard/protocol';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { proxyHeaderGate } from '../src/proxy-header-gate.js';

const LIMIT_MS = 1000;
const balancer: ConnectionPeer = { remoteAddress: '10.0.0.2', remotePort: 51000 };
const client = { address: '203.0.113.7', port: 56324 };
const frontend = { address: '192.0.2.10', port: 7000 };
const header = encodeProxyHeader(2, { source: client, destination: frontend });

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
});

afterEach(() => {
  vi.useRealTimers();
});

function gate(proxyProtocol: 'v1' | 'v2' | 'any' = 'any', frameTimeoutMs = LIMIT_MS) {
  const passed: { client: ConnectionPeer | undefined; rest: Buffer }[] = [];
  const refused: ProxyHeaderError[] = [];
  const made = proxyHeaderGate(resolveServerOptions({ proxyProtocol, frameTimeoutMs }), balancer, {
    passed: (named, rest) => passed.push({ client: named, rest }),
    refused: (error) => refused.push(error),
  });
  if (made === undefined) throw new Error('expected a gate');
  return { gate: made, passed, refused };
}

describe('the PROXY header gate', () => {
  test('is not made when proxyProtocol is off', () => {
    const listener = { passed() {}, refused() {} };
    expect(proxyHeaderGate(resolveServerOptions({}), balancer, listener)).toBeUndefined();
  });

  test('names the client and makes the socket peer the balancer; the bytes after go on', () => {
    const { gate: g, passed, refused } = gate();
    g.read(Buffer.concat([header, Buffer.from('first request')]));
    expect(refused).toEqual([]);
    expect(passed).toEqual([
      {
        client: {
          remoteAddress: client.address,
          remotePort: client.port,
          proxiedBy: { address: balancer.remoteAddress, port: balancer.remotePort },
        },
        rest: Buffer.from('first request'),
      },
    ]);
  });

  test('holds the bytes of a header split across reads, and passes once, at its last byte', () => {
    const { gate: g, passed } = gate();
    for (const byte of header) g.read(Buffer.from([byte]));
    expect(passed).toHaveLength(1);
    expect(passed[0]!.rest).toHaveLength(0);
    expect(passed[0]!.client?.remoteAddress).toBe(client.address);
  });

  test('keeps the socket peer for a LOCAL header (a health check) and for v1 UNKNOWN', () => {
    const local = gate('v2');
    local.gate.read(encodeProxyHeader(2, { command: 'local' }));
    expect(local.passed).toEqual([{ client: undefined, rest: Buffer.alloc(0) }]);
    const unknown = gate('v1');
    unknown.gate.read(encodeProxyHeader(1));
    expect(unknown.passed).toEqual([{ client: undefined, rest: Buffer.alloc(0) }]);
  });

  test('refuses a connection that does not start with a header, with SWITCHYARD_ERR_PROXY_HEADER', () => {
    const { gate: g, passed, refused } = gate('v2');
    g.read(Buffer.from('hello'));
    expect(passed).toEqual([]);
    expect(refused.map((error) => error.code)).toEqual([ErrorCode.PROXY_HEADER]);
    expect(refused[0]!.message).toMatch(/refused: expected a PROXY protocol v2 header, got "hello/);
  });

  test('refuses a header that is not complete within frameTimeoutMs of the start', () => {
    const { gate: g, passed, refused } = gate();
    g.read(header.subarray(0, 5));
    vi.advanceTimersByTime(LIMIT_MS - 1);
    g.read(header.subarray(5, 10));
    expect(refused).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(refused.map((error) => error.message)).toEqual([
      'no complete PROXY protocol header within 1000 ms (frameTimeoutMs); 10 bytes of one received',
    ]);
    expect(passed).toEqual([]);
  });

  test('a connection that sends nothing is late too: the balancer sends the header at once', () => {
    const { refused } = gate();
    vi.advanceTimersByTime(LIMIT_MS);
    expect(refused).toHaveLength(1);
  });

  test('never expires once the header passed, once stopped, or with frameTimeoutMs 0', () => {
    const passedGate = gate();
    passedGate.gate.read(header);
    const stopped = gate();
    stopped.gate.stop();
    const untimed = gate('any', 0);
    vi.advanceTimersByTime(10 * LIMIT_MS);
    expect([...passedGate.refused, ...stopped.refused, ...untimed.refused]).toEqual([]);
  });

  test('refuses a FIN inside a header, and lets a connection that sent nothing end quietly', () => {
    const partial = gate();
    partial.gate.read(header.subarray(0, 20));
    expect(partial.gate.ended()).toBe(true);
    expect(partial.refused[0]!.message).toBe(
      'the connection ended after 20 bytes of a PROXY protocol header',
    );
    const silent = gate();
    expect(silent.gate.ended()).toBe(false);
    vi.advanceTimersByTime(LIMIT_MS);
    expect(silent.refused).toEqual([]);
  });
});
