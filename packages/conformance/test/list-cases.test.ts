import { expect, test } from 'vitest';
import { caseFilter, listCases, runSuite } from '../src/index.js';

test('lists every case the issue asks for, with unique stable ids', () => {
  const ids = listCases().map((info) => info.id);
  expect(new Set(ids).size).toBe(ids.length);
  for (const id of ids) expect(id).toMatch(/^[a-z0-9]+\.[a-z0-9-]+$/);
  expect(ids).toEqual(
    expect.arrayContaining([
      'echo.hello',
      'echo.multiconn',
      'echo.large',
      'echo.binary',
      'stream.fragmented',
      'stream.pipelined',
      'conn.half-close',
      'conn.reset',
      'conn.concurrent',
      'conn.one-at-a-time',
      'backpressure.slow-reader',
      'fairness.no-starvation',
      'framing.too-large',
      'framing.truncated',
      'framing.garbage',
      'framing.malformed',
      'handler.error',
      'handler.parallel',
      'lifecycle.graceful-close',
      'limits.max-connections',
      'limits.idle-timeout',
      'socket.no-delay',
      'net.ipv6',
      'proxy.v1',
      'proxy.v2',
      'proxy.v2-local',
      'proxy.split',
      'proxy.garbage',
      'proxy.too-long',
      'proxy.timeout',
    ]),
  );
});

test('every case has a description, a tier, a codec trait, default codecs and a time limit', () => {
  for (const info of listCases()) {
    expect(info.description.length).toBeGreaterThan(10);
    expect(['MUST', 'SHOULD']).toContain(info.tier);
    expect(['any', 'framed', 'malformed-examples']).toContain(info.codecs);
    for (const name of info.defaultCodecs)
      expect(['raw', 'lines', 'length-prefixed']).toContain(name);
    expect(info.timeoutMs).toBeGreaterThan(0);
  }
  // No built-in codec has malformed examples: only a pinned codec runs that case.
  expect(listCases('framing.malformed')[0]).toMatchObject({
    codecs: 'malformed-examples',
    defaultCodecs: [],
  });
  expect(listCases('stream.empty-frames')[0]).toMatchObject({ codecs: 'framed' });
  expect(listCases('socket.no-delay,net.ipv6').map((info) => info.tier)).toEqual([
    'SHOULD',
    'SHOULD',
  ]);
});

test('filters by exact id, by group, by wildcard, comma-separated', () => {
  expect(listCases('echo.hello').map((info) => info.id)).toEqual(['echo.hello']);
  expect(listCases('framing').map((info) => info.id)).toEqual([
    'framing.too-large',
    'framing.truncated',
    'framing.garbage',
    'framing.malformed',
  ]);
  expect(listCases('*large*').map((info) => info.id)).toEqual(['echo.large', 'framing.too-large']);
  expect(listCases('echo.hello, limits').map((info) => info.id)).toEqual([
    'echo.hello',
    'limits.max-connections',
    'limits.idle-timeout',
  ]);
  expect(caseFilter('echo')('echoes.x')).toBe(false);
});

test('a pattern that matches no case is refused, naming the option and the pattern', async () => {
  expect(() => listCases('nothing.matches')).toThrow(
    expect.objectContaining({
      code: 'SWITCHYARD_ERR_INVALID_OPTION',
      message: expect.stringMatching(/^invalid option filter: "nothing\.matches" matches no case/),
    }),
  );
  // One typo among good patterns is still a typo.
  expect(() => listCases('echo.hello,echoo', '--case')).toThrow(
    /^invalid option --case: "echoo" matches no case/,
  );
  expect(() => listCases('nonexistent*')).toThrow(/"nonexistent\*" matches no case/);
  await expect(
    runSuite(
      {
        kind: 'external',
        host: '127.0.0.1',
        port: 1,
        codec: 'raw',
        capabilities: { connections: 'concurrent', parallelHandlers: false },
      },
      { filter: 'nonexistent*' },
    ),
  ).rejects.toMatchObject({ code: 'SWITCHYARD_ERR_INVALID_OPTION' });
});

test('rejects an external target without a valid port', async () => {
  await expect(
    runSuite({
      kind: 'external',
      host: '127.0.0.1',
      port: 0,
      codec: 'raw',
      capabilities: { connections: 'concurrent', parallelHandlers: false },
    }),
  ).rejects.toMatchObject({ code: 'SWITCHYARD_ERR_INVALID_OPTION' });
});
