/** Pieces shorter than this are copied into a buffer of the decoder's own as they arrive. */
export const COALESCE_BELOW_BYTES = 4096;
/** The smallest and largest of those buffers: each holds up to as much as is already pending. */
const MIN_SPARE_BYTES = 256;
const MAX_SPARE_BYTES = 64 * 1024;

/**
 * Holds the pieces of a frame that spans chunks and joins them once, when the frame completes.
 * A piece of {@link COALESCE_BELOW_BYTES} or more is kept as the view it is (so a large frame
 * arriving in 64 KiB reads copies each byte once); a shorter one is copied into a buffer of our
 * own, so a frame dribbled one byte per TCP segment is a few dozen buffers and not a million
 * (each Buffer costs over 100 bytes of memory whatever its length). The memory held is the
 * pending bytes plus at most one unfilled buffer of our own (at most 64 KiB, and never more than
 * what is pending), plus the part before the frame of the one read it started in.
 *
 * Exported for codecs of your own: a decoder that buffers partial frames should use it (or
 * something like it), or dribbling clients can make it hold far more than `bufferedBytes`.
 */
export class PendingBytes {
  /** Pieces in arrival order, not counting the bytes in {@link spare}, which follow them. */
  private parts: Buffer[] = [];
  /** Our own buffer that short pieces are copied into, and how much of it is filled. */
  private spare: Buffer | undefined;
  private spareFilled = 0;
  /** Bytes pending. */
  length = 0;

  add(part: Buffer): void {
    const bytes = part.length;
    if (bytes === 0) return;
    this.length += bytes;
    if (bytes >= COALESCE_BELOW_BYTES) {
      this.sealSpare();
      this.parts.push(part);
      return;
    }
    if (this.spare === undefined || this.spare.length - this.spareFilled < bytes) {
      this.sealSpare();
      const size = Math.max(
        bytes,
        Math.min(MAX_SPARE_BYTES, Math.max(MIN_SPARE_BYTES, this.length)),
      );
      this.spare = Buffer.allocUnsafe(size);
    }
    part.copy(this.spare, this.spareFilled);
    this.spareFilled += bytes;
  }

  /** Joins what is pending with `tail` and resets. */
  take(tail: Buffer): Buffer {
    if (this.length === 0) return tail;
    this.sealSpare();
    const parts = this.parts;
    if (tail.length > 0) parts.push(tail);
    const joined = parts.length === 1 ? parts[0]! : Buffer.concat(parts, this.length + tail.length);
    this.parts = [];
    this.length = 0;
    return joined;
  }

  /** Moves the filled part of the spare buffer to the pieces; the next short piece starts another. */
  private sealSpare(): void {
    if (this.spare === undefined) return;
    if (this.spareFilled > 0) this.parts.push(this.spare.subarray(0, this.spareFilled));
    this.spare = undefined;
    this.spareFilled = 0;
  }
}
