import { ReplyVerifier } from '@switchyard/conformance/verifier';
import {
  type Codec,
  type Decoder,
  describeWrongReply,
  frameBytes,
  type LoadedWorkload,
  loadCodec,
  loadWorkload,
  previewBytes,
  replyProblem,
  type WorkloadCell,
  WorkloadInvalidError,
} from '@switchyard/protocol';

/**
 * A workload put to work on the wire: requests encoded with its codec, replies checked by its
 * oracle. The load generators, the correctness check before a contender is measured, and the
 * tests all use this one piece, so a reply is judged the same way everywhere.
 */
export interface Traffic {
  readonly workload: LoadedWorkload;
  readonly codec: Codec;
  /**
   * The `seq`th request of `connection`: the frame (what the oracle sees) and its wire bytes.
   * Throws `SWITCHYARD_ERR_WORKLOAD_INVALID` when the workload cannot make it or the codec cannot
   * encode it.
   */
  request(seq: number, connection: number): { readonly frame: Buffer; readonly wire: Buffer };
  /** A checker for one connection's replies, in request order. */
  checker(): ReplyChecker;
}

/** Checks the replies of one connection as they arrive. */
export interface ReplyChecker {
  /** A request was sent: its reply is owed next after those already owed. */
  expect(frame: Buffer): void;
  /**
   * Feeds reply bytes; calls `onReply` for every good reply, in order. Returns what was wrong
   * (the request, the reply and the reason) at the first bad one; the connection is then out of
   * step and must not be fed again.
   */
  consume(chunk: Buffer, onReply: () => void): string | undefined;
  /** Replies owed. */
  readonly pending: number;
}

/** Where the load comes from: the workload and codec as specifiers, so any process loads them. */
export interface TrafficSpec {
  /** Module specifier of the workload (a built-in name, a `file:` URL, a package). */
  readonly workload: string;
  /** The codec requests are encoded with: the workload's, or an override. */
  readonly codec: string;
  readonly cell: WorkloadCell;
}

/** Loads the workload and codec of `spec` (in whichever process runs the load). */
export async function loadTraffic(spec: TrafficSpec): Promise<Traffic> {
  const [workload, codec] = await Promise.all([loadWorkload(spec.workload), loadCodec(spec.codec)]);
  return makeTraffic(workload, codec, spec.cell);
}

/**
 * Traffic for a loaded workload. Over a codec whose frames are reads (`raw`) replies have no
 * boundary of their own, so the workload must give `expect`: throws `SWITCHYARD_ERR_WORKLOAD_INVALID`
 * otherwise.
 */
export function makeTraffic(workload: LoadedWorkload, codec: Codec, cell: WorkloadCell): Traffic {
  const byExpectation = workload.expect !== undefined && workload.check === undefined;
  if (codec.frameIsChunk && workload.expect === undefined) {
    throw new WorkloadInvalidError(
      workload.label,
      `over ${codec.name}, whose frames are whatever a read returns, give expect(request): only the expected bytes say where a reply ends`,
    );
  }
  return {
    workload,
    codec,
    request(seq, connection) {
      // A request the workload cannot make, or its codec cannot carry (a newline in a `lines`
      // frame), is the workload's fault, not the server's: say which request and why.
      try {
        const frame = frameBytes(workload.request(seq, connection, cell));
        return { frame, wire: codec.encode(frame) };
      } catch (error) {
        throw new WorkloadInvalidError(
          workload.label,
          `request ${seq} of connection ${connection} over ${codec.name}: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    },
    checker: () =>
      byExpectation || codec.frameIsChunk
        ? new ExpectedBytes(workload, codec)
        : new DecodedReplies(workload, codec.createDecoder()),
  };
}

/** Replies compared byte for byte, as they stream in, with the encoded expected reply. */
class ExpectedBytes implements ReplyChecker {
  private readonly verifier = new ReplyVerifier();
  private readonly requests: Buffer[] = [];
  private head = 0;
  /** Requests already spliced off the front of `requests`. */
  private dropped = 0;
  /** What `check` said against the expected reply of a request, by request number. */
  private readonly checkProblems = new Map<number, string>();

  constructor(
    private readonly workload: LoadedWorkload,
    private readonly codec: Codec,
  ) {}

  get pending(): number {
    return this.verifier.pending;
  }

  expect(frame: Buffer): void {
    const expected = frameBytes(this.workload.expect!(frame));
    this.verifier.expect(this.codec.frameIsChunk ? expected : this.codec.encode(expected));
    this.requests.push(frame);
    // A workload may give `check` too, and both must hold: a reply is its expected bytes, so
    // `check` is asked about those now, and its verdict told when that reply arrives.
    if (this.workload.check) {
      const problem = replyProblem(
        { request: () => frame, check: this.workload.check },
        frame,
        expected,
      );
      if (problem !== undefined) {
        this.checkProblems.set(
          this.requests.length - 1 + this.dropped,
          describeWrongReply(frame, expected, problem),
        );
      }
    }
  }

  consume(chunk: Buffer, onReply: () => void): string | undefined {
    let failure: string | undefined;
    const mismatch = this.verifier.consume(chunk, () => {
      if (failure !== undefined) return;
      failure = this.checkProblems.get(this.head + this.dropped);
      if (failure !== undefined) return;
      this.head++;
      if (this.head > 1024 && this.head * 2 > this.requests.length) {
        this.requests.splice(0, this.head);
        this.dropped += this.head;
        this.head = 0;
      }
      onReply();
    });
    if (failure !== undefined) return failure;
    if (!mismatch) return undefined;
    const request = this.requests[this.head];
    return request === undefined
      ? mismatch.message
      : `wrong reply to request ${previewBytes(request)}: ${mismatch.message}`;
  }
}

/** Replies decoded with the codec and judged one by one by the workload's oracle. */
class DecodedReplies implements ReplyChecker {
  private readonly requests: Buffer[] = [];
  private head = 0;

  constructor(
    private readonly workload: LoadedWorkload,
    private readonly decoder: Decoder,
  ) {}

  get pending(): number {
    return this.requests.length - this.head;
  }

  expect(frame: Buffer): void {
    this.requests.push(frame);
  }

  consume(chunk: Buffer, onReply: () => void): string | undefined {
    let replies: Buffer[];
    try {
      replies = this.decoder.push(chunk);
    } catch (error) {
      return `reply could not be decoded: ${error instanceof Error ? error.message : String(error)}`;
    }
    for (const reply of replies) {
      const request = this.requests[this.head];
      if (request === undefined)
        return `unexpected reply ${previewBytes(reply)}: no request was waiting`;
      const problem = replyProblem(this.workload, request, reply);
      if (problem !== undefined) return describeWrongReply(request, reply, problem);
      this.head++;
      if (this.head > 1024 && this.head * 2 > this.requests.length) {
        this.requests.splice(0, this.head);
        this.head = 0;
      }
      onReply();
    }
    return undefined;
  }
}
