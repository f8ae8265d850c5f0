import { describe, expect, it } from 'vitest';
import { joinSpans, readResources, spanOf } from '../src/resources.js';

describe('server resources', () => {
  it("reads a process's RSS and open fds from /proc", () => {
    const reading = readResources(process.pid);
    expect(reading!.rssBytes).toBeGreaterThan(10 * 1024 * 1024);
    // stdin, stdout, stderr at least.
    expect(reading!.fds).toBeGreaterThanOrEqual(3);
  });

  it('reads nothing for a process that is gone', () => {
    // Above any pid_max Linux allows (2^22).
    expect(readResources(2 ** 23)).toBeUndefined();
  });

  it('spans readings: the first, the highest and the last', () => {
    const reading = (rssBytes: number, fds: number) => ({ rssBytes, fds });
    expect(spanOf([reading(10, 5), reading(50, 9), reading(20, 6)])).toEqual({
      rssBytes: { start: 10, peak: 50, end: 20 },
      fds: { start: 5, peak: 9, end: 6 },
    });
    expect(spanOf([])).toBeUndefined();
  });

  it('joins the spans of consecutive phases into the run', () => {
    const span = (start: number, peak: number, end: number) => ({
      rssBytes: { start, peak, end },
      fds: { start, peak, end },
    });
    expect(joinSpans([span(10, 12, 11), undefined, span(11, 90, 30), span(30, 31, 25)])).toEqual(
      span(10, 90, 25),
    );
    expect(joinSpans([undefined])).toBeUndefined();
  });
});
