import {
  type Codec,
  type CodecReference,
  getCodec,
  isCodecName,
  loadCodec,
  resolveCodecSpecifier,
} from '@switchyard/protocol';
import type { CodecTrait, Target } from './types.js';

/** A codec the target was pinned to: loaded once, and the reference the servers are given. */
export interface PinnedCodec {
  readonly codec: Codec;
  /** What `listen` gets: a built-in name, a specifier any thread resolves alike, or the object. */
  readonly reference: CodecReference;
}

/** A target with its codec loaded: what cases run against. */
export interface PreparedTarget {
  readonly target: Target;
  /** The codec the target speaks (external) or was pinned to (`options.codec`); else none. */
  readonly pinned: PinnedCodec | undefined;
  /** The reference a server is started with to speak `codec`. */
  reference(codec: Codec): CodecReference;
}

/**
 * Loads the codec a target names, once: a built-in name, a module specifier (paths against the
 * current directory) or a `Codec`. Rejects with `SWITCHYARD_ERR_CODEC_NOT_FOUND` or
 * `SWITCHYARD_ERR_CODEC_INVALID` as {@link loadCodec} does.
 */
export async function prepareTarget(target: Target): Promise<PreparedTarget> {
  const given = target.kind === 'external' ? target.codec : target.options?.codec;
  const pinned =
    given === undefined
      ? undefined
      : {
          codec: await loadCodec(given),
          // A strategy may hand a string to another thread: there it must mean the same module.
          reference: typeof given === 'string' ? resolveCodecSpecifier(given) : given,
        };
  return {
    target,
    pinned,
    reference(codec) {
      if (pinned && codec === pinned.codec) return pinned.reference;
      if (isCodecName(codec.name) && getCodec(codec.name) === codec) return codec.name;
      return codec;
    },
  };
}

/** The codecs a trait stands for, for skip reasons. */
export const traitText: Readonly<Record<CodecTrait, string>> = {
  any: 'every codec',
  framed: 'framed codecs',
  'malformed-examples': 'codecs that declare malformedExamples',
};

/** Why `codec` lacks `trait` (a skip reason), or undefined when it has it. */
export function lacksTrait(codec: Codec, trait: CodecTrait): string | undefined {
  if (trait === 'any') return undefined;
  if (codec.frameIsChunk) {
    return `applies to ${traitText[trait]}; ${codec.name} declares frameIsChunk (every read is a frame)`;
  }
  if (trait === 'malformed-examples' && !codec.malformedExamples?.length) {
    return `applies to ${traitText[trait]}; ${codec.name} declares none`;
  }
  return undefined;
}
