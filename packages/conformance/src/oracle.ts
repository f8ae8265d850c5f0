import {
  type Codec,
  type Decoder,
  describeWrongReply,
  frameBytes,
  previewBytes,
  type ReplyOracle,
  replyProblem,
  type WorkloadCell,
} from '@switchyard/protocol';
import { wireFrame } from './bytes.js';
import type { Client } from './client.js';
import type { WaitOptions } from './conditions.js';
import { CaseFailure, CaseSkipped, WrongReply } from './outcome.js';
import { ReplyVerifier } from './verifier.js';

/** What a server's replies are checked by. */
export interface ServiceOracle {
  /**
   * Replies are the requests, byte for byte: the cases send their own payloads (labels, every
   * byte value, MiB streams) and compare bytes.
   */
  readonly echo: boolean;
  /** The oracle, when `echo` is false. */
  readonly oracle?: ReplyOracle;
  /** Names it in messages: `echo`, `workload upper (file:///...)`. */
  readonly label: string;
  /** Added to wrong-reply messages: what was assumed about the handler, and why. */
  readonly note?: string;
}

/** The built-in echo behaviour, for servers that run echo or a test handler that echoes. */
export const ECHO: ServiceOracle = Object.freeze({ echo: true, label: 'echo' });

/** One request of a connection: its frame (what the handler gets) and its wire bytes. */
export interface OracleRequest {
  readonly seq: number;
  readonly frame: Buffer;
  readonly wire: Buffer;
}

/** The cell the suite asks an oracle's requests for: one connection at a time, depth 1. */
const CELL: WorkloadCell = Object.freeze({ connections: 1, depth: 1 });

/** One client's side of the conversation with a service: what it asked, what came back. */
interface Conversation {
  readonly codec: Codec;
  readonly service: ServiceOracle;
  readonly connection: number;
  readonly maxFrameBytes: number;
  /** Requests made and not yet answered, oldest first. */
  readonly outstanding: OracleRequest[];
  next: number;
  answered: number;
  decoder?: Decoder;
  /** `frameIsChunk` codecs: the expected reply bytes of every outstanding request, in order. */
  verifier?: ReplyVerifier;
}

const conversations = new WeakMap<Client, Conversation>();

/**
 * Makes `client` the `connection`th connection (from 0) of this case to a server whose replies
 * `service` checks, speaking `codec`.
 */
export function converse(
  client: Client,
  codec: Codec,
  service: ServiceOracle,
  connection: number,
  maxFrameBytes: number,
): void {
  conversations.set(client, {
    codec,
    service,
    connection,
    maxFrameBytes,
    outstanding: [],
    next: 0,
    answered: 0,
  });
}

function conversation(client: Client): Conversation {
  const found = conversations.get(client);
  if (!found) throw new Error(`${client.label} was not connected through the case context`);
  return found;
}

/** True when `client`'s server is checked as echo (the cases' own payloads apply). */
export function isEcho(client: Client): boolean {
  return conversation(client).service.echo;
}

/**
 * The next `count` requests of `client`'s connection, from its oracle, and their wire bytes back
 * to back. They are owed replies from now on, in order: send them all. Skips the case when the
 * codec declares `frameIsChunk` and the oracle gives no `expect`.
 */
export function nextRequests(
  client: Client,
  count: number,
): { requests: OracleRequest[]; wire: Buffer } {
  const state = conversation(client);
  const { oracle, label } = state.service;
  if (!oracle) throw new Error('an echo target has no oracle requests: use the case payloads');
  if (state.codec.frameIsChunk && !oracle.expect) {
    throw new CaseSkipped(
      `${label} gives no expect(request): ${state.codec.name} declares frameIsChunk, so a reply has no frame boundary of its own and only its expected bytes say where it ends`,
    );
  }
  const requests: OracleRequest[] = [];
  for (let i = 0; i < count; i++) {
    const seq = state.next++;
    const frame = frameBytes(oracle.request(seq, state.connection, CELL));
    const request = { seq, frame, wire: wireFrame(state.codec, frame) };
    requests.push(request);
    state.outstanding.push(request);
    if (state.codec.frameIsChunk) {
      state.verifier ??= new ReplyVerifier();
      const reply = wireFrame(state.codec, frameBytes(oracle.expect!(frame)));
      // An empty expected reply has no bytes to wait for: it is answered when queued.
      if (reply.length > 0) state.verifier.expect(reply);
    }
  }
  return { requests, wire: Buffer.concat(requests.map((request) => request.wire)) };
}

/**
 * Waits until every request made on `client` so far is answered, checking each reply, in order,
 * as it arrives: decoded with the codec and judged by the oracle, or (for `frameIsChunk` codecs)
 * compared with the oracle's expected bytes. Fails at the first wrong reply, naming the
 * connection, the request's index, the request, the reply and the reason.
 */
export async function expectReplies(
  client: Client,
  what: string,
  options?: WaitOptions,
): Promise<void> {
  const state = conversation(client);
  const owed = state.outstanding.length;
  const answeredBefore = state.answered;
  await client.wait(
    () => {
      absorb(client, state, what);
      if (state.outstanding.length === 0) return true;
      if (client.gone) {
        throw new CaseFailure(
          `${client.label}: ${what}: connection ${client.reason()} after ` +
            `${state.answered - answeredBefore} of ${owed} replies`,
        );
      }
      return false;
    },
    () => `${client.label}: ${what} (${state.answered - answeredBefore} of ${owed} replies so far)`,
    options,
  );
}

/** Fails if `client` got anything beyond the replies it was owed. */
export function expectNoMoreReplies(client: Client, what: string): void {
  const state = conversation(client);
  absorb(client, state, what);
  const held = state.verifier ? 0 : (state.decoder?.bufferedBytes ?? 0);
  if (held > 0)
    throw new WrongReply(`${client.label}: ${what}: ${held} bytes after the last reply`);
}

/** Checks what arrived on `client` since the last look. */
function absorb(client: Client, state: Conversation, what: string): void {
  const chunk = client.take();
  if (chunk.length === 0 && !state.verifier) return;
  if (state.verifier) absorbChunked(client, state, chunk, what);
  else absorbFramed(client, state, chunk, what);
}

function absorbFramed(client: Client, state: Conversation, chunk: Buffer, what: string): void {
  state.decoder ??= state.codec.createDecoder({ maxFrameBytes: state.maxFrameBytes });
  let replies: Buffer[];
  try {
    replies = state.decoder.push(chunk);
  } catch (error) {
    throw new WrongReply(
      `${client.label}: ${what}: the replies do not decode as ${state.codec.name}: ` +
        (error instanceof Error ? error.message : String(error)),
    );
  }
  for (const reply of replies) {
    const request = state.outstanding.shift();
    if (!request) {
      throw new WrongReply(
        `${client.label}: ${what}: a reply to no request: got ${previewBytes(reply)}`,
      );
    }
    const problem = replyProblem(state.service.oracle!, request.frame, reply);
    if (problem !== undefined) throw wrongReply(client, request, reply, problem, what);
    state.answered++;
  }
}

function absorbChunked(client: Client, state: Conversation, chunk: Buffer, what: string): void {
  const verifier = state.verifier!;
  const settle = () => {
    // Requests whose expected reply is empty are answered as soon as those before them are.
    while (state.outstanding.length > verifier.pending) {
      state.outstanding.shift();
      state.answered++;
    }
  };
  settle();
  const mismatch = verifier.consume(chunk, settle);
  if (!mismatch) return;
  const request = state.outstanding[0];
  if (mismatch.kind === 'unexpected' || !request) {
    throw new WrongReply(`${client.label}: ${what}: a reply to no request (${mismatch.message})`);
  }
  throw new WrongReply(
    `${client.label}: ${what}: request ${request.seq + 1} (${previewBytes(request.frame)}): ` +
      `wrong reply: ${mismatch.message}, as ${state.service.label} expects`,
  );
}

function wrongReply(
  client: Client,
  request: OracleRequest,
  reply: Buffer,
  reason: string,
  what: string,
): WrongReply {
  return new WrongReply(
    `${client.label}: ${what}: request ${request.seq + 1} of the connection: ` +
      describeWrongReply(request.frame, reply, reason),
  );
}

/**
 * Sends the next `count` requests on `client` and waits for their replies, all checked.
 */
export async function exchange(
  client: Client,
  count: number,
  what: string,
  options?: WaitOptions,
): Promise<void> {
  const { wire } = nextRequests(client, count);
  client.write(wire);
  await expectReplies(client, what, options);
}
