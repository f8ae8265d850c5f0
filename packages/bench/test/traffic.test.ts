import {
  builtinWorkloads,
  getCodec,
  isSwitchyardError,
  loadCodec,
  loadWorkload,
  previewBytes,
  type Workload,
  type WorkloadCell,
} from '@switchyard/protocol';
import { describe, expect, it } from 'vitest';
import { makeTraffic, type Traffic } from '../src/traffic.js';

const UPPER = new URL('./workloads/upper.mjs', import.meta.url).href;
const CELL: WorkloadCell = { connections: 1, depth: 1 };

async function trafficOf(workload: string | Workload, cell: WorkloadCell = CELL): Promise<Traffic> {
  const loaded = await loadWorkload(workload);
  return makeTraffic(loaded, await loadCodec(loaded.codec), cell);
}

/** Feeds `bytes` to a fresh checker, owed `frames`, in chunks of `step` bytes. */
function feed(traffic: Traffic, frames: readonly Buffer[], bytes: Buffer, step: number) {
  const checker = traffic.checker();
  for (const frame of frames) checker.expect(frame);
  const repliesAfterChunk: number[] = [];
  let replies = 0;
  for (let start = 0; start < bytes.length; start += step) {
    const problem = checker.consume(bytes.subarray(start, start + step), () => replies++);
    if (problem !== undefined)
      return { problem, replies, repliesAfterChunk, pending: checker.pending };
    repliesAfterChunk.push(replies);
  }
  return { problem: undefined, replies, repliesAfterChunk, pending: checker.pending };
}

describe('traffic of a check-based workload over lines', () => {
  it("makes the workload's requests, encoded by its codec", async () => {
    const traffic = await trafficOf(UPPER);
    const { frame, wire } = traffic.request(4, 2);
    expect(frame.toString()).toBe('hello from 2, request 4');
    expect(wire.toString()).toBe('hello from 2, request 4\n');
  });

  it('accepts right replies however they are split across chunks, one reply per line', async () => {
    const traffic = await trafficOf(UPPER);
    const frames = [traffic.request(0, 0).frame, traffic.request(1, 0).frame];
    const stream = Buffer.from('HELLO FROM 0, REQUEST 0\nHELLO FROM 0, REQUEST 1\n');
    // A byte at a time: each reply completes exactly on its newline, not before.
    const bytewise = feed(traffic, frames, stream, 1);
    expect(bytewise.problem).toBeUndefined();
    expect(bytewise.replies).toBe(2);
    expect(bytewise.pending).toBe(0);
    expect(bytewise.repliesAfterChunk.indexOf(1)).toBe(stream.indexOf('\n'));
    // Both replies in one chunk, and a split in the middle of the second.
    expect(feed(traffic, frames, stream, stream.length).replies).toBe(2);
    expect(feed(traffic, frames, stream, 30).replies).toBe(2);
  });

  it('reports a wrong reply with the request, the reply and the reason', async () => {
    const traffic = await trafficOf(UPPER);
    const { frame } = traffic.request(0, 0);
    const result = feed(traffic, [frame], Buffer.from('hello from 0, request 0\n'), 7);
    expect(result.replies).toBe(0);
    expect(result.problem).toBe(
      'wrong reply to request "hello from 0, request 0" (23 B): ' +
        'got "hello from 0, request 0" (23 B): expected the request in upper case',
    );
  });

  it('reports a reply nobody asked for', async () => {
    const traffic = await trafficOf(UPPER);
    const result = feed(traffic, [], Buffer.from('SURPRISE\n'), 100);
    expect(result.problem).toMatch(/unexpected reply "SURPRISE" \(8 B\): no request was waiting/);
  });

  it('reports a reply its codec cannot decode', async () => {
    const loaded = await loadWorkload(UPPER);
    const traffic = makeTraffic(loaded, getCodec('length-prefixed'), CELL);
    // A length-prefixed header announcing 4 GiB: over any frame limit.
    const result = feed(
      traffic,
      [traffic.request(0, 0).frame],
      Buffer.from([0xff, 0xff, 0xff, 0xff]),
      4,
    );
    expect(result.problem).toMatch(/^reply could not be decoded: /);
  });
});

describe('traffic of an expect-only workload', () => {
  it('over raw, streams the reply bytes: a reply completes on its last byte', async () => {
    const traffic = await trafficOf(builtinWorkloads.echo, { size: 64, connections: 1, depth: 1 });
    const first = traffic.request(0, 0);
    const second = traffic.request(1, 0).frame;
    expect(first.frame).toHaveLength(64);
    expect(first.wire.equals(first.frame)).toBe(true);
    const result = feed(traffic, [first.frame, second], Buffer.concat([first.frame, second]), 10);
    expect(result.problem).toBeUndefined();
    expect(result.replies).toBe(2);
    // 10-byte chunks: the first reply ends in the 7th chunk (bytes 60-69), not before.
    expect(result.repliesAfterChunk.slice(5, 8)).toEqual([0, 1, 1]);
  });

  it('over raw, names the request and the first wrong byte', async () => {
    const traffic = await trafficOf(builtinWorkloads.echo, { size: 64, connections: 1, depth: 1 });
    const first = traffic.request(0, 0).frame;
    const second = traffic.request(1, 0).frame;
    const wrong = Buffer.from(second);
    wrong[10]! ^= 0xff;
    const result = feed(traffic, [first, second], Buffer.concat([first, wrong]), 16);
    expect(result.replies).toBe(1);
    expect(result.problem).toContain(
      `wrong reply to request ${previewBytes(second)}: reply 2: byte 10 of 64 differs (expected 0x`,
    );
  });

  it('over lines, compares the encoded expected reply, newline included', async () => {
    const shout: Workload = {
      name: 'shout',
      codec: 'lines',
      handler: 'echo',
      request: (seq) => `ping ${seq}`,
      expect: (request) => request.toString().toUpperCase(),
    };
    const traffic = await trafficOf(shout);
    const frame = traffic.request(3, 0).frame;
    expect(feed(traffic, [frame], Buffer.from('PING 3\n'), 2).replies).toBe(1);
    expect(feed(traffic, [frame], Buffer.from('PING 3\r\n'), 2).problem).toMatch(
      /^wrong reply to request "ping 3" \(6 B\): byte 6 of 7 differs/,
    );
  });

  it('with check as well as expect, both must hold: a reply check refuses is wrong', async () => {
    const picky: Workload = {
      name: 'picky',
      codec: 'raw',
      handler: 'echo',
      request: (seq) => `ping ${seq}`,
      expect: (request) => request,
      check: (request) => !request.toString().endsWith('1') || 'odd requests are refused',
    };
    const traffic = await trafficOf(picky);
    const frames = [0, 1].map((seq) => traffic.request(seq, 0).frame);
    const result = feed(traffic, frames, Buffer.from('ping 0ping 1'), 3);
    expect(result.replies).toBe(1);
    expect(result.problem).toBe(
      'wrong reply to request "ping 1" (6 B): got "ping 1" (6 B): odd requests are refused',
    );
  });

  it("a request the codec cannot carry is the workload's error, naming the request", async () => {
    const multiline: Workload = {
      name: 'multiline',
      codec: 'lines',
      handler: 'echo',
      request: (seq) => `line ${seq}\nand more`,
      expect: (request) => request,
    };
    const traffic = await trafficOf(multiline);
    const error = (() => {
      try {
        traffic.request(2, 5);
      } catch (thrown) {
        return thrown;
      }
    })();
    expect(isSwitchyardError(error, 'SWITCHYARD_ERR_WORKLOAD_INVALID')).toBe(true);
    expect((error as Error).message).toMatch(
      /request 2 of connection 5 over lines: a lines frame cannot contain a newline/,
    );
  });

  it('over raw without expect is refused: only expected bytes say where a reply ends', async () => {
    const loaded = await loadWorkload({
      name: 'upper-raw',
      codec: 'raw',
      handler: 'echo',
      request: (seq) => `hello ${seq}`,
      check: (request, reply) => reply.equals(Buffer.from(request.toString().toUpperCase())),
    });
    let thrown: unknown;
    try {
      makeTraffic(loaded, await loadCodec('raw'), CELL);
    } catch (error) {
      thrown = error;
    }
    expect(isSwitchyardError(thrown, 'SWITCHYARD_ERR_WORKLOAD_INVALID')).toBe(true);
    expect((thrown as Error).message).toMatch(/give expect\(request\)/);
  });
});
