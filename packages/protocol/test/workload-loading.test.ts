import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, test } from 'vitest';
import {
  builtinWorkloads,
  describeWrongReply,
  ErrorCode,
  loadWorkload,
  previewBytes,
  replyProblem,
  WorkloadInvalidError,
  WorkloadNotFoundError,
} from '../src/index.js';
import { rejectionOf } from './support/streams.js';

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));

describe('loadWorkload', () => {
  test('a built-in name loads its module; echo expects the request back', async () => {
    const echo = await loadWorkload('echo');
    expect(echo.module).toBe(builtinWorkloads.echo);
    expect(echo.codec).toBe('raw');
    expect(echo.handler).toBe('@switchyard/protocol/handlers/echo');
    const request = Buffer.from(echo.request(3, 1, { size: 100, connections: 2, depth: 1 }));
    expect(request).toHaveLength(100);
    expect(replyProblem(echo, request, request)).toBeUndefined();
    expect(replyProblem(echo, request, request.subarray(1))).toMatch(/^expected /);
  });

  test('every built-in workload loads', async () => {
    for (const name of Object.keys(builtinWorkloads)) {
      const workload = await loadWorkload(name);
      expect(workload.name).toBe(name);
    }
  });

  test("a module's relative handler path is taken from the module's directory", async () => {
    const upper = await loadWorkload('./workloads/upper.js', fixtures);
    expect(upper.handler).toBe(pathToFileURL(`${fixtures}upper-handler.js`).href);
    expect(upper.codec).toBe('lines');
    expect(upper.module).toBe(pathToFileURL(`${fixtures}workloads/upper.js`).href);
    const request = Buffer.from(upper.request(0, 2, { connections: 3, depth: 1 }));
    expect(request.toString()).toBe('hello 2/0');
    expect(replyProblem(upper, request, Buffer.from('HELLO 2/0'))).toBeUndefined();
    expect(replyProblem(upper, request, Buffer.from('hello 2/0'))).toBe(
      'expected the request upper-cased',
    );
  });

  test('a value works too, its paths against the base directory; functions stay bound', async () => {
    const workload = {
      name: 'counter',
      codec: './codec.js',
      handler: 'echo',
      prefix: 'n',
      request(seq: number) {
        return `${this.prefix}${seq}`;
      },
      expect: (request: Buffer) => request,
    };
    const loaded = await loadWorkload(workload, '/srv/app');
    expect(loaded.codec).toBe('file:///srv/app/codec.js');
    expect(loaded.module).toBeUndefined();
    const { request } = loaded;
    expect(request(4, 0, { connections: 1, depth: 1 })).toBe('n4');
  });

  test('a missing module is WORKLOAD_NOT_FOUND with the loader message', async () => {
    const error = await rejectionOf(loadWorkload('./nope.js', fixtures));
    expect(error).toBeInstanceOf(WorkloadNotFoundError);
    expect((error as WorkloadNotFoundError).code).toBe(ErrorCode.WORKLOAD_NOT_FOUND);
    expect((error as Error).message).toMatch(/nope\.js/);
    expect((error as Error).cause).toBeInstanceOf(Error);
  });

  test('a default export that is not a workload is WORKLOAD_INVALID listing every problem', async () => {
    const error = await rejectionOf(loadWorkload('./workloads/broken.js', fixtures));
    expect(error).toBeInstanceOf(WorkloadInvalidError);
    const message = (error as Error).message;
    for (const problem of [
      'request must be a function',
      'give check(request, reply) or expect(request)',
      'name must be a non-empty string',
      'codec must be a non-empty string',
      'handler must be a non-empty string',
      'bench.sizes must be a non-empty list of positive integers',
    ]) {
      expect(message).toContain(problem);
    }
  });
});

describe('replyProblem', () => {
  const request = Buffer.from('ping');
  test('check may say why, return false, or throw', () => {
    expect(replyProblem({ request: () => '', check: () => 'not a pong' }, request, request)).toBe(
      'not a pong',
    );
    expect(replyProblem({ request: () => '', check: () => false }, request, request)).toBe(
      'check returned false',
    );
    const throwing = {
      request: () => '',
      check: () => {
        throw new Error('bad JSON');
      },
    };
    expect(replyProblem(throwing, request, request)).toBe('check threw: bad JSON');
  });

  test('expect and check must both hold when both are given', () => {
    const oracle = { request: () => '', expect: () => 'pong', check: () => true as const };
    expect(replyProblem(oracle, request, Buffer.from('pong'))).toBeUndefined();
    expect(replyProblem(oracle, request, Buffer.from('pang'))).toBe('expected "pong" (4 B)');
  });
});

describe('previewBytes', () => {
  test('text is quoted, binary is hex, long frames are cut with their length', () => {
    expect(previewBytes(Buffer.from('GET k1'))).toBe('"GET k1" (6 B)');
    expect(previewBytes(Buffer.from([0, 255, 10]))).toBe('00 ff 0a (3 B)');
    expect(previewBytes(Buffer.alloc(100, 0x61))).toBe(`"${'a'.repeat(64)}" ... (100 B)`);
    expect(describeWrongReply(Buffer.from('a'), Buffer.from('b'), 'no')).toBe(
      'wrong reply to request "a" (1 B): got "b" (1 B): no',
    );
  });
});
