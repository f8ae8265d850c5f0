import type { Socket } from 'node:net';
import { linesCodec } from '@switchyard/protocol';
import { describe, expect, test } from 'vitest';
import { FRAMES_PER_TURN, FrameFeed, type FrameFeedHost } from '../src/frame-feed.js';
import { connectTo, readBytes, startServer, until } from './helpers.js';

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A feed over a `lines` decoder whose host records what it is asked to do. */
function feed() {
  const events: string[] = [];
  const ran: string[] = [];
  const host: FrameFeedHost = {
    runFrame: (frame) => ran.push(frame.toString()),
    stopped: () => false,
    holdReading: (hold) => events.push(hold ? 'hold' : 'read on'),
    afterFrames: () => events.push(`after ${ran.length}`),
    decodingFailed: (error) => events.push(`failed ${String(error)}`),
  };
  const socket = { cork() {}, uncork() {} } as unknown as Socket;
  const decoder = linesCodec.createDecoder({ maxFrameBytes: 1024 });
  return { feed: new FrameFeed(socket, decoder, undefined, host), events, ran };
}

describe('FrameFeed', () => {
  test('runs a read of few frames at once', () => {
    const { feed: frames, events, ran } = feed();
    frames.read(Buffer.from('a\nb\nc\n'));
    expect(ran).toEqual(['a', 'b', 'c']);
    expect(events).toEqual(['after 3']);
    expect(frames.pending).toBe(false);
  });

  test('runs a large read a turn at a time, in order, holding reading until the last', async () => {
    const { feed: frames, events, ran } = feed();
    const count = FRAMES_PER_TURN * 2 + 5;
    const lines = Array.from({ length: count }, (_, index) => `${index}\n`).join('');
    frames.read(Buffer.from(lines));
    expect(ran).toHaveLength(FRAMES_PER_TURN);
    expect(frames.pending).toBe(true);
    await nextTurn();
    expect(ran).toHaveLength(FRAMES_PER_TURN * 2);
    await nextTurn();
    expect(ran).toEqual(Array.from({ length: count }, (_, index) => `${index}`));
    expect(frames.pending).toBe(false);
    expect(events).toEqual([
      'hold',
      `after ${FRAMES_PER_TURN}`,
      `after ${FRAMES_PER_TURN * 2}`,
      'read on',
      `after ${count}`,
    ]);
  });
});

describe('a client pipelining thousands of frames in one write', () => {
  test('does not keep another connection waiting until all of them have run', async () => {
    let floodRun = 0;
    let floodRunBeforeOther: number | undefined;
    const server = await startServer({
      codec: 'lines',
      dispatch: (request) => {
        if (request.toString() === 'other') floodRunBeforeOther = floodRun;
        else floodRun++;
        return request;
      },
    });
    const flood = await connectTo(server);
    const other = await connectTo(server);
    // 30 000 frames in one write (one read, most likely), and another client's one request
    // written in the same turn: both sockets are readable when the server next polls.
    const count = 30_000;
    flood.resume();
    flood.write(Buffer.alloc(count * 2, 'x\n'));
    const reply = readBytes(other, 6);
    other.write('other\n');
    expect((await reply).toString()).toBe('other\n');
    await until(() => floodRun === count);
    expect(floodRunBeforeOther).toBeLessThan(count / 2);
  });
});
