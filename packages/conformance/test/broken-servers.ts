import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';

/**
 * Deliberately broken echo servers: each gets one thing wrong, so the suite can be shown to fail
 * the right cases (and only those). Plain `node:net`, no Switchyard code.
 */
export interface TestServer {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

async function serve(
  onSocket: (socket: Socket, server: Server, sockets: Set<Socket>) => void,
  pauseOnConnect = false,
): Promise<TestServer> {
  const sockets = new Set<Socket>();
  const server = createServer({ allowHalfOpen: true, pauseOnConnect }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    socket.setNoDelay(true);
    onSocket(socket, server, sockets);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address() as { port: number };
  return {
    host: '127.0.0.1',
    port: address.port,
    async close() {
      for (const socket of sockets) socket.destroy();
      if (server.listening) await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A correct raw echo server (ends its side after the client's). */
export function correctEcho(): Promise<TestServer> {
  return serve((socket) => {
    socket.on('data', (chunk) => socket.write(chunk));
    socket.on('end', () => socket.end());
  });
}

/** Raw echo that loses the byte at stream offset 4096 of every connection. */
export const DROPPED_OFFSET = 4096;
export function dropsAByte(): Promise<TestServer> {
  return serve((socket) => {
    let offset = 0;
    socket.on('data', (chunk: Buffer) => {
      const start = offset;
      offset += chunk.length;
      if (start <= DROPPED_OFFSET && DROPPED_OFFSET < offset) {
        const at = DROPPED_OFFSET - start;
        socket.write(Buffer.concat([chunk.subarray(0, at), chunk.subarray(at + 1)]));
      } else socket.write(chunk);
    });
    socket.on('end', () => socket.end());
  });
}

/** `lines` echo that answers the lines of one read in reverse order when it holds three or more. */
export function reordersReplies(): Promise<TestServer> {
  return serve((socket) => {
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      const lines: Buffer[] = [];
      let newline = pending.indexOf(0x0a);
      while (newline !== -1) {
        lines.push(pending.subarray(0, newline + 1));
        pending = pending.subarray(newline + 1);
        newline = pending.indexOf(0x0a);
      }
      if (lines.length >= 3) lines.reverse();
      for (const line of lines) socket.write(line);
    });
    socket.on('end', () => socket.end());
  });
}

/** Raw echo that never ends its side after the client half-closes. */
export function neverEndsAfterHalfClose(): Promise<TestServer> {
  return serve((socket) => {
    socket.on('data', (chunk) => socket.write(chunk));
  });
}

export const DIES_LIMIT = 64 * 1024;
/** `length-prefixed` echo that dies (every connection, and the listener) on an oversized header. */
export function diesOnBadFrame(): Promise<TestServer> {
  return serve((socket, server, sockets) => {
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 4) {
        const declared = pending.readUInt32BE(0);
        if (declared > DIES_LIMIT) {
          for (const each of sockets) each.destroy();
          server.close();
          return;
        }
        if (pending.length < 4 + declared) break;
        socket.write(pending.subarray(0, 4 + declared));
        pending = pending.subarray(4 + declared);
      }
    });
    socket.on('end', () => (pending.length > 0 ? socket.destroy() : socket.end()));
  });
}

/** Raw echo that serves one connection at a time, the others wait in arrival order. */
export function oneAtATime(): Promise<TestServer> {
  const queue: Socket[] = [];
  let current: Socket | undefined;
  const next = () => {
    current = queue.shift();
    current?.resume();
  };
  return serve((socket) => {
    socket.on('data', (chunk) => socket.write(chunk));
    socket.on('end', () => socket.end());
    socket.on('close', () => {
      const waiting = queue.indexOf(socket);
      if (waiting !== -1) queue.splice(waiting, 1);
      if (current === socket) next();
    });
    queue.push(socket);
    if (!current) next();
  }, true);
}

/**
 * Raw echo behind a careless PROXY header reader: it takes the whole first read as the header,
 * so bytes that arrive with the header are lost, and refuses nothing.
 */
export function dropsFirstRead(): Promise<TestServer> {
  return serve((socket) => {
    let first = true;
    socket.on('data', (chunk: Buffer) => {
      if (first) first = false;
      else socket.write(chunk);
    });
    socket.on('end', () => socket.end());
  });
}
