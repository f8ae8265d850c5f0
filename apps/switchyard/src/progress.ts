/**
 * Progress for long commands, on stderr so stdout stays the result. Finished items are lines; on
 * a terminal the item in flight is a status line rewritten in place, elsewhere (CI logs, pipes)
 * it is left out rather than spamming one line per step.
 */
export interface Progress {
  /** A finished item: printed on its own line. */
  line(text: string): void;
  /** What is happening now: replaces the previous status (terminals only). */
  status(text: string): void;
}

const CLEAR_LINE = '\r\x1b[2K';

export function stderrProgress(stream: NodeJS.WriteStream = process.stderr): Progress {
  let statusShown = false;
  const clear = () => {
    if (statusShown) stream.write(CLEAR_LINE);
    statusShown = false;
  };
  return {
    line(text) {
      clear();
      stream.write(`${text}\n`);
    },
    status(text) {
      if (!stream.isTTY) return;
      stream.write(`${CLEAR_LINE}${text.slice(0, Math.max(0, (stream.columns ?? 80) - 1))}`);
      statusShown = true;
    },
  };
}

/** Progress that goes nowhere. */
export const silentProgress: Progress = { line() {}, status() {} };
