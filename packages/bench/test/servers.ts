import { EventEmitter, once } from 'node:events';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { onTestFinished } from 'vitest';

/**
 * Starts a server on 127.0.0.1, port 0, calling `onConnection` with each accepted socket and its
 * index in accept order (from 0). The server and every socket it accepted are closed when the
 * test ends. Resolves with the port.
 */
export async function listenForTest(
  onConnection: (socket: Socket, index: number) => void,
): Promise<number> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server = createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    // A client torn down mid-write is normal at the end of a load run.
    socket.on('error', () => {});
    onConnection(socket, accepted++);
  });
  server.listen(0, '127.0.0.1');
  onTestFinished(async () => {
    for (const socket of sockets) socket.destroy();
    if (server.listening) await new Promise((resolve) => server.close(resolve));
  });
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

export interface EchoServerOptions {
  /** The bytes sent back for the `count`th chunk received (from 1). Default: the chunk itself. */
  readonly reply?: (chunk: Buffer, count: number) => Buffer;
  /** Whether the `index`th accepted connection (from 0) is ever answered. Default: every one. */
  readonly answers?: (index: number) => boolean;
}

/** A server answering each chunk it reads, counting the chunks it answered. */
export interface EchoServer {
  readonly port: number;
  /** Chunks answered so far. */
  readonly answered: number;
  /** Resolves once `count` chunks in all have been answered (driven by the traffic, no timer). */
  answeredAtLeast(count: number): Promise<void>;
}

/** An echo server on port 0 that may change its replies or ignore some connections. */
export async function echoServer(options: EchoServerOptions = {}): Promise<EchoServer> {
  const { reply = (chunk: Buffer) => chunk, answers = () => true } = options;
  const events = new EventEmitter();
  let received = 0;
  let answered = 0;
  const port = await listenForTest((socket, index) => {
    const answering = answers(index);
    socket.on('data', (chunk: Buffer) => {
      if (!answering) return;
      socket.write(reply(chunk, ++received));
      answered++;
      events.emit('answered', answered);
    });
  });
  return {
    port,
    get answered() {
      return answered;
    },
    answeredAtLeast(count) {
      if (answered >= count) return Promise.resolve();
      return new Promise((resolve) => {
        const listener = (total: number) => {
          if (total < count) return;
          events.off('answered', listener);
          resolve();
        };
        events.on('answered', listener);
      });
    },
  };
}

/** A copy of `chunk` with its last byte flipped: a reply one byte wrong. */
export function flipLastByte(chunk: Buffer): Buffer {
  const copy = Buffer.from(chunk);
  copy[copy.length - 1]! ^= 0xff;
  return copy;
}
