import { Worker } from 'node:worker_threads';

/**
 * Starts a worker thread on a TypeScript module of the lab. Node 20 does not apply `--import tsx`
 * to a worker's entry, so the thread registers tsx itself, then imports the module; the worker
 * inherits this process's `--conditions`, so packages still resolve to their sources.
 */
export function startWorker(module: URL, workerData: unknown): Worker {
  const tsx = import.meta.resolve('tsx/esm/api');
  const bootstrap =
    `import(${JSON.stringify(tsx)})` +
    `.then(({ register }) => { register(); return import(${JSON.stringify(module.href)}); })`;
  return new Worker(bootstrap, { eval: true, workerData });
}
