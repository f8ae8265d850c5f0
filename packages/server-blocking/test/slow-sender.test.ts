import { ErrorCode } from '@switchyard/protocol';
import { describe, expect, test, vi } from 'vitest';
import { collectFailures, connectClient, startServer } from './helpers.js';

const FRAME_TIMEOUT_MS = 200;

describe('a client dribbling a frame', () => {
  // Over real sockets and real time (the deadline is short, and the test waits on the close):
  // the fake-timer tests cover the exact moment; this one, that the line really moves on.
  test('holds the line no longer than frameTimeoutMs, then the next client is served', async () => {
    const server = await startServer({ codec: 'lines', frameTimeoutMs: FRAME_TIMEOUT_MS });
    const failures = collectFailures(server);
    const slow = await connectClient(server);
    slow.socket.write('a frame that never ');
    const next = await connectClient(server);
    next.socket.write('next\n');
    await vi.waitFor(() => expect(server.waiting).toBe(1));
    // Real time: the deadline is short, and the test waits on the close, not a sleep.
    await slow.closed;
    await next.receive('next\n');
    expect(slow.received()).toBe('');
    expect(failures.map(({ error }) => error.code)).toEqual([ErrorCode.FRAME_TIMEOUT]);
  });
});
