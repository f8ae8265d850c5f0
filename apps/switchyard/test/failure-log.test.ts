import {
  type ConnectionFailure,
  FrameTooLargeError,
  HandlerNotFoundError,
  handlerFailure,
  MalformedFrameError,
  SocketError,
  WorkerExitedError,
} from '@switchyard/protocol';
import { describe, expect, test } from 'vitest';
import {
  FAILURE_LOG_LIMIT,
  FailureLog,
  failureLines,
  formatFailure,
  formatWarning,
  MAX_MESSAGE_CHARS,
  MAX_STACK_LINES,
  TokenBucket,
} from '../src/failure-log.js';

/** A clock the test moves by hand. */
function fakeClock(start = 1_000) {
  let now = start;
  return {
    now: () => now,
    advance(ms: number) {
      now += ms;
    },
  };
}

const failure = (
  error: ConnectionFailure['error'],
  extra: Partial<ConnectionFailure> = {},
): ConnectionFailure => ({
  connectionId: 7,
  remoteAddress: '127.0.0.1',
  remotePort: 51234,
  error,
  ...extra,
});

describe('token bucket', () => {
  test('allows a burst at once, then refuses until time refills it', () => {
    const clock = fakeClock();
    const bucket = new TokenBucket({ burst: 3, perSecond: 10, now: clock.now });
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([
      true,
      true,
      true,
      false,
    ]);
    clock.advance(99);
    expect(bucket.take()).toBe(false);
    clock.advance(1);
    expect(bucket.take()).toBe(true);
    expect(bucket.take()).toBe(false);
  });

  test('a sustained flood gets exactly the refill rate through', () => {
    const clock = fakeClock();
    const bucket = new TokenBucket({ burst: 20, perSecond: 10, now: clock.now });
    let allowed = 0;
    // 10 seconds of one attempt per millisecond.
    for (let ms = 0; ms < 10_000; ms++) {
      if (bucket.take()) allowed++;
      clock.advance(1);
    }
    expect(allowed).toBe(20 + 100 - 1);
  });

  test('a quiet spell refills it to the burst, never beyond', () => {
    const clock = fakeClock();
    const bucket = new TokenBucket({ burst: 2, perSecond: 10, now: clock.now });
    clock.advance(60_000);
    expect([bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, false]);
  });

  test('a clock that steps back adds nothing', () => {
    const clock = fakeClock();
    const bucket = new TokenBucket({ burst: 1, perSecond: 10, now: clock.now });
    expect(bucket.take()).toBe(true);
    clock.advance(-5_000);
    expect(bucket.take()).toBe(false);
    clock.advance(5_100);
    expect(bucket.take()).toBe(true);
  });

  test('refuses a limit that would let nothing through', () => {
    expect(() => new TokenBucket({ burst: 0, perSecond: 10 })).toThrow(RangeError);
    expect(() => new TokenBucket({ burst: 1, perSecond: 0 })).toThrow(RangeError);
  });
});

describe('failure line', () => {
  test('names the connection, the client address, the code and why', () => {
    const error = handlerFailure(new Error('database connection lost'));
    expect(formatFailure(failure(error))).toBe(
      'connection 7 127.0.0.1:51234: SWITCHYARD_ERR_HANDLER_FAILED: handler failed: database connection lost',
    );
  });

  test('names the balancer after a client that a PROXY header named', () => {
    const error = handlerFailure(new Error('database connection lost'));
    const proxied = {
      remoteAddress: '2001:db8::7',
      proxiedBy: { address: '10.0.0.2', port: 51000 },
    };
    expect(formatFailure(failure(error, proxied))).toBe(
      'connection 7 [2001:db8::7]:51234 via 10.0.0.2:51000: SWITCHYARD_ERR_HANDLER_FAILED: handler failed: database connection lost',
    );
  });

  test("adds a cause's message only when the message does not already say it", () => {
    const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    expect(formatFailure(failure(new SocketError('socket error', { cause: reset })))).toBe(
      'connection 7 127.0.0.1:51234: SWITCHYARD_ERR_SOCKET_ERROR: socket error: read ECONNRESET',
    );
    const missing = new HandlerNotFoundError('./h.mjs', { cause: new Error('Cannot find module') });
    expect(formatFailure(failure(missing)).match(/Cannot find module/g)).toHaveLength(1);
    const chain = new MalformedFrameError('codec x failed: bad header', {
      cause: new Error('bad header', { cause: new Error('byte 3 is 0xff') }),
    });
    expect(formatFailure(failure(chain))).toMatch(
      /SWITCHYARD_ERR_MALFORMED_FRAME: codec x failed: bad header: byte 3 is 0xff$/,
    );
  });

  test('is one line and never a stack, whatever the message holds', () => {
    const error = handlerFailure(new Error('first\nsecond\r\n\tthird\u0000'));
    const line = formatFailure(failure(error));
    expect(line).toBe(
      'connection 7 127.0.0.1:51234: SWITCHYARD_ERR_HANDLER_FAILED: handler failed: first\\nsecond\\r\\n third\\x00',
    );
    expect(line).not.toMatch(/\n|\s+at /);
  });

  test('cuts a huge message', () => {
    const line = formatFailure(failure(handlerFailure(new Error('x'.repeat(100_000)))));
    expect(line.length).toBeLessThan(MAX_MESSAGE_CHARS + 200);
    expect(line).toMatch(/\.\.\. \(\d+ more characters\)$/);
  });

  test('puts an IPv6 address in brackets, and says when there is none', () => {
    const error = new FrameTooLargeError(10, 4);
    expect(formatFailure(failure(error, { remoteAddress: '::1', remotePort: 9 }))).toMatch(
      /^connection 7 \[::1\]:9: SWITCHYARD_ERR_FRAME_TOO_LARGE: frame of 10 bytes/,
    );
    expect(formatFailure(failure(error, { remoteAddress: '' }))).toMatch(/^connection 7 \?: /);
  });
});

describe('failure log', () => {
  function setup() {
    const clock = fakeClock();
    const lines: string[] = [];
    const log = new FailureLog(
      failureLines((line) => lines.push(line)),
      new TokenBucket({ ...FAILURE_LOG_LIMIT, now: clock.now }),
    );
    const fail = (count: number, error = handlerFailure(new Error('boom'))) => {
      for (let i = 0; i < count; i++) log.report(failure(error, { connectionId: i + 1 }));
    };
    return { clock, lines, log, fail };
  }
  const HANDLER = 'SWITCHYARD_ERR_HANDLER_FAILED';
  const TOO_LARGE = 'SWITCHYARD_ERR_FRAME_TOO_LARGE';

  test('a flood logs the burst, then says how many it held back by code, once', () => {
    const { lines, log, fail } = setup();
    fail(990);
    fail(10, new FrameTooLargeError(10, 4));
    expect(lines).toHaveLength(FAILURE_LOG_LIMIT.burst);
    expect(lines[0]).toBe(`connection 1 127.0.0.1:51234: ${HANDLER}: handler failed: boom`);
    log.flush({ [HANDLER]: 990, [TOO_LARGE]: 10 });
    expect(lines.slice(FAILURE_LOG_LIMIT.burst)).toEqual([
      `980 failures not logged (${HANDLER} x970, ${TOO_LARGE} x10; failure lines are limited to 20 at once, then 10 a second)`,
    ]);
    log.flush({ [HANDLER]: 990, [TOO_LARGE]: 10 });
    expect(lines).toHaveLength(FAILURE_LOG_LIMIT.burst + 1);
  });

  test('logs again at the refill rate as time passes', () => {
    const { clock, lines, fail } = setup();
    fail(FAILURE_LOG_LIMIT.burst + 5);
    lines.length = 0;
    clock.advance(1000);
    fail(50);
    expect(lines).toHaveLength(FAILURE_LOG_LIMIT.perSecond);
  });

  test('tells each error once: counted errors no failure told of get an error: line', () => {
    const { lines, log, fail } = setup();
    fail(3);
    // Three failures told line by line; two refusals that end no connection the log saw.
    log.flush({ [HANDLER]: 3, SWITCHYARD_ERR_CONNECTION_REFUSED: 2 });
    expect(lines.slice(3)).toEqual(['error: SWITCHYARD_ERR_CONNECTION_REFUSED x2']);
    log.flush({ [HANDLER]: 3, SWITCHYARD_ERR_CONNECTION_REFUSED: 5 });
    expect(lines.slice(4)).toEqual(['error: SWITCHYARD_ERR_CONNECTION_REFUSED x3']);
    log.flush({ [HANDLER]: 3, SWITCHYARD_ERR_CONNECTION_REFUSED: 5 });
    expect(lines).toHaveLength(5);
    expect(lines.some((line) => line.includes('not logged'))).toBe(false);
  });

  test('counters that lag behind the failures reported write nothing', () => {
    const { lines, log, fail } = setup();
    fail(2);
    log.flush({ [HANDLER]: 1 });
    log.flush({});
    expect(lines).toHaveLength(2);
  });

  test('one held back is "1 failure"', () => {
    const { lines, log, fail } = setup();
    fail(FAILURE_LOG_LIMIT.burst + 1);
    log.flush();
    expect(lines.at(-1)).toMatch(/^1 failure not logged \(SWITCHYARD_ERR_HANDLER_FAILED x1; /);
  });
});

describe('warnings', () => {
  /** An error as a worker thread's crash arrives: its own stack, from the thread. */
  function threadError(message: string, frames: number): Error {
    const error = new Error(message);
    const at = Array.from({ length: frames }, (_, n) => `    at frame${n} (file:///h.mjs:${n}:1)`);
    error.stack = [`Error: ${message}`, ...at].join('\n');
    return error;
  }

  test('a worker exit is its message, then the stack of the thread’s own error, indented', () => {
    const crash = threadError('thrown from a timer', 2);
    const error = new WorkerExitedError('worker 1 crashed: thrown from a timer', { cause: crash });
    expect(
      formatWarning({ kind: 'worker-exited', message: `${error.message}; replaced`, error }),
    ).toEqual([
      'warning: worker 1 crashed: thrown from a timer; replaced',
      '    Error: thrown from a timer',
      '        at frame0 (file:///h.mjs:0:1)',
      '        at frame1 (file:///h.mjs:1:1)',
    ]);
  });

  test('a warning without a cause with a stack is one line', () => {
    const bare = new Error('handler did not settle within 5 ms');
    bare.stack = `Error: ${bare.message}`;
    const error = new WorkerExitedError('worker 0 was stopped', { cause: bare });
    expect(
      formatWarning({ kind: 'worker-exited', message: 'worker 0 was stopped', error }),
    ).toEqual(['warning: worker 0 was stopped']);
    expect(
      formatWarning({ kind: 'connection-throttled', message: 'connection 3 is\npaused' }),
    ).toEqual(['warning: connection 3 is\\npaused']);
  });

  test('a long stack is cut', () => {
    const error = new WorkerExitedError('worker 0 crashed: deep', {
      cause: threadError('deep', 40),
    });
    const lines = formatWarning({ kind: 'worker-exited', message: error.message, error });
    expect(lines).toHaveLength(1 + MAX_STACK_LINES + 1);
    expect(lines.at(-1)).toBe(`    ... (${41 - MAX_STACK_LINES} more lines)`);
  });

  test('warnings have a limit of their own, and what it held back is counted at the flush', () => {
    const clock = fakeClock();
    const lines: string[] = [];
    const log = new FailureLog(
      failureLines((line) => lines.push(line)),
      new TokenBucket({ ...FAILURE_LOG_LIMIT, now: clock.now }),
      new TokenBucket({ ...FAILURE_LOG_LIMIT, now: clock.now }),
    );
    for (let i = 0; i < FAILURE_LOG_LIMIT.burst + 3; i++) {
      log.warn({ kind: 'connection-throttled', message: `connection ${i} is paused` });
    }
    expect(lines).toHaveLength(FAILURE_LOG_LIMIT.burst);
    log.flush();
    expect(lines.at(-1)).toBe('3 warnings not logged (limited like failure lines)');
    log.flush();
    expect(lines).toHaveLength(FAILURE_LOG_LIMIT.burst + 1);
  });
});
