import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import { expect, test } from 'vitest';
import {
  deserializeError,
  ErrorCode,
  errorCodes,
  errorFromCode,
  FrameTooLargeError,
  HandlerFailedError,
  HandlerNotFoundError,
  handlerFailure,
  isSwitchyardError,
  SwitchyardError,
  serializeError,
} from '../src/index.js';

/** Sends a value through a real MessagePort, as the worker pool does. */
function throughPort<T>(value: T): T {
  const { port1, port2 } = new MessageChannel();
  port1.postMessage(value);
  const received = receiveMessageOnPort(port2)!.message as T;
  port1.close();
  return received;
}

test.each(errorCodes)('errorFromCode(%s) is an instance of that code’s own class', (code) => {
  const error = errorFromCode(code, 'original text');
  expect(error).toBeInstanceOf(SwitchyardError);
  expect(error.code).toBe(code);
  expect(error.message).toBe('original text');
  expect(error.name).not.toBe('SwitchyardError');
  expect(error.name).toMatch(/Error$/);
});

test('a SwitchyardError survives a thread boundary with its class, message, fields and cause', () => {
  const original = new FrameTooLargeError(2048, 1024);
  const copy = deserializeError(throughPort(serializeError(original)));
  expect(copy).toBeInstanceOf(FrameTooLargeError);
  expect(copy).toMatchObject({
    code: ErrorCode.FRAME_TOO_LARGE,
    message: original.message,
    frameBytes: 2048,
    maxFrameBytes: 1024,
  });
});

test('a handler failure keeps the thrown message and its cause across the boundary', () => {
  const thrown = new TypeError('database connection lost');
  const failure = handlerFailure(thrown);
  expect(failure).toBeInstanceOf(HandlerFailedError);
  expect(failure.message).toBe('handler failed: database connection lost');
  expect(failure.cause).toBe(thrown);

  const copy = deserializeError(throughPort(serializeError(failure)));
  expect(copy).toBeInstanceOf(HandlerFailedError);
  expect(copy.message).toBe('handler failed: database connection lost');
  expect(copy.cause).toBeInstanceOf(Error);
  expect((copy.cause as Error).name).toBe('TypeError');
  expect((copy.cause as Error).message).toBe('database connection lost');
});

test('a SwitchyardError thrown by a handler is reported as itself', () => {
  const own = new FrameTooLargeError(10, 5);
  expect(handlerFailure(own)).toBe(own);
  expect(handlerFailure('plain string').message).toBe('handler failed: plain string');
});

test('a load failure keeps the loader’s own message as its cause', () => {
  const loader = Object.assign(new Error("Cannot find module '/x/handler.js'"), {
    code: 'ERR_MODULE_NOT_FOUND',
  });
  const copy = deserializeError(
    throughPort(serializeError(new HandlerNotFoundError('/x/handler.js', { cause: loader }))),
  );
  expect(isSwitchyardError(copy, ErrorCode.HANDLER_NOT_FOUND)).toBe(true);
  expect(copy).toMatchObject({ specifier: '/x/handler.js' });
  expect(copy.message).toContain("Cannot find module '/x/handler.js'");
  expect(copy.cause).toMatchObject({
    message: "Cannot find module '/x/handler.js'",
    code: 'ERR_MODULE_NOT_FOUND',
  });
});

test('an unknown code or a thrown non-error still arrives with its text', () => {
  const foreign = Object.assign(new RangeError('out of range'), { code: 'OTHER_CODE' });
  const copy = deserializeError(serializeError(foreign));
  expect(isSwitchyardError(copy)).toBe(false);
  expect(copy).toMatchObject({ name: 'RangeError', message: 'out of range', code: 'OTHER_CODE' });
  expect(deserializeError(serializeError(42)).message).toBe('42');
});

test('a cause chain that loops is cut, not followed forever', () => {
  const a = new Error('a');
  const b = new Error('b', { cause: a });
  a.cause = b;
  let depth = 0;
  for (let s = serializeError(a); s.cause; s = s.cause) depth++;
  expect(depth).toBeLessThanOrEqual(4);
});
