import { type Codec, codecProblems, getCodec, isCodecName } from './codec.js';
import { CodecInvalidError, CodecNotFoundError } from './errors.js';
import { resolveModuleSpecifier } from './modules.js';

/**
 * Where a codec comes from: a built-in name (`raw`, `lines`, `length-prefixed`), a module
 * specifier (a path, a `file:` URL or a package) whose default export is a codec, or the codec
 * itself. Only a name or a specifier can cross to a worker thread, which loads the same module.
 */
export type CodecReference = string | Codec;

/**
 * A built-in name stays as it is; anything else is a module, and a path is made absolute against
 * `baseDir` (as a `file:` URL) so that every thread resolves it alike.
 */
export function resolveCodecSpecifier(spec: string, baseDir?: string): string {
  return isCodecName(spec) ? spec : resolveModuleSpecifier(spec, baseDir);
}

/** Throws `SWITCHYARD_ERR_CODEC_INVALID` unless `value` is a codec; returns it typed. */
export function assertCodec(value: unknown, what: string): Codec {
  const problems = codecProblems(value);
  if (problems.length > 0) throw new CodecInvalidError(what, problems.join('; '));
  return value as Codec;
}

/** A short label for a reference, for errors and logs. */
export function describeCodecReference(reference: CodecReference): string {
  return typeof reference === 'string' ? reference : `object "${String(reference.name)}"`;
}

/**
 * The codec a reference stands for. A module is imported (paths against `baseDir`, default the
 * current directory) and its default export checked. Throws `SWITCHYARD_ERR_CODEC_NOT_FOUND`
 * when the module cannot be resolved or throws while loading (the loader's error is the `cause`
 * and its message is in the text), `SWITCHYARD_ERR_CODEC_INVALID` when what it exports (or the
 * object given) is not a codec.
 */
export async function loadCodec(reference: CodecReference, baseDir?: string): Promise<Codec> {
  if (typeof reference !== 'string')
    return assertCodec(reference, describeCodecReference(reference));
  if (isCodecName(reference)) return getCodec(reference);
  const specifier = resolveCodecSpecifier(reference, baseDir);
  let mod: { default?: unknown };
  try {
    mod = await import(specifier);
  } catch (error) {
    throw new CodecNotFoundError(specifier, { cause: error });
  }
  return assertCodec(mod.default, `module ${specifier} (its default export)`);
}
