import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import type { RunningServer } from '@switchyard/protocol';
import { onTestFinished } from 'vitest';
import { canTransferSockets, type PoolMode } from '../src/index.js';

/** A connected client that collects everything it receives; destroyed when the test ends. */
export async function client(server: RunningServer): Promise<Client> {
  const socket = connect(server.address.port, '127.0.0.1');
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
