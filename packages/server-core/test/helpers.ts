import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import {
  type Codec,
  connectTarget,
  getCodec,
  resolveServerOptions,
  type ServerOptions,
} from '@switchyard/protocol';
import { BaseServer, Connection, type Dispatch, openConnection } from '@switchyard/server-core';
import { onTestFinished } from 'vitest';

export interface TestServerOptions extends ServerOptions {
  dispatch?: Dispatch;
  maxInFlight?: number;
  /** A codec object to serve with, instead of the built-in one that `codec` names. */
  codecObject?: Codec;
}

/** A minimal strategy over the shared core, with its connections in view for assertions. */
export class TestServer extends BaseServer {
  /** Its connections, as they are made (with tls and proxyProtocol, once the header is read). */
  readonly accepted: Connection[] = [];
  private readonly codec: Codec;
  private readonly dispatch: Dispatch;
  private readonly maxInFlight: number | undefined;

  constructor({ dispatch, maxInFlight, codecObject, ...options }: TestServerOptions) {
    super({ options: resolveServerOptions(options) });
    this.codec = codecObject ?? getCodec(this.options.codec as string);
    this.dispatch = dispatch ?? ((request) => request);
    this.maxInFlight = maxInFlight;
  }

  protected accept(socket: Socket, id: number) {
    const init = {
      id,
      codec: this.codec,
      options: this.options,
      stats: this.recorder,
      budget: this.budget,
      dispatch: this.dispatch,
      maxInFlight: this.maxInFlight,
      onFailure: this.reportFailure,
    };
    return openConnection(socket, init, (socket, init) => {
      const connection = new Connection(socket, init);
      this.accepted.push(connection);
      return connection;
    });
  }
}

/** Starts a test server on a free port and destroys it when the test ends. */
export async function startServer(options: TestServerOptions = {}): Promise<TestServer> {
  const server = new TestServer(options);
  onTestFinished(() => server.destroy());
  return server.listen();
}

/** Connects to `server` and destroys the client when the test ends. */
export async function connectTo(server: BaseServer): Promise<Socket> {
  const socket = connect(connectTarget(server.address));
  onTestFinished(() => {
    socket.destroy();
  });
  socket.on('error', () => {});
  await once(socket, 'connect');
  return socket;
}

/** Collects what a socket receives until it ends or closes. */
export function collect(socket: Socket): Promise<Buffer> {
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  return new Promise((resolve) => socket.once('close', () => resolve(Buffer.concat(chunks))));
}

/** Reads until `length` bytes arrived. */
export function readBytes(socket: Socket, length: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      received += chunk.length;
      if (received >= length) {
        socket.off('data', onData);
        resolve(Buffer.concat(chunks));
      }
    };
    socket.on('data', onData);
    socket.once('close', () => reject(new Error(`closed after ${received} of ${length} bytes`)));
  });
}

/**
 * Waits until `condition` holds, checking on every turn of the event loop (via a short timer),
 * for state that has no event of its own. The test's timeout is the failure.
 */
export async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 2));
}

/** A promise with its resolve function, for handlers the test finishes by hand. */
export function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
