import type { Socket } from 'node:net';

/** Longest a gracefully closing connection keeps reading, and dropping, what a client still sends. */
export const LINGER_MS = 250;
/** A closing client that sent nothing for this long is done sending. */
export const QUIET_MS = 10;

/**
 * Ends our side of `socket` and closes it once the replies and the FIN are written. A client may
 * still be sending, its bytes unread in our socket; closing a socket with unread input makes the
 * kernel send a reset, which can make the client drop replies it has not read yet (seen on Linux
 * loopback: all of them). So first read and drop what the client sends until it ends, or goes
 * quiet for {@link QUIET_MS}, or {@link LINGER_MS} pass (a lingering close, as HTTP servers do).
 * A client that sends nothing more costs the close one quiet period.
 *
 * `stopServing` runs when the lingering starts: it removes the listeners that serve requests, so
 * what arrives from then on is dropped.
 */
export function endAndLinger(socket: Socket, stopServing: () => void): void {
  socket.end();
  socket.once('finish', () => {
    if (socket.destroyed) return;
    if (socket.readableEnded) {
      socket.destroy();
      return;
    }
    let heard = false;
    stopServing();
    socket.setTimeout(0);
    socket.on('data', () => {
      heard = true;
    });
    socket.once('end', () => socket.destroy());
    const quiet = setInterval(() => {
      if (!heard) socket.destroy();
      heard = false;
    }, QUIET_MS);
    const linger = setTimeout(() => socket.destroy(), LINGER_MS);
    socket.once('close', () => {
      clearInterval(quiet);
      clearTimeout(linger);
    });
    socket.resume();
  });
}
