import {
  assertOracle,
  builtinHandlers,
  type Codec,
  type CodecReference,
  describeHandlerReference,
  getCodec,
  type HandlerOptions,
  type HandlerReference,
  isCodecName,
  type LoadedWorkload,
  loadCodec,
  loadWorkload,
  resolveCodecSpecifier,
  type TlsOptions,
} from '@switchyard/protocol';
import { ECHO, type ServiceOracle } from './oracle.js';
import { type ClientTls, throwawayCertificate, trusting } from './tls.js';
import type { CodecTrait, Target, TargetWorkload } from './types.js';

/** A codec the target was pinned to: loaded once, and the reference the servers are given. */
export interface PinnedCodec {
  readonly codec: Codec;
  /** What `listen` gets: a built-in name, a specifier any thread resolves alike, or the object. */
  readonly reference: CodecReference;
}

/** The handler a target's service runs, when it is not the strategy's default (echo). */
export interface ServiceHandler {
  readonly handler: HandlerReference;
  readonly handlerOptions?: HandlerOptions;
}

/** A target with its codec and oracle loaded: what cases run against. */
export interface PreparedTarget {
  readonly target: Target;
  /** The codec the target speaks (external) or was pinned to (`options.codec`); else none. */
  readonly pinned: PinnedCodec | undefined;
  /** What the service's replies are checked by. */
  readonly oracle: ServiceOracle;
  /** The handler the service's servers run: `options.handler`, else the workload's, else none. */
  readonly service: ServiceHandler | undefined;
  /** What the servers of a strategy target serve TLS with (`tls: true`); else none. */
  readonly serverTls: TlsOptions | undefined;
  /** How clients speak TLS to the target; none for plaintext. */
  readonly clientTls: ClientTls | undefined;
  /** The reference a server is started with to speak `codec`. */
  reference(codec: Codec): CodecReference;
}

/**
 * Loads the workload or oracle and the codec a target names, once: a codec as a built-in name, a
 * module specifier (paths against the current directory) or a `Codec`, a workload as
 * {@link loadWorkload} takes it. Rejects with `SWITCHYARD_ERR_CODEC_NOT_FOUND`,
 * `SWITCHYARD_ERR_CODEC_INVALID`, `SWITCHYARD_ERR_WORKLOAD_NOT_FOUND` or
 * `SWITCHYARD_ERR_WORKLOAD_INVALID`.
 */
export async function prepareTarget(target: Target): Promise<PreparedTarget> {
  const loaded = await loadTargetWorkload(target.workload);
  const workload = loaded && 'codec' in loaded ? (loaded as LoadedWorkload) : undefined;
  const given =
    (target.kind === 'external' ? target.codec : target.options?.codec) ?? workload?.codec;
  const pinned =
    given === undefined
      ? undefined
      : {
          codec: await loadCodec(given),
          // A strategy may hand a string to another thread: there it must mean the same module.
          reference: typeof given === 'string' ? resolveCodecSpecifier(given) : given,
        };
  const service = serviceHandler(target, workload);
  const serverTls =
    target.kind === 'strategy' && target.tls
      ? ((target.options?.tls as TlsOptions | undefined) ?? (await throwawayCertificate()))
      : undefined;
  return {
    target,
    pinned,
    oracle: serviceOracle(loaded, workload, service),
    service,
    serverTls,
    clientTls: target.kind === 'external' ? target.tls : serverTls && trusting(serverTls),
    reference(codec) {
      if (pinned && codec === pinned.codec) return pinned.reference;
      if (isCodecName(codec.name) && getCodec(codec.name) === codec) return codec.name;
      return codec;
    },
  };
}

/** A workload (name, module, or value with a codec and a handler), or a bare oracle. */
async function loadTargetWorkload(given: TargetWorkload | undefined) {
  if (given === undefined) return undefined;
  if (typeof given === 'string' || 'codec' in given || 'handler' in given || 'name' in given)
    return loadWorkload(given as Parameters<typeof loadWorkload>[0]);
  return assertOracle(given, "the target's oracle");
}

function serviceHandler(
  target: Target,
  workload: LoadedWorkload | undefined,
): ServiceHandler | undefined {
  const options = target.kind === 'strategy' ? target.options : undefined;
  if (options?.handler !== undefined) {
    return {
      handler: options.handler as HandlerReference,
      ...(options.handlerOptions !== undefined && { handlerOptions: options.handlerOptions }),
    };
  }
  if (!workload || target.kind === 'external') return undefined;
  return {
    handler: workload.handler,
    ...(workload.handlerOptions !== undefined && { handlerOptions: workload.handlerOptions }),
  };
}

/** Whether a handler is the built-in echo: its replies need no oracle. */
function isEchoHandler(handler: HandlerReference): boolean {
  return handler === 'echo' || handler === builtinHandlers.echo;
}

function serviceOracle(
  loaded: Awaited<ReturnType<typeof loadTargetWorkload>>,
  workload: LoadedWorkload | undefined,
  service: ServiceHandler | undefined,
): ServiceOracle {
  if (loaded === undefined) {
    if (!service || isEchoHandler(service.handler)) return ECHO;
    const handler = describeHandlerReference(service.handler);
    return {
      ...ECHO,
      note: `the target's handler is ${handler} but no workload/oracle was given, so replies were checked as echo`,
    };
  }
  // A workload that serves the built-in echo is checked byte for byte, with the cases' payloads.
  if (
    workload &&
    isEchoHandler(workload.handler) &&
    (!service || service.handler === workload.handler)
  )
    return { ...ECHO, label: `workload ${workload.name}` };
  return {
    echo: false,
    oracle: loaded,
    label: workload ? `workload ${workload.name} (${workload.label})` : 'the given oracle',
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
