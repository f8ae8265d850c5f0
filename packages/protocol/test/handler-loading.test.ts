import { relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, test } from 'vitest';
import burn from '../src/handlers/burn.js';
import echo from '../src/handlers/echo.js';
import {
  builtinHandlers,
  HandlerInvalidError,
  HandlerNotFoundError,
  HandlerSetupFailedError,
  isSwitchyardError,
  loadHandler,
  resolveHandlerSpecifier,
} from '../src/index.js';
import { rejectionOf } from './support/streams.js';

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
const fixture = (name: string) => pathToFileURL(`${fixtures}${name}`).href;

const context = {
  connectionId: 1,
  remoteAddress: '127.0.0.1',
  remotePort: 40000,
  codec: 'raw',
  options: {},
  state: new Map(),
} as const;

describe('resolveHandlerSpecifier', () => {
  test('maps built-in names to the package subpaths', () => {
    expect(resolveHandlerSpecifier('echo')).toBe('@switchyard/protocol/handlers/echo');
    expect(resolveHandlerSpecifier('burn')).toBe('@switchyard/protocol/handlers/burn');
    expect(builtinHandlers).toEqual({
      echo: '@switchyard/protocol/handlers/echo',
      burn: '@switchyard/protocol/handlers/burn',
    });
  });

  test('makes relative paths absolute file URLs against the base directory', () => {
    expect(resolveHandlerSpecifier('./h.js', '/srv/app')).toBe('file:///srv/app/h.js');
    expect(resolveHandlerSpecifier('../lib/h.js', '/srv/app')).toBe('file:///srv/lib/h.js');
    expect(resolveHandlerSpecifier('./h.js')).toBe(pathToFileURL(`${process.cwd()}/h.js`).href);
  });

  test('turns absolute paths into file URLs', () => {
    expect(resolveHandlerSpecifier('/opt/handlers/h.js', '/elsewhere')).toBe(
      'file:///opt/handlers/h.js',
    );
  });

  test('leaves package names and URLs as they are', () => {
    expect(resolveHandlerSpecifier('my-handlers/upper')).toBe('my-handlers/upper');
    expect(resolveHandlerSpecifier('file:///x/h.js')).toBe('file:///x/h.js');
    // Only own properties are built-in names.
    expect(resolveHandlerSpecifier('toString')).toBe('toString');
  });
});

describe('loadHandler', () => {
  test('loads the built-in handlers by name', async () => {
    expect((await loadHandler('echo')).handle).toBe(echo);
    expect((await loadHandler('burn')).handle).toBe(burn);
  });

  test('loads a handler module by relative path against the base directory', async () => {
    const handler = await loadHandler('./upper-handler.js', fixtures);
    expect(await handler.handle(Buffer.from('abc'), context)).toEqual(Buffer.from('ABC'));
  });

  test('loads a handler module by path relative to the current directory', async () => {
    const spec = `./${relative(process.cwd(), `${fixtures}upper-handler.js`)}`;
    const handler = await loadHandler(spec);
    expect(await handler.handle(Buffer.from('x'), context)).toEqual(Buffer.from('X'));
  });

  test('loads a handler module by file URL', async () => {
    expect(typeof (await loadHandler(fixture('upper-handler.js'))).handle).toBe('function');
  });

  test.each([
    ['a missing relative path', './missing-handler.js'],
    ['a missing package', '@switchyard/no-such-handlers'],
    ['a missing subpath of this package', '@switchyard/protocol/handlers/nope'],
    ['an unknown node: builtin', 'node:no-such-builtin'],
  ])('rejects %s with SWITCHYARD_ERR_HANDLER_NOT_FOUND', async (_, spec) => {
    const error = await rejectionOf(loadHandler(spec, fixtures));
    expect(error).toBeInstanceOf(HandlerNotFoundError);
    expect(isSwitchyardError(error, 'SWITCHYARD_ERR_HANDLER_NOT_FOUND')).toBe(true);
    expect((error as HandlerNotFoundError).specifier).toBe(resolveHandlerSpecifier(spec, fixtures));
    expect((error as Error).cause).toBeDefined();
  });

  test('rejects a module that fails while loading with SWITCHYARD_ERR_HANDLER_NOT_FOUND and the cause', async () => {
    for (const name of ['throws-on-load-handler.js', 'imports-missing-handler.js']) {
      const error = await rejectionOf(loadHandler(fixture(name)));
      expect(isSwitchyardError(error, 'SWITCHYARD_ERR_HANDLER_NOT_FOUND')).toBe(true);
      expect((error as Error).cause).toBeInstanceOf(Error);
    }
    const error = await rejectionOf(loadHandler(fixture('throws-on-load-handler.js')));
    // The loader's own message is in the text, not only in the cause.
    expect((error as Error).message).toContain('fixture: failed while loading');
    expect(((error as Error).cause as Error).message).toContain('fixture: failed while loading');
  });

  test.each(['no-default-handler.js', 'default-not-function-handler.js'])(
    'rejects %s, whose default export is not a handler, with SWITCHYARD_ERR_HANDLER_INVALID',
    async (name) => {
      const error = await rejectionOf(loadHandler(fixture(name)));
      expect(error).toBeInstanceOf(HandlerInvalidError);
      expect(error).toMatchObject({
        code: 'SWITCHYARD_ERR_HANDLER_INVALID',
        specifier: fixture(name),
      });
    },
  );
});

describe('handlers as values', () => {
  test('a function is a handler, with no-op setup and teardown', async () => {
    const upper = (request: Buffer) => Buffer.from(request.toString().toUpperCase());
    const loaded = await loadHandler(upper);
    expect(loaded.handle).toBe(upper);
    await loaded.setup({});
    await loaded.teardown();
    expect(loaded.label).toBe('value upper');
  });

  test('an object handler keeps its this, and runs setup with the options and teardown', async () => {
    const calls: unknown[] = [];
    const service = {
      prefix: '',
      async setup(options: Record<string, unknown>) {
        calls.push(['setup', options]);
        this.prefix = String(options.prefix);
      },
      handle(request: Buffer) {
        return Buffer.from(`${this.prefix}${request.toString()}`);
      },
      teardown() {
        calls.push(['teardown']);
      },
    };
    const loaded = await loadHandler(service);
    await loaded.setup({ prefix: '> ' });
    expect(await loaded.handle(Buffer.from('hi'), context)).toEqual(Buffer.from('> hi'));
    await loaded.teardown();
    expect(calls).toEqual([['setup', { prefix: '> ' }], ['teardown']]);
  });

  test('a failing setup is SWITCHYARD_ERR_HANDLER_SETUP_FAILED with its message and cause', async () => {
    const cause = new Error('database connection lost');
    const loaded = await loadHandler({
      handle: (request: Buffer) => request,
      setup() {
        throw cause;
      },
    });
    const error = await rejectionOf(loaded.setup({}));
    expect(error).toBeInstanceOf(HandlerSetupFailedError);
    expect(error).toMatchObject({ code: 'SWITCHYARD_ERR_HANDLER_SETUP_FAILED', cause });
    expect((error as Error).message).toContain('database connection lost');
  });

  test('a module may export an object handler', async () => {
    const loaded = await loadHandler(fixture('object-handler.js'));
    await loaded.setup({ greeting: 'hello' });
    expect(await loaded.handle(Buffer.from('you'), context)).toEqual(Buffer.from('hello you'));
  });

  test.each([
    ['a number', 42],
    ['an object without handle', { setup() {} }],
    ['an object whose setup is not a function', { handle: () => Buffer.alloc(0), setup: 1 }],
  ])('refuses %s with SWITCHYARD_ERR_HANDLER_INVALID', async (_, value) => {
    const error = await rejectionOf(loadHandler(value as never));
    expect(error).toBeInstanceOf(HandlerInvalidError);
  });
});
