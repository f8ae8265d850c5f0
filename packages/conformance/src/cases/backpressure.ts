import { formatBytes, frameStream } from '../bytes.js';
import { formatStats } from '../context.js';
import { check } from '../outcome.js';
import { PUMP_CHUNK_BYTES } from '../pump.js';
import { roundTrip } from './conn.js';
import { ALL_CODECS, defineCase, WAIT_MS } from './define.js';

export const SLOW_READER_BYTES = 64 * 1024 * 1024;
/** The cap the case configures: small, so 64 MiB is 256 times over it. */
export const SLOW_READER_CAP = 256 * 1024;
/** Payload bytes per frame the slow reader sends. */
const FRAME_PAYLOAD = 64 * 1024;
/** Bytes one socket read hands the server (libuv reads up to 64 KiB at a time). */
export const READ_CHUNK_BYTES = 64 * 1024;
/**
 * The most a TLS socket hands on to the TLS layer while the connection above it is stuck: one
 * record. Those bytes are being encrypted or written, no longer held by the connection.
 */
export const TLS_RECORD_BYTES = 16 * 1024;

/**
 * The most one connection may hold: its cap, plus one read that arrived just below it, plus one
 * frame the decoder holds partially. The check is `peakConnectionBufferedBytes <= this`.
 */
export function bufferedBound(cap: number, frameWireBytes: number): number {
  return cap + READ_CHUNK_BYTES + frameWireBytes;
}

export const backpressureSlowReader = defineCase({
  id: 'backpressure.slow-reader',
  description:
    'a client writes 64 MiB without reading: the server stops reading it (buffer under the cap), keeps serving others, then delivers every byte',
  tier: 'MUST',
  codecs: 'any',
  defaultCodecs: ALL_CODECS,
  needs: [],
  timeoutMs: 40_000,
  async run(ctx) {
    const server = await ctx.echoServer(
      'it measures flow control with replies as large as the requests (64 MiB of them)',
      { maxBufferedBytesPerConnection: SLOW_READER_CAP },
    );
    const slow = await ctx.connect(server, { label: 'slow reader', paused: true });
    const blocks = SLOW_READER_BYTES / FRAME_PAYLOAD;
    const sent = frameStream(ctx.codec, blocks, FRAME_PAYLOAD, 0x5105);
    const pump = slow.pump(sent);
    const running = server.running;
    const cap = server.options.maxBufferedBytesPerConnection;
    const bound = bufferedBound(cap, sent.blockLength);
    // Stopped within a frame of its cap, or within a TLS record of it, which the TLS layer holds.
    const stuckAt = cap - Math.max(sent.blockLength, server.tls ? TLS_RECORD_BYTES : 0);

    // Until the server has stopped reading: our writes no longer drain and it holds its cap, less
    // at most the frame it had no room for (a server may charge each frame it holds an overhead
    // beyond its bytes, so it can stop short of the cap in bytes) or a TLS record.
    await ctx.until(
      () =>
        pump.finished ||
        (pump.waitingForDrain && (!running || running.stats().bufferedBytes >= stuckAt)),
      () =>
        `the server to stop reading from the slow reader (written ${formatBytes(pump.written)}` +
        (running ? `; ${formatStats(running.stats())})` : ')'),
      { timeoutMs: 20_000 },
    );
    check(
      !pump.finished,
      `the server took all ${formatBytes(SLOW_READER_BYTES)} from a client that read nothing: it never stopped reading`,
    );

    if (ctx.capabilities.connections === 'concurrent') {
      const other = await ctx.connect(server, { label: 'other client' });
      await roundTrip(other, ctx.codec, 'served while another client is stuck');
      other.destroy();
    }
    if (running) {
      const peak = running.stats().peakConnectionBufferedBytes;
      check(
        peak <= bound,
        `while stuck, one connection held ${peak} bytes; the bound is ${bound} ` +
          `(cap ${cap} + one ${READ_CHUNK_BYTES} byte read + one ${sent.blockLength} byte frame)`,
      );
    }

    const echoed = slow.expectStream(
      frameStream(ctx.codec, blocks, FRAME_PAYLOAD, 0x5105),
      `echo of ${formatBytes(SLOW_READER_BYTES)} once the client reads`,
    );
    slow.resume();
    await Promise.all([echoed, pump.done]);
    if (running) {
      const peak = running.stats().peakConnectionBufferedBytes;
      check(
        peak <= bound,
        `one connection held ${peak} bytes at its peak; the bound is ${bound} ` +
          `(cap ${cap} + one ${READ_CHUNK_BYTES} byte read + one ${sent.blockLength} byte frame)`,
      );
    }
  },
});

export const STARVATION_ROUND_TRIPS = 20;
/** The bulk client stops at this many bytes; the small client must finish well before. */
const BULK_LIMIT_BYTES = 256 * 1024 * 1024;

export const fairnessNoStarvation = defineCase({
  id: 'fairness.no-starvation',
  description: `while one client streams bulk data, another client's ${STARVATION_ROUND_TRIPS} small request/replies keep completing`,
  tier: 'MUST',
  codecs: 'any',
  defaultCodecs: ALL_CODECS,
  needs: ['concurrent-connections'],
  timeoutMs: 30_000,
  async run(ctx) {
    const server = await ctx.echoServer(
      'it streams up to 256 MiB of bulk data and checks the echo of every byte',
    );
    const bulk = await ctx.connect(server, { label: 'bulk client' });
    const small = await ctx.connect(server, { label: 'small client' });
    const blocks = BULK_LIMIT_BYTES / PUMP_CHUNK_BYTES;
    const pump = bulk.pump(frameStream(ctx.codec, blocks, PUMP_CHUNK_BYTES, 0xb01c));
    const expected = frameStream(ctx.codec, blocks, PUMP_CHUNK_BYTES, 0xb01c);
    // Once stopped, what is owed is every whole frame written; the last may have gone out in part.
    const bulkEchoed = bulk.expectStream(expected, 'echo of the bulk stream', {
      length: () =>
        pump.finished ? expected.boundaryAtOrBefore(pump.written) : Number.POSITIVE_INFINITY,
    });
    bulkEchoed.catch(() => {});
    await ctx.until(
      () => bulk.bytesReceived >= 1024 * 1024 || bulk.gone,
      () => `the bulk echo to get going (${bulk.bytesReceived} bytes back)`,
      { timeoutMs: WAIT_MS },
    );
    for (let round = 1; round <= STARVATION_ROUND_TRIPS; round++) {
      await roundTrip(small, ctx.codec, `small request ${round} during bulk`);
      check(
        !pump.finished,
        `the bulk client sent all ${formatBytes(BULK_LIMIT_BYTES)} before the small client finished (round ${round})`,
      );
    }
    pump.stop();
    await pump.done;
    await bulkEchoed;
  },
});
