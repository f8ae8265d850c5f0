import { EventEmitter, once } from 'node:events';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { onTestFinished } from 'vitest';

/** What a recording server saw on one connection. */
export interface Seen {
  readonly socket: Socket;
  /** Each read, as it arrived. */
  readonly reads: Buffer[];
  bytes: number;
  /** The client ended its side (FIN). */
  ended: boolean;
  /** The code of the socket error that ended it (`ECONNRESET` for a reset), if any. */
  error: string | undefined;
  closed: boolean;
}

/** A server on 127.0.0.1:0 that records every connection; closed when the test ends. */
export interface RecordingServer {
  readonly port: number;
  readonly connections: readonly Seen[];
  /** Resolves once `condition` holds, checked on every thing the server sees. */
  until(condition: (connections: readonly Seen[]) => boolean): Promise<void>;
}

/** Starts a recording server; `onData` may answer or close (the read is recorded first). */
export async function recordingServer(
  onData: (seen: Seen, chunk: Buffer) => void = () => {},
): Promise<RecordingServer> {
  const events = new EventEmitter();
  const connections: Seen[] = [];
  const server = createServer({ noDelay: true }, (socket) => {
    const seen: Seen = {
      socket,
      reads: [],
      bytes: 0,
      ended: false,
      error: undefined,
      closed: false,
    };
    connections.push(seen);
    const changed = () => events.emit('change');
    socket.on('data', (chunk: Buffer) => {
      seen.reads.push(chunk);
      seen.bytes += chunk.length;
      onData(seen, chunk);
      changed();
    });
    socket.on('end', () => {
      seen.ended = true;
      changed();
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      seen.error = error.code;
    });
    socket.on('close', () => {
      seen.closed = true;
      changed();
    });
    changed();
  });
  server.listen(0, '127.0.0.1');
  onTestFinished(async () => {
    for (const { socket } of connections) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    connections,
    until: (condition) =>
      new Promise((resolve) => {
        const check = () => {
          if (!condition(connections)) return;
          events.off('change', check);
          resolve();
        };
        events.on('change', check);
        check();
      }),
  };
}

/**
 * Resolves once `condition` holds, polling every few ms for at most `withinMs`: for states no
 * event announces (what the attacking side has counted).
 */
export async function until(condition: () => boolean, withinMs = 10_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${withinMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
