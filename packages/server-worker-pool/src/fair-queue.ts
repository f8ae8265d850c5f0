/** One key's items, oldest first; `head` moves instead of shifting the array. */
interface Line<T> {
  readonly items: T[];
  head: number;
}

/**
 * Items waiting their turn, one line per key, taken round-robin across keys: one key's pile of
 * items goes out interleaved with everyone else's, so an item whose key has nothing else queued
 * waits behind at most one item of each other key. The pool keeps one per worker, keyed by
 * connection, for the requests not yet sent to that worker: a client pipelining thousands of
 * requests cannot put them all ahead of another client's one.
 */
export class FairQueue<T> {
  /** Keys with items, in turn order: a key that is served goes to the back. */
  private readonly lines = new Map<number, Line<T>>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  push(key: number, item: T): void {
    const line = this.lines.get(key);
    if (line === undefined) this.lines.set(key, { items: [item], head: 0 });
    else line.items.push(item);
    this.count++;
  }

  /** The oldest item of the key whose turn it is; that key goes to the back of the turn. */
  take(): T | undefined {
    const next = this.lines.entries().next();
    if (next.done) return undefined;
    const [key, line] = next.value;
    const item = line.items[line.head++]!;
    this.lines.delete(key);
    if (line.head < line.items.length) this.lines.set(key, line);
    this.count--;
    return item;
  }

  /** Takes out every item `matches` picks, each key's in order, and keeps the rest in place. */
  extract(matches: (item: T) => boolean): T[] {
    const taken: T[] = [];
    for (const [key, line] of this.lines) {
      const kept: T[] = [];
      for (let index = line.head; index < line.items.length; index++) {
        const item = line.items[index]!;
        (matches(item) ? taken : kept).push(item);
      }
      if (kept.length === 0) this.lines.delete(key);
      else this.lines.set(key, { items: kept, head: 0 });
    }
    this.count -= taken.length;
    return taken;
  }

  /** Takes out every item, each key's in order, keys in turn order. */
  drain(): T[] {
    const all: T[] = [];
    for (const line of this.lines.values()) {
      for (let index = line.head; index < line.items.length; index++) all.push(line.items[index]!);
    }
    this.lines.clear();
    this.count = 0;
    return all;
  }
}
