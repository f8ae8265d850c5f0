import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { supportedModes } from '@switchyard/protocol';
import { onTestFinished } from 'vitest';
import {
  type Distribution,
  distributions,
  type MultiProcessServer,
  multiProcess,
  type ProcessesOptions,
} from '../src/index.js';
import { loopStrategy } from './fixtures/loop-strategy.js';

export const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url).href;

/** The distributions this Node runs: `reuseport` from Node 22.12 (CI's Node 26 pass). */
export const runnableDistributions: Distribution[] = supportedModes(distributions).map(
  (mode) => mode.name,
);

/** Two processes of the loop strategy, destroyed when the test ends. */
export async function startTwo(
  distribution: Distribution,
  options: ProcessesOptions = {},
): Promise<MultiProcessServer> {
  const server = await multiProcess(loopStrategy).listen({
    processes: 2,
    distribution,
    ...options,
  });
  onTestFinished(() => server.destroy());
  return server;
}

/** Every pid of a multi-process server: the supervisor and the processes serving now. */
export function pidsOf(server: MultiProcessServer): number[] {
  const { supervisorPid, processes } = server.stats();
  return [supervisorPid, ...processes.map((each) => each.pid)];
}

/** True while `pid` runs (a zombie, dead but not yet reaped, does not count). */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Live processes whose parent is `pid`. */
export function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((child) => {
      try {
        const stat = readFileSync(`/proc/${child}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return fields[0] !== 'Z' && Number(fields[1]) === pid;
      } catch {
        return false;
      }
    });
}

/**
 * Waits until `condition` holds, checking every few milliseconds, for state no event announces
 * (another process's life). Bounded: fails with `what` after `limitMs`.
 */
export async function until(condition: () => boolean, what: string, limitMs = 10_000) {
  const deadline = Date.now() + limitMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`still waiting after ${limitMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A client of `port`, destroyed when the test ends. */
export async function client(port: number): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  onTestFinished(() => {
    socket.destroy();
  });
  socket.on('error', () => {});
  await once(socket, 'connect');
  return socket;
}

/** Sends `text` and resolves with what came back once `text.length` bytes arrived. */
export function roundTrip(socket: Socket, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let received = '';
    const onData = (chunk: Buffer) => {
      received += chunk.toString();
      if (received.length < text.length) return;
      socket.off('data', onData);
      resolve(received);
    };
    socket.on('data', onData);
    socket.once('close', () => reject(new Error(`closed after "${received}"`)));
    socket.write(text);
  });
}
