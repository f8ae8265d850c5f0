import type { Socket } from 'node:net';

interface ReadableInternals {
  _readableState?: { highWaterMark: number };
}

/**
 * Makes a paused socket stop reading from the kernel after one more chunk. A paused Node stream
 * keeps reading until it buffers its high-water mark (16 KiB on Node 20, 64 KiB on 22+), and a
 * client sending one byte per TCP segment turns that into thousands of Buffers of over 100 bytes
 * each: megabytes per paused connection, outside any cap. With a high-water mark of 0 the
 * stream calls `readStop` as soon as a chunk is buffered, so a paused connection holds at most
 * one read and the rest waits in the kernel, where TCP flow control slows the client down.
 * Reading while flowing is unchanged (each chunk is emitted as it arrives, never buffered).
 *
 * Node offers no option for one side only (`net.createServer({ highWaterMark })` sets both, and
 * a small writable mark would emit `drain` after every write), so this sets the readable
 * state's field, as `new Readable({ readableHighWaterMark: 0 })` would have.
 */
export function readAtMostOneChunkWhilePaused(socket: Socket): void {
  const state = (socket as ReadableInternals)._readableState;
  if (state !== undefined) state.highWaterMark = 0;
}
