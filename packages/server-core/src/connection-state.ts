/**
 * Where a connection is in its life:
 *
 * - `open`: reading requests and writing their replies.
 * - `read-ended`: the client ended its side (FIN). No more requests; the replies owed are still
 *   written, then we end ours (a half-close).
 * - `closing`: a graceful close was asked for. Reading has stopped; the replies owed are still
 *   written, then we end ours and linger.
 * - `ending`: our FIN is queued behind the last reply. The socket closes once it is written and,
 *   after a graceful close, once the client has stopped sending (the lingering close). A
 *   connection that gives up on the requests it holds (a handler call ran out of time) comes
 *   here at once: what was already written is delivered, nothing more is.
 * - `closed`: the socket is destroyed: closed by us, by a failure, by a reset or by the client.
 *   Final; nothing more is read, dispatched or written.
 *
 * ```
 * open ──client FIN──► read-ended ──nothing owed──► ending (end) ──socket closed──► closed
 *   │                      │                          ▲
 *   │                 closeGracefully                 │
 *   │                      ▼                          │
 *   └──closeGracefully─► closing ───nothing owed────► ending (end, then linger)
 *
 * open, read-ended, closing ──give-up──► ending (stop reading, end, then linger)
 * any state ──destroy, failure, reset, socket closed──► closed
 * ```
 *
 * @see {@link connectionTransition} for every transition.
 */
export type ConnectionState = 'open' | 'read-ended' | 'closing' | 'ending' | 'closed';

/** What can happen to a connection; {@link connectionTransition} says what each one does. */
export type ConnectionEvent =
  /** The client's FIN arrived. */
  | 'read-end'
  /** `closeGracefully()` was called. */
  | 'close-gracefully'
  /** Nothing is owed any more: no handler call running, no request or reply waiting. */
  | 'idle'
  /** The requests and replies held were given up on (a handler call ran out of time). */
  | 'give-up'
  /** The socket was destroyed, or closed. */
  | 'destroyed';

/**
 * What the connection does to its socket on a transition:
 * `stop-reading` pauses it for good, `end` sends our FIN after the queued replies, `linger`
 * stops reading, ends it and then reads and drops what the client still sends before closing.
 */
export type ConnectionEffect = 'none' | 'stop-reading' | 'end' | 'linger';

export interface ConnectionTransition {
  readonly state: ConnectionState;
  readonly effect: ConnectionEffect;
}

function to(state: ConnectionState, effect: ConnectionEffect = 'none'): ConnectionTransition {
  return Object.freeze({ state, effect });
}

const CLOSED = to('closed');
const GIVEN_UP = to('ending', 'linger');

/** Every transition that changes something; any other event leaves the state as it is. */
const TRANSITIONS: Readonly<
  Record<ConnectionState, Partial<Record<ConnectionEvent, ConnectionTransition>>>
> = {
  open: {
    'read-end': to('read-ended'),
    'close-gracefully': to('closing', 'stop-reading'),
    'give-up': GIVEN_UP,
    destroyed: CLOSED,
  },
  'read-ended': {
    'close-gracefully': to('closing', 'stop-reading'),
    idle: to('ending', 'end'),
    'give-up': GIVEN_UP,
    destroyed: CLOSED,
  },
  closing: {
    idle: to('ending', 'linger'),
    'give-up': GIVEN_UP,
    destroyed: CLOSED,
  },
  ending: { destroyed: CLOSED },
  closed: {},
};

const STAY: Readonly<Record<ConnectionState, ConnectionTransition>> = {
  open: to('open'),
  'read-ended': to('read-ended'),
  closing: to('closing'),
  ending: to('ending'),
  closed: CLOSED,
};

/**
 * The next state of a connection in `state` when `event` happens, and what to do to its socket.
 * Pure and allocation-free (the results are shared frozen objects): it runs on every reply.
 */
export function connectionTransition(
  state: ConnectionState,
  event: ConnectionEvent,
): ConnectionTransition {
  return TRANSITIONS[state][event] ?? STAY[state];
}

/**
 * True in the states where what a handler call settles with is still wanted: its reply is
 * written, its failure closes the connection. In `ending` and `closed` it is ignored.
 */
export function answersIn(state: ConnectionState): boolean {
  return state === 'open' || state === 'read-ended' || state === 'closing';
}

/** True in the states where reading may go on (a paused connection may resume). */
export function readsIn(state: ConnectionState): boolean {
  return state === 'open' || state === 'read-ended';
}
