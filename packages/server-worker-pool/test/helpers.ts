import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import type { RunningServer } from '@switchyard/protocol';
import { connectTarget } from '@switchyard/protocol';
import { onTestFinished } from 'vitest';
import { canTransferSockets, type PoolMode } from '../src/index.js';

/** A connected client that collects everything it receives; destroyed when the test ends. */
export async function client(server: RunningServer): Promise<Client> {
  const socket = connect(connectTarget(server.address));
  onTestFinished(() => {
    socket.destroy();
  });
  await once(socket, 'connect');
  return new Client(socket);
}

export class Client {
  private received = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  readonly closed: Promise<void>;

  constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.received = Buffer.concat([this.received, chunk]);
      for (const wake of this.waiters.splice(0)) wake();
    });
    socket.on('error', () => {});
    this.closed = new Promise((resolve) => socket.on('close', () => resolve()));
  }

  /**
   * Resolves once `expected` has arrived, exactly; rejects as soon as what arrived differs, or
   * the connection closes first: how a good client checks every reply byte.
   */
  async expectReceived(expected: string): Promise<void> {
    let open = true;
    void this.closed.then(() => {
      open = false;
      for (const wake of this.waiters.splice(0)) wake();
    });
    while (this.received.length < expected.length) {
      if (!expected.startsWith(this.text)) break;
      if (!open)
        throw new Error(
          `connection closed after ${this.received.length} of ${expected.length} bytes`,
        );
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    if (this.text !== expected) {
      throw new Error(`received ${JSON.stringify(this.text.slice(0, 200))}..., not what was sent`);
    }
  }

  /** Resolves with the received bytes once at least `bytes` have arrived. */
  async read(bytes: number): Promise<string> {
    while (this.received.length < bytes) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    return this.received.toString();
  }

  get text(): string {
    return this.received.toString();
  }
}

/** Path of a test handler, as `loadHandler` takes it. */
export function testHandler(name: string): string {
  return new URL(`./handlers/${name}.ts`, import.meta.url).pathname;
}

/** Registers cleanup for a server right after it is created. */
export function cleanup<T extends RunningServer>(server: T): T {
  onTestFinished(() => server.destroy());
  return server;
}

/** The modes this Node can run: offload always, handoff where sockets can move to threads. */
export const runnableModes: readonly PoolMode[] = canTransferSockets()
  ? ['offload', 'handoff']
  : ['offload'];

/** Resolves once `predicate` holds, checking after every turn of the event loop. */
export async function until(predicate: () => boolean): Promise<void> {
  while (!predicate()) await new Promise((resolve) => setImmediate(resolve));
}

/** `count` lines `${name}-${n}\n`, for a client that checks its echo. */
export function numberedLines(name: string, count: number, from = 0): string {
  return Array.from({ length: count }, (_, n) => `${name}-${from + n}\n`).join('');
}

/**
 * A good client on `server` (lines, echo): sends `count` numbered lines in `rounds` writes and
 * checks every reply, exact and in order; rejects if its connection closes first.
 */
export async function goodClient(
  server: RunningServer,
  name: string,
  count: number,
  rounds = 1,
): Promise<void> {
  const connection = await client(server);
  let sent = '';
  for (let round = 0; round < rounds; round++) {
    const lines = numberedLines(name, count / rounds, (round * count) / rounds);
    connection.socket.write(lines);
    sent += lines;
    await connection.expectReceived(sent);
  }
}
