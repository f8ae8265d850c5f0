import { type ChildProcess, fork } from 'node:child_process';
import cluster from 'node:cluster';
import { fileURLToPath } from 'node:url';
import { siblingModule } from '@switchyard/server-core';
import type { Distribution } from './options.js';

/** Starts one serving child process. */
export type Launch = () => ChildProcess;

/**
 * How this (supervisor) process starts its serving children for a distribution. `rr` and `os`
 * are cluster workers: a worker's `listen` asks this process, the cluster primary, for the
 * listener, so workers that ask for the same address share one. `cluster.schedulingPolicy` and
 * `setupPrimary` are process-wide and frozen at the first fork, which is why they are set here,
 * in a process that runs nothing else, and never in the program that called `listen`.
 * `reuseport` children are plain child processes that bind the port themselves.
 */
export function launcher(distribution: Distribution): Launch {
  const entry = fileURLToPath(siblingModule(import.meta.url, './child.ts'));
  // This process was started with what its children need: tsx from sources, or the flags the
  // program itself was started with.
  const execArgv = process.execArgv;
  if (distribution === 'reuseport') {
    return () => fork(entry, [], { execArgv, serialization: 'advanced' });
  }
  cluster.schedulingPolicy = distribution === 'rr' ? cluster.SCHED_RR : cluster.SCHED_NONE;
  cluster.setupPrimary({ exec: entry, execArgv, serialization: 'advanced' });
  return () => cluster.fork().process;
}
