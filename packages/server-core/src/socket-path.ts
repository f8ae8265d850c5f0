import { lstat, unlink } from 'node:fs/promises';
import { connect } from 'node:net';
import { ListenFailedError } from '@switchyard/protocol';

/**
 * Makes `path` free to listen on, as servers commonly do with a Unix socket file: nothing there,
 * fine; a socket file nobody answers on (left by a server that died), removed; a socket a live
 * server answers on, or a file that is not a socket, refused (`SWITCHYARD_ERR_LISTEN_FAILED`
 * naming the path) and left alone. Liveness is a connection attempt: refused means stale.
 */
export async function claimSocketPath(path: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = (await lstat(path)).isSocket();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw cannotListen(path, (error as NodeJS.ErrnoException).code ?? 'error', error);
  }
  if (!isSocket) throw cannotListen(path, 'a file that is not a socket is there');
  const answer = await probe(path);
  if (answer === 'live') throw cannotListen(path, 'a server is listening there already');
  if (answer !== 'ECONNREFUSED') throw cannotListen(path, answer);
  try {
    await unlink(path);
  } catch (error) {
    // Removed by someone else meanwhile: the path is free all the same.
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
      throw cannotListen(path, (error as NodeJS.ErrnoException).code ?? 'error', error);
  }
}

/** `live` when a server accepts on `path`, else the error code of the attempt. */
function probe(path: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ path });
    socket.once('connect', () => {
      socket.destroy();
      resolve('live');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
  });
}

function cannotListen(path: string, why: string, cause?: unknown): ListenFailedError {
  return new ListenFailedError(
    `cannot listen on unix:${path}: ${why}`,
    cause === undefined ? undefined : { cause },
  );
}
