import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, test } from 'vitest';
import {
  CodecInvalidError,
  CodecNotFoundError,
  codecProblems,
  decoderFailure,
  isCodec,
  linesCodec,
  loadCodec,
  MalformedFrameError,
  resolveCodecSpecifier,
} from '../src/index.js';
import { rejectionOf } from './support/streams.js';

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
const fixture = (name: string) => pathToFileURL(`${fixtures}${name}`).href;

describe('loadCodec', () => {
  test('takes a built-in name, a codec object, and a module whose default export is a codec', async () => {
    expect(await loadCodec('lines')).toBe(linesCodec);
    const upper = { name: 'upper', createDecoder: linesCodec.createDecoder, encode: Buffer.from };
    expect(await loadCodec(upper)).toBe(upper);
    const fromModule = await loadCodec('./dot-codec.js', fixtures);
    expect(fromModule.name).toBe('dot');
    expect(fromModule.createDecoder().push(Buffer.from('a.b.'))).toEqual([
      Buffer.from('a'),
      Buffer.from('b'),
    ]);
  });

  test('resolves a path against the base directory; names and packages stay', () => {
    expect(resolveCodecSpecifier('./c.mjs', '/srv/app')).toBe('file:///srv/app/c.mjs');
    expect(resolveCodecSpecifier('length-prefixed', '/srv/app')).toBe('length-prefixed');
    expect(resolveCodecSpecifier('my-codecs/resp')).toBe('my-codecs/resp');
  });

  test('a module that is missing or throws while loading is CODEC_NOT_FOUND, with the loader message', async () => {
    const missing = await rejectionOf(loadCodec('resp'));
    expect(missing).toBeInstanceOf(CodecNotFoundError);
    expect((missing as Error).message).toContain('resp');
    expect((missing as Error).message).toContain('built-in codecs are raw, lines, length-prefixed');
    expect((missing as Error).cause).toBeInstanceOf(Error);

    const throws = await rejectionOf(loadCodec(fixture('throws-on-load-handler.js')));
    expect(throws).toMatchObject({ code: 'SWITCHYARD_ERR_CODEC_NOT_FOUND' });
    expect((throws as Error).message).toContain('fixture: failed while loading');
  });

  test('a default export that is not a codec is CODEC_INVALID, naming what is missing', async () => {
    const error = await rejectionOf(loadCodec(fixture('object-handler.js')));
    expect(error).toBeInstanceOf(CodecInvalidError);
    expect((error as Error).message).toContain('createDecoder must be a function');
  });
});

describe('the codec shape', () => {
  test('codecProblems lists every missing or mistyped field', () => {
    expect(codecProblems(linesCodec)).toEqual([]);
    expect(isCodec(linesCodec)).toBe(true);
    expect(codecProblems({ name: '', encode: 1, forbiddenBytes: [300] })).toEqual([
      'name must be a non-empty string',
      'createDecoder must be a function',
      'encode must be a function',
      'forbiddenBytes must be an array of byte values',
    ]);
    expect(codecProblems(null)).toEqual(['not an object']);
  });
});

describe('decoderFailure', () => {
  test('keeps a SwitchyardError and turns anything else into MALFORMED_FRAME with the cause', () => {
    const own = new MalformedFrameError('bad length');
    expect(decoderFailure(own, 'netstring')).toBe(own);
    const cause = new RangeError('offset out of range');
    const wrapped = decoderFailure(cause, 'netstring');
    expect(wrapped).toMatchObject({
      code: 'SWITCHYARD_ERR_MALFORMED_FRAME',
      message: 'codec netstring failed: offset out of range',
      cause,
    });
  });
});

test('an error from another copy of this package, with a known code, is kept as it is', () => {
  // What a codec package with its own copy of @switchyard/protocol throws: not our class.
  const foreign = Object.assign(new Error('stream ended with 3 bytes of an incomplete frame'), {
    code: 'SWITCHYARD_ERR_TRUNCATED_FRAME',
  });
  expect(decoderFailure(foreign, 'netstring')).toBe(foreign);
  const unknownCode = Object.assign(new Error('nope'), { code: 'ERR_SOMETHING' });
  expect(decoderFailure(unknownCode, 'netstring').code).toBe('SWITCHYARD_ERR_MALFORMED_FRAME');
});
