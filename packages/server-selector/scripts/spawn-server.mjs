import { fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const child = fileURLToPath(new URL('./echo-server-child.mjs', import.meta.url));
const tsx = import.meta.resolve('tsx');

/** Starts an echo server of `kind` in a child process; see echo-server-child.mjs. */
export async function spawnServer(kind, { gc = false } = {}) {
  const execArgv = ['--conditions=@switchyard/source', '--import', tsx];
  if (gc) execArgv.push('--expose-gc');
  const proc = fork(child, [kind], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const [{ port }] = await once(proc, 'message');
  const ask = async (question) => {
    proc.send(question);
    const [answer] = await once(proc, 'message');
    return answer;
  };
  return {
    kind,
    port,
    /** Server CPU time (user + system) in microseconds. */
    cpuMicros: async () => {
      const { cpu } = await ask('cpu');
      return cpu.user + cpu.system;
    },
    memory: () => ask('memory'),
    stop: async () => {
      proc.disconnect();
      if (proc.exitCode === null) await once(proc, 'exit');
    },
  };
}

export const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
