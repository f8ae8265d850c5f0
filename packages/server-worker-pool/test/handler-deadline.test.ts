import {
  type ConnectionFailure,
  ErrorCode,
  HandlerTimeoutError,
  type ServerWarning,
} from '@switchyard/protocol';
import { expect, test } from 'vitest';
import { workerPoolStrategy } from '../src/index.js';
import {
  cleanup,
  client,
  goodClient,
  numberedLines,
  runnableModes,
  testHandler,
  until,
} from './helpers.js';

/** Short enough for a test, long enough that an echo on a loaded machine never meets it. */
const DEADLINE_MS = 1000;

async function hostileServer(mode: 'offload' | 'handoff', workers: number) {
  const shared = new Int32Array(new SharedArrayBuffer(12));
  const server = cleanup(
    await workerPoolStrategy.listen({
      mode,
      workers,
      codec: 'lines',
      handler: testHandler('hostile'),
      handlerOptions: { shared: shared.buffer },
      handlerTimeoutMs: DEADLINE_MS,
    }),
  );
  const failures: ConnectionFailure[] = [];
  const warnings: ServerWarning[] = [];
  server.on('failure', (failure) => failures.push(failure));
  server.on('warning', (warning) => warnings.push(warning));
  return { server, shared, failures, warnings };
}

test('offload: a request whose handler never settles fails at handlerTimeoutMs and closes its connection only; the worker stays', async () => {
  const { server, failures, warnings } = await hostileServer('offload', 2);
  const hung = await client(server);
  const hungPort = hung.socket.localPort;
  hung.socket.write('hang\n');
  const good = goodClient(server, 'good', 200, 4);
  await hung.closed;
  await good;
  expect(failures).toEqual([
    expect.objectContaining({ remotePort: hungPort, error: expect.any(HandlerTimeoutError) }),
  ]);
  expect(failures[0]!.error.message).toBe(`handler did not settle within ${DEADLINE_MS} ms`);
  expect(server.stats().errors).toEqual({ [ErrorCode.HANDLER_TIMEOUT]: 1 });
  // An async call that never settles holds no thread: nothing to stop.
  expect(warnings).toEqual([]);
});

/** The one warning a stopped thread gives: why, and that a new thread took its place. */
function expectStopped(warnings: readonly ServerWarning[], loss: RegExp): void {
  expect(warnings).toEqual([
    expect.objectContaining({
      kind: 'worker-exited',
      message: expect.stringMatching(
        new RegExp(`^worker \\d was stopped: handler did not settle within ${DEADLINE_MS} ms`),
      ),
      error: expect.objectContaining({
        code: ErrorCode.WORKER_EXITED,
        cause: expect.any(HandlerTimeoutError),
      }),
    }),
  ]);
  expect(warnings[0]!.message).toMatch(loss);
  expect(warnings[0]!.message).toMatch(/a new thread took its place$/);
}

test('offload: a handler stuck in a synchronous loop: its thread is stopped and replaced; the requests queued behind it are served, only the stuck one fails', async () => {
  // One thread, so the good requests queue behind the stuck call on the same thread.
  const { server, shared, failures, warnings } = await hostileServer('offload', 1);
  const stuck = await client(server);
  const stuckPort = stuck.socket.localPort;
  stuck.socket.write('spin\n');
  await until(() => Atomics.load(shared, 0) === 1);
  const lines = numberedLines('queued', 300);
  const queued = await client(server);
  queued.socket.write(lines);

  await stuck.closed;
  await queued.expectReceived(lines);
  await goodClient(server, 'after', 200, 2);
  expectStopped(
    warnings,
    /1 request it had started failed, \d+ requests? it had not started went to live workers/,
  );
  expect(failures).toEqual([
    expect.objectContaining({ remotePort: stuckPort, error: expect.any(HandlerTimeoutError) }),
  ]);
  Atomics.store(shared, 2, 1);
  Atomics.notify(shared, 2);
});

test.runIf(runnableModes.includes('handoff'))(
  'handoff: a handler stuck in a synchronous loop: its thread is stopped and replaced; its connections are lost and counted, the others stay',
  async () => {
    const { server, shared, failures, warnings } = await hostileServer('handoff', 2);
    // One connection on each thread (the least loaded takes the next).
    const stuck = await client(server);
    const stuckPort = stuck.socket.localPort;
    const bystander = await client(server);
    stuck.socket.write('spin\n');
    await stuck.closed;
    bystander.socket.write('still here\n');
    await bystander.expectReceived('still here\n');
    await goodClient(server, 'after', 200, 2);
    expectStopped(warnings, /1 connection it served lost/);
    expect(failures).toEqual([
      expect.objectContaining({
        remotePort: stuckPort,
        error: expect.objectContaining({ code: ErrorCode.WORKER_EXITED }),
      }),
    ]);
    expect(server.stats().errors).toEqual({ [ErrorCode.WORKER_EXITED]: 1 });
    Atomics.store(shared, 2, 1);
    Atomics.notify(shared, 2);
  },
);
