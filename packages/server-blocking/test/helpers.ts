import { connect, type Socket } from 'node:net';
import type { ConnectionFailure, Handler, RunningServer } from '@switchyard/protocol';
import { connectTarget } from '@switchyard/protocol';
import { loadService } from '@switchyard/server-core';
import { onTestFinished } from 'vitest';
import { type BlockingOptions, BlockingServer, resolveBlockingOptions } from '../src/index.js';

/** Starts a blocking server with an in-process handler; destroyed when the test finishes. */
export async function startServer(
  options: BlockingOptions = {},
  handler: Handler = (request) => request,
): Promise<BlockingServer> {
  const resolved = resolveBlockingOptions({ ...options, handler });
  const server = await new BlockingServer(resolved, await loadService(resolved)).listen();
  onTestFinished(() => server.destroy());
  return server;
}

/** A connected client that collects what it receives; destroyed when the test finishes. */
export interface Client {
  readonly socket: Socket;
  /** Everything received so far, as text. */
  received(): string;
  /** Resolves once the received text has `text` in it. */
  receive(text: string): Promise<void>;
  /** Resolves once the socket has closed, with or without an error. */
  readonly closed: Promise<void>;
}

export async function connectClient(server: RunningServer): Promise<Client> {
  const socket = connect(connectTarget(server.address));
  onTestFinished(() => {
    socket.destroy();
  });
  // A refused client sees a reset; the test looks at `closed`, not at the error.
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  let text = '';
  const waiters = new Set<() => void>();
  socket.on('data', (chunk: Buffer) => {
    text += chunk.toString();
    for (const waiter of waiters) waiter();
  });
  // A refused client may see the reset before its own connect completes: then it is closed.
  await Promise.race([new Promise((resolve) => socket.once('connect', resolve)), closed]);
  return {
    socket,
    closed,
    received: () => text,
    receive: (expected) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (text.includes(expected)) {
            waiters.delete(check);
            resolve();
          }
        };
        waiters.add(check);
        check();
        socket.once('close', () => {
          if (!text.includes(expected)) reject(new Error(`closed before "${expected}": "${text}"`));
        });
      }),
  };
}

/** A promise with its resolve function, for handlers the test releases. */
export function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Every failure the server reports from now on, in order. */
export function collectFailures(server: RunningServer): ConnectionFailure[] {
  const failures: ConnectionFailure[] = [];
  server.on('failure', (failure) => failures.push(failure));
  return failures;
}
