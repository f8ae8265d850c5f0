import { Worker } from 'node:worker_threads';
import { workerThreadStart } from '@switchyard/server-core';

/**
 * Starts a worker thread on a TypeScript module of the lab, through server-core's launcher (the
 * thread registers tsx itself: Node 20 does not apply `--import tsx` to a worker's entry).
 */
export function startWorker(module: URL, workerData: unknown): Worker {
  const { filename, options } = workerThreadStart(module);
  return new Worker(filename, { ...options, workerData });
}
