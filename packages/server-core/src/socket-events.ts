import type { Socket } from 'node:net';

/** What a connection does on its socket's events (see {@link listenTo}). */
export interface SocketEvents {
  read(chunk: Buffer): void;
  /** The client ended its side (`end`). */
  readEnded(): void;
  /** Queued bytes were written (`drain`, or a watched flush). */
  flushed(): void;
  /** Node has already destroyed the socket (a reset, a failed handshake): to report only. */
  socketError(error: Error): void;
  socketClosed(): void;
  /** No byte either way for the socket's timeout (`setTimeout`). */
  idle(): void;
}

// The listeners are the same functions for every socket, each finding its connection on the
// socket (as undici keeps its parser on the socket): an idle connection holds no closure for them.
// `close` comes once, so its listener is added with `on`: `once` would wrap it in an object and a
// bound function for each socket.
const kEvents = Symbol('switchyard.socketEvents');
type ListenedSocket = Socket & { [kEvents]: SocketEvents };

/** Sends `socket`'s events to `events` (`timeout` only where a timeout is set). */
export function listenTo(socket: Socket, events: SocketEvents, idleTimeoutMs: number): void {
  (socket as ListenedSocket)[kEvents] = events;
  socket.on('data', onData).on('end', onEnd).on('drain', onDrain).on('error', onError);
  socket.on('close', onClose);
  if (idleTimeoutMs > 0) socket.setTimeout(idleTimeoutMs).on('timeout', onTimeout);
}

/** Stops serving: nothing more is read or answered (a lingering close). */
export function stopServing(socket: Socket): void {
  socket.off('data', onData).off('end', onEnd);
}

function onData(this: ListenedSocket, chunk: Buffer): void {
  this[kEvents].read(chunk);
}
function onEnd(this: ListenedSocket): void {
  this[kEvents].readEnded();
}
function onDrain(this: ListenedSocket): void {
  this[kEvents].flushed();
}
function onError(this: ListenedSocket, error: Error): void {
  this[kEvents].socketError(error);
}
function onClose(this: ListenedSocket): void {
  this[kEvents].socketClosed();
}
function onTimeout(this: ListenedSocket): void {
  this[kEvents].idle();
}
