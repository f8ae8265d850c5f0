import { fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

/** The servers `echo-server.ts` runs. `blocking` serves one connection at a time. */
export const serverKinds = [
  'selector',
  'net-pipe',
  'blocking',
  'worker-pool:offload',
  'worker-pool:handoff',
] as const;
export type ServerKind = (typeof serverKinds)[number];

export interface ServerMemory {
  /** The process's, so every thread's. */
  rss: number;
  /** Used V8 heap, summed over the main thread and a worker pool's threads. */
  heapUsed: number;
  /** File descriptors the server process has open (Linux). */
  fds: number;
  /** Connections the server counts as active (Switchyard strategies only). */
  active: number | undefined;
  /** Bytes its connections hold, as its stats say (Switchyard strategies only). */
  bufferedBytes: number | undefined;
}

/** What the server process tells its parent. */
export type ToParent = { port: number } | { cpu: NodeJS.CpuUsage } | { memory: ServerMemory };

export interface SpawnedServer {
  readonly kind: ServerKind;
  readonly port: number;
  /** The server process's CPU time so far (user + system), in microseconds. */
  cpuMicros(): Promise<number>;
  memory(): Promise<ServerMemory>;
  stop(): Promise<void>;
}

const child = fileURLToPath(new URL('./echo-server.ts', import.meta.url));

export function isServerKind(kind: string): kind is ServerKind {
  return (serverKinds as readonly string[]).includes(kind);
}

/**
 * Starts an echo server of `kind` in a child process, run the way this process runs (tsx and the
 * source condition come from `process.execArgv`, or the packages' dist with `built`); `gc` lets
 * it collect before measuring memory.
 */
export async function spawnServer(
  kind: ServerKind,
  { gc = false, built = false } = {},
): Promise<SpawnedServer> {
  // `built`: the packages' dist, as users run them, not their sources through tsx (whose
  // `keepNames` gives every function a property of its own, and so a heavier closure).
  const inherited = built
    ? process.execArgv.filter((flag) => !flag.startsWith('--conditions'))
    : process.execArgv;
  const proc = fork(child, [kind, ...(gc ? ['--gc'] : [])], {
    execArgv: inherited,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = once(proc, 'exit').then(([code]) => {
    throw new Error(`${kind} server exited (code ${String(code)})`);
  });
  exited.catch(() => {});
  // Every answer races the server's exit, so that a server that fails (a mode this Node cannot
  // run) ends the script instead of leaving it waiting.
  const next = async (): Promise<ToParent> => {
    const [message] = (await Promise.race([once(proc, 'message'), exited])) as [ToParent];
    return message;
  };
  const ready = await next();
  if (!('port' in ready)) throw new Error(`${kind} server did not report its port`);
  const ask = async (question: 'cpu' | 'memory'): Promise<ToParent> => {
    proc.send(question);
    return next();
  };
  return {
    kind,
    port: ready.port,
    async cpuMicros() {
      const answer = await ask('cpu');
      if (!('cpu' in answer)) throw new Error('expected a cpu answer');
      return answer.cpu.user + answer.cpu.system;
    },
    async memory() {
      const answer = await ask('memory');
      if (!('memory' in answer)) throw new Error('expected a memory answer');
      return answer.memory;
    },
    async stop() {
      const exited = proc.exitCode === null ? once(proc, 'exit') : Promise.resolve();
      proc.disconnect();
      await exited;
    },
  };
}
