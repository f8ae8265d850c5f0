const EMPTY = Buffer.alloc(0);

/**
 * The bytes a waiting client sent before its turn, kept in one Buffer in arrival order. Each
 * chunk is copied in, so a client that dribbles single-byte segments costs those bytes and not a
 * Buffer object per segment. The Buffer grows by doubling up to `capacity`, and past it only to
 * fit the chunk just read: the owner stops reading once {@link length} reaches `capacity`, so
 * what it holds never passes `capacity - 1` plus one read.
 */
export class HeldBytes {
  private buffer = EMPTY;
  private used = 0;

  constructor(private readonly capacity: number) {}

  /** Bytes held now. */
  get length(): number {
    return this.used;
  }

  /** True once as many bytes are held as the owner should read ahead. */
  get full(): boolean {
    return this.used >= this.capacity;
  }

  append(chunk: Buffer): void {
    const needed = this.used + chunk.length;
    if (needed > this.buffer.length) {
      const grown = Math.max(needed, Math.min(this.buffer.length * 2, this.capacity));
      // Not from Buffer's shared pool: a held slice would keep a whole pool slab alive.
      const buffer = Buffer.allocUnsafeSlow(grown);
      this.buffer.copy(buffer, 0, 0, this.used);
      this.buffer = buffer;
    }
    chunk.copy(this.buffer, this.used);
    this.used = needed;
  }

  /** Hands over every byte held, in order, and holds nothing after. */
  take(): Buffer {
    const bytes = this.buffer.subarray(0, this.used);
    this.buffer = EMPTY;
    this.used = 0;
    return bytes;
  }
}
