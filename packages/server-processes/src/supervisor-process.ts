import { type ChildProcess, fork } from 'node:child_process';
import { childProcessArgs, isSourceModule, siblingModule } from '@switchyard/server-core';

/** Starts the supervisor of one multi-process server (supervisor.ts), with an IPC channel. */
export function startSupervisor(): ChildProcess {
  const entry = siblingModule(import.meta.url, './supervisor.ts');
  const args = childProcessArgs(entry);
  return fork(args.at(-1)!, [], {
    // From sources the supervisor runs through tsx; from the build, with this program's flags.
    execArgv: isSourceModule(entry) ? args.slice(0, -1) : process.execArgv,
    serialization: 'advanced',
    // Children write to this process's stderr: `serve` prints its one line to stdout alone.
    stdio: ['ignore', 2, 2, 'ipc'],
    // A process group of its own: a signal to this program's group (a terminal's Ctrl-C, a
    // supervisor's kill) reaches this process only, which closes every child gracefully, once;
    // children still loading, before they can ignore it, would die of it.
    detached: true,
  });
}
