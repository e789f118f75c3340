// Byte buffers for the framer: a growable queue for held bytes, and the per-callback output
// that knows when it is still exactly the host's input (so the host buffer need not be
// rewritten at all).

import { makeReadable } from "../protocol/in-place";

/** Above this capacity an emptied queue gives its storage back (one big frame must not pin memory). */
const KEEP_CAPACITY: i32 = 64 * 1024;
const FIRST_CAPACITY: i32 = 256;

/**
 * Memory the framers of all connections of this VM (one VM per Envoy worker) hold for frames
 * not yet complete. A frame's size prefix is only a claim: storage grows with the bytes that
 * actually arrived, and all of it is counted here against one limit.
 */
export class HeldBudget {
  limit: i64 = i64.MAX_VALUE;
  used: i64 = 0;

  // Inlined: asked at each read of a frame left in Envoy's buffer or streaming on.
  /** Whether `n` more bytes would fit. */
  // @ts-ignore: decorator
  @inline has(n: i64): bool { return this.used + n <= this.limit; }

  // @ts-ignore: decorator
  @inline take(n: i64): bool {
    if (!this.has(n)) return false;
    this.used += n;
    return true;
  }

  give(n: i64): void { this.used -= n; }
}

export const heldBudget = new HeldBudget();

const NO_BYTES = new Uint8Array(0);

export class ByteQueue {
  private buf: Uint8Array = NO_BYTES;
  length: i32 = 0;
  /**
   * While set, the bytes held are [lentStart, lentStart + length) of this array, not copied
   * (borrow): a frame that arrives whole in one chunk is never copied by the framer.
   */
  private lent: Uint8Array | null = null;
  private lentStart: i32 = 0;
  /** Capacity never grows past this (the current frame's size), unless more is appended. */
  private growLimit: i32 = i32.MAX_VALUE;
  /**
   * The last view made by view() and by viewOnward(), reused while the same bytes are asked
   * for again (the framer asks for a frame's header and then the frame): a view is a small
   * allocation each. Dropped with the storage they look into, so that they never keep it alive.
   */
  private lastView: Uint8Array | null = null;
  private onwardView: Uint8Array | null = null;

  /** `budget`: count this queue's storage in heldBudget (the framers' queues). */
  constructor(private budget: HeldBudget | null = null) {}

  @inline get capacity(): i32 { return this.buf.length; }

  clear(): void {
    this.dropViews();
    this.lent = null;
    this.length = 0;
    this.growLimit = i32.MAX_VALUE;
    if (this.buf.length > KEEP_CAPACITY) this.release();
  }

  /** Gives all storage back (the connection is gone). */
  release(): void {
    this.dropViews();
    this.lent = null;
    this.length = 0;
    const b = this.budget;
    if (b != null) b.give(this.buf.length);
    this.buf = NO_BYTES;
  }

  /** The queue will hold at most `total` bytes for now: growth stops there. */
  limitGrowth(total: i32): void { this.growLimit = total; }

  /** Room for `n` more bytes; false (nothing changed) when the budget cannot give it. */
  private reserve(n: i32): bool {
    const need = this.length + n;
    const have = this.buf.length;
    if (need <= have) return true;
    // Fourfold: a big frame arriving in reads is copied about a third more than its size, not
    // twice; growth stops at the frame's size (limitGrowth), so only a frame cut short wastes.
    // One append past fourfold (an answer of 2 MB written whole) gets what it needs, not up to
    // four times that.
    let cap = max(have, FIRST_CAPACITY);
    if (cap < need) cap = need > cap << 2 || cap >= 0x10000000 ? need : cap << 2;
    if (cap > this.growLimit) cap = max(need, this.growLimit);
    const b = this.budget;
    if (b != null && !b.take(cap - have)) return false;
    const next = new Uint8Array(cap);
    memory.copy(next.dataStart, this.buf.dataStart, <usize>this.length);
    this.buf = next;
    this.dropViews();
    return true;
  }

  /**
   * Holds `len` bytes of `src` from `pos` without copying them, while they are all this queue
   * holds and follow each other in `src`; anything else appended copies them first (own). The
   * caller keeps `src` alive and unchanged until then, and calls own() before it lets go.
   */
  borrow(src: Uint8Array, pos: i32, len: i32): bool {
    if (len <= 0) return true;
    if (this.length == 0) {
      this.lent = src;
      this.lentStart = pos;
      this.length = len;
      return true;
    }
    const lent = this.lent;
    if (lent != null && lent == src && this.lentStart + this.length == pos) {
      this.length += len;
      return true;
    }
    return this.append(src, pos, len);
  }

  /** Makes the borrowed bytes readable (protocol/in-place.ts); false when the host does not give them. */
  fetchLent(): bool {
    const lent = this.lent;
    return lent == null || makeReadable(lent.dataStart + <usize>this.lentStart, <usize>this.length);
  }

  /** Copies borrowed bytes into the queue's own storage (counted in the budget); false if over budget. */
  own(): bool {
    const lent = this.lent;
    if (lent == null) return true;
    const n = this.length;
    this.lent = null;
    this.dropViews();
    this.length = 0;
    return this.append(lent, this.lentStart, n);
  }

  /** Appends `len` bytes of `src` from `pos` (caller guarantees the range is inside src); false if over budget. */
  append(src: Uint8Array, pos: i32, len: i32): bool {
    if (len <= 0) return true;
    if (!this.own() || !this.reserve(len)) return false;
    memory.copy(this.buf.dataStart + <usize>this.length, src.dataStart + <usize>pos, <usize>len);
    this.length += len;
    return true;
  }

  appendInt32(v: i32): bool {
    if (!this.own() || !this.reserve(4)) return false;
    const p = this.buf.dataStart + <usize>this.length;
    store<u8>(p, <u8>(v >>> 24));
    store<u8>(p, <u8>(v >>> 16), 1);
    store<u8>(p, <u8>(v >>> 8), 2);
    store<u8>(p, <u8>v, 3);
    this.length += 4;
    return true;
  }

  /** Big-endian int32 at `at` (caller guarantees at + 4 <= length). */
  int32At(at: i32): i32 {
    const lent = this.lent;
    const p = (lent != null ? lent.dataStart + <usize>this.lentStart : this.buf.dataStart) + <usize>at;
    return (<i32>load<u8>(p) << 24) | (<i32>load<u8>(p, 1) << 16) | (<i32>load<u8>(p, 2) << 8) | <i32>load<u8>(p, 3);
  }

  /**
   * Hands the bytes held over to the caller and empties the queue without reusing their
   * storage (it gets fresh storage when it holds again): the view stays valid for as long as
   * the caller keeps it.
   */
  detach(): Uint8Array {
    const bytes = this.view();
    if (this.lent == null) {
      const b = this.budget;
      if (b != null) b.give(this.buf.length);
      this.buf = NO_BYTES;
    }
    this.dropViews();
    this.lent = null;
    this.length = 0;
    this.growLimit = i32.MAX_VALUE;
    return bytes;
  }

  /** A view of bytes [from, length); valid until the next append/clear. */
  view(from: i32 = 0): Uint8Array { return this.viewTo(from, this.length, false); }

  /**
   * A view of bytes [from, upTo): past the bytes held when they are borrowed, over those that
   * follow them where they are borrowed from (up to its end), else only to the bytes held.
   * Asked with the frame's end, it is the view view(from) gives once the frame is held whole:
   * the framer asks for both, and one view is made.
   */
  viewOnward(from: i32, upTo: i32): Uint8Array { return this.viewTo(from, this.onwardEnd(upTo), true); }

  /** Bytes viewOnward(from, upTo) would view. */
  onward(from: i32, upTo: i32): i32 { return max(0, this.onwardEnd(upTo) - from); }

  private onwardEnd(upTo: i32): i32 {
    const lent = this.lent;
    return lent != null ? min(upTo, lent.length - this.lentStart) : this.length;
  }

  private viewTo(from: i32, to: i32, onward: bool): Uint8Array {
    const lent = this.lent;
    const src = lent != null ? lent : this.buf;
    const start = lent != null ? this.lentStart + from : from;
    const at = src.dataStart + <usize>start, length = to - from;
    const last = this.lastView, ahead = this.onwardView;
    if (last != null && last.buffer == src.buffer && last.dataStart == at && last.length == length) return last;
    if (ahead != null && ahead.buffer == src.buffer && ahead.dataStart == at && ahead.length == length) return ahead;
    const v = src.subarray(start, start + length);
    if (onward) this.onwardView = v;
    else this.lastView = v;
    return v;
  }

  private dropViews(): void {
    this.lastView = null;
    this.onwardView = null;
  }
}

/**
 * What one host callback sends on. Starts as "identical to the input chunk so far"; the first
 * byte that is not the next input byte (held bytes from an earlier callback, a replacement, a
 * dropped byte followed by a passed one) turns it into an explicit copy.
 */
export class Output {
  private chunk: Uint8Array = new Uint8Array(0);
  private identity: bool = true;
  private identityEnd: i32 = 0;
  private q: ByteQueue = new ByteQueue();

  /**
   * Set when bytes of a frame decided in place (protocol/in-place.ts) had to be copied but the
   * host's buffer did not give them: what was written is not what the client sent.
   */
  unreadable: bool = false;

  begin(chunk: Uint8Array): void {
    this.chunk = chunk;
    this.identity = true;
    this.identityEnd = 0;
    this.unreadable = false;
    this.q.clear();
  }

  private materialize(): void {
    if (!this.identity) return;
    this.identity = false;
    this.appendChunk(0, this.identityEnd);
  }

  /** Sends on `len` input bytes starting at `pos` of the current chunk. */
  passChunk(pos: i32, len: i32): void {
    if (len <= 0) return;
    if (this.identity && pos == this.identityEnd) {
      this.identityEnd += len;
      return;
    }
    this.materialize();
    this.appendChunk(pos, len);
  }

  /** Copies chunk bytes: those of a frame in place are fetched first. */
  private appendChunk(pos: i32, len: i32): void {
    if (!makeReadable(this.chunk.dataStart + <usize>pos, <usize>len)) this.unreadable = true;
    this.q.append(this.chunk, pos, len);
  }

  /** Sends on bytes that are not (or not known to be) the next input bytes. */
  write(bytes: Uint8Array): void {
    if (bytes.length == 0) return;
    this.materialize();
    this.q.append(bytes, 0, bytes.length);
  }

  /**
   * Sends on bytes nobody else will change (ByteQueue.detach): kept by reference while they
   * are all this output holds, copied only when more is sent after them.
   */
  adopt(bytes: Uint8Array): void {
    if (bytes.length == 0) return;
    this.materialize();
    this.q.borrow(bytes, 0, bytes.length);
  }

  writeInt32(v: i32): void {
    this.materialize();
    this.q.appendInt32(v);
  }

  /** True when the output is exactly the whole input: the host buffer can stay as it is. */
  get unchanged(): bool { return this.identity && this.identityEnd == this.chunk.length; }

  get length(): i32 { return this.identity ? this.identityEnd : this.q.length; }

  bytes(): Uint8Array {
    if (!this.identity) return this.q.view();
    if (!makeReadable(this.chunk.dataStart, <usize>this.identityEnd)) this.unreadable = true;
    return this.chunk.subarray(0, this.identityEnd);
  }
}
