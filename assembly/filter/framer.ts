// Splits one direction of a Kafka connection into frames (int32 size prefix, then that many
// bytes) as bytes arrive in arbitrary pieces, and decides per frame what is sent on.
//
// A frame is held only as long as needed:
//   Header  - bytes of the size prefix and the header are held until the callbacks can decide;
//   Stream  - the rest of a frame nobody wants to see is sent on as it arrives (nothing held);
//   Collect - the whole frame is held, then handed to onFrame, which writes what replaces it;
//   Observe - the frame is sent on as it arrives and a copy is held, handed to onObserved when
//             whole (a frame that only teaches: nothing waits for the filter to read it);
//   Learn   - an observed frame that will not be whole in this chunk, when the callbacks can
//             read it as it goes by (learnsAsItStreams): sent on as it arrives, nothing held,
//             each piece handed to learnPiece;
//   Discard - the rest of a frame is dropped (its replacement was already written);
//   Closed  - after a framing error or a Close verdict: everything is dropped;
//   Parked  - onFrame could not decide yet: processing stops before this frame, which the
//             caller gives back to the host (see `parked`), to be fed again later.
// Held bytes grow only as they arrive (a size prefix is a claim, not an allocation), are
// bounded by the frame size limit (Collect) or the header size (Header), and count against the
// VM's heldBudget. Nothing here reads outside a buffer: a malformed frame ends in Closed with
// a reason.

import { ByteQueue, Output, heldBudget } from "./bytes";
import { nowNs } from "../runtime/host";
import { collectBetweenFrames, noteHeldFrame } from "../runtime/collect";
import { bytesInVm } from "../protocol/in-place";

const AFTER_PREFIX_ONLY = new Uint8Array(0);

export const enum Mode { Header = 0, Stream = 1, Collect = 2, Discard = 3, Closed = 4, Parked = 5, Observe = 6, Learn = 7 }

export const enum Action { Stream = 0, Collect = 1, Discard = 2, Close = 3, Observe = 4 }

export abstract class FrameCallbacks {
  /**
   * How many bytes of the frame (after the size prefix) must be held before onHeader can
   * decide; `avail` holds what is there so far (at least 0 bytes). At most `frameSize`.
   * Return -1 for a malformed header (set `framer.fail(...)` first or a generic reason is used).
   */
  abstract headerNeed(framer: Framer, avail: Uint8Array, frameSize: i32): i32;

  /**
   * Decides about the frame whose first bytes (at least headerNeed of them) are in `head`.
   * May write bytes to `out` first (e.g. a replacement when returning Discard).
   */
  abstract onHeader(framer: Framer, head: Uint8Array, frameSize: i32, out: Output): Action;

  /**
   * The whole frame (without size prefix) after Collect. Writes what is sent on in its place
   * to `out` (use framer.passHeld(out) to send the frame as received) or calls framer.fail().
   */
  abstract onFrame(framer: Framer, frame: Uint8Array, out: Output): void;

  /** The whole frame (without size prefix) after Observe; its bytes were sent on already. */
  onObserved(framer: Framer, frame: Uint8Array): void {}

  /** An observed frame's copy did not fit the budget: the rest of it streams on, unseen. */
  onObservationDropped(framer: Framer): void {}

  /**
   * An observed frame of `frameSize` bytes that will not be whole in this chunk: true to read
   * it as it goes by (learnPiece, Mode.Learn) instead of holding a copy.
   */
  learnsAsItStreams(framer: Framer, frameSize: i32): bool { return false; }

  /**
   * The next `len` bytes of a frame learnt as it streams (after its size prefix; the first piece
   * starts at its header), at `pos` of `bytes`; sent on already. May call framer.fail().
   */
  learnPiece(framer: Framer, bytes: Uint8Array, pos: i32, len: i32): void {}

  /** A frame learnt as it streams ends unseen: the stream ended, or the framer closed. */
  learningDropped(framer: Framer): void {}

  /**
   * Learns the next `len` bytes of a frame learnt as it streams (its last among them, if it
   * ends there) from the host's buffer, which starts with them, instead of a chunk in VM
   * memory; false to be handed them as a chunk (learnPiece). May call framer.fail().
   */
  learnsInPlace(framer: Framer, len: i32): bool { return false; }
}

export class Framer {
  mode: Mode = Mode.Header;
  /** Why the framer closed (empty while open). */
  reason: string = "";

  private held: ByteQueue = new ByteQueue(heldBudget);
  /** When the bytes held now began to arrive (host clock at the end of that callback, ns); 0 while nothing is held. */
  heldSinceNs: i64 = 0;
  /** Closed because holding more would exceed the VM's budget (filter.maxBufferedBytes). */
  overBudget: bool = false;
  /** Position in the current chunk where `held` starts, or -1 if held bytes came from an earlier chunk. */
  private heldChunkPos: i32 = -1;
  private frameSize: i32 = -1;
  /** The current frame's header target once headerNeed answered it from enough bytes; 0 until then. */
  private headerTargetKnown: i32 = 0;
  /**
   * Until this many bytes are held, the header is not asked about again. Each ask reads the
   * header from its start, and a Produce header of many tagged fields needs a byte more after
   * each one: asked at every read, a header sent in small reads cost the square of its length.
   * Asked again once twice the bytes are there, the asks cost twice the header at most.
   */
  private headerAskAt: i32 = 0;
  /** Bytes of the current frame (after what is held) not yet seen. */
  private remaining: i32 = 0;

  frames: i64 = 0;
  bytesIn: i64 = 0;

  constructor(public readonly name: string, public maxFrame: i32, private cb: FrameCallbacks) {}

  @inline get closed(): bool { return this.mode == Mode.Closed; }

  @inline get parked(): bool { return this.mode == Mode.Parked; }

  /** Called by onFrame instead of writing anything: the frame is to be decided later. */
  park(): void { if (this.mode == Mode.Collect) this.mode = Mode.Parked; }

  /** Where in the last chunk the bytes after the parked frame begin. */
  parkedRest: i32 = 0;

  /**
   * The parked frame, size prefix included (a view valid until `unpark`). The caller puts it
   * back in the host's buffer with the rest of the chunk, so it is fed again.
   */
  parkedFrame(): Uint8Array { return this.held.view(); }

  /** Forgets the parked frame and what followed it in `chunkLength` bytes: both will be fed again. */
  unpark(chunkLength: i32): void {
    if (this.mode != Mode.Parked) return;
    this.bytesIn -= <i64>(this.held.length + chunkLength - this.parkedRest);
    this.atFrameStart();
  }

  /** Bytes received but neither sent on nor dropped yet. */
  @inline get heldBytes(): i32 { return this.held.length; }

  /** Bytes of the current frame not seen yet (after its header, once decided). */
  @inline get frameRemaining(): i32 { return this.remaining; }

  /**
   * Takes a chunk of `n` bytes that lies within the current frame (ending it, at most) with
   * none of it in VM memory: the frame streams on unseen, or is learnt as it streams and the
   * callbacks read what they need of the chunk from the host's buffer (learnsInPlace). True if
   * so: the chunk counts as sent on, as process() would send it, and the framer may have
   * closed on it. Most reads of a large response are such chunks.
   */
  takesInPlace(n: i32): bool {
    if (n > this.remaining || this.held.length > 0) return false;
    const mode = this.mode;
    if (mode == Mode.Learn) {
      if (!this.cb.learnsInPlace(this, n)) return false;
    } else if (mode != Mode.Stream) return false;
    this.bytesIn += n;
    if (this.mode == Mode.Closed) return true;
    this.remaining -= n;
    if (this.remaining > 0) return true;
    // As feed() ends a frame: its caller holds nothing the heap does not.
    this.nextFrame();
    if (mode == Mode.Learn) collectBetweenFrames();
    return true;
  }

  fail(reason: string): void {
    if (this.mode == Mode.Closed) return;
    const learning = this.mode == Mode.Learn;
    this.mode = Mode.Closed;
    if (learning) this.cb.learningDropped(this);
    this.reason = reason;
    this.held.release();
    this.heldSinceNs = 0;
  }

  /** The connection is gone: gives back everything held. */
  release(): void {
    if (this.mode == Mode.Learn) {
      this.mode = Mode.Stream; // anything after goes on unseen
      this.cb.learningDropped(this);
    }
    this.held.release();
    this.heldSinceNs = 0;
  }

  /**
   * Sends on the held frame exactly as received (size prefix included), and holds nothing
   * more of it: bytes held from earlier chunks are handed to `out` without a copy.
   */
  passHeld(out: Output): void {
    if (this.heldChunkPos >= 0) out.passChunk(this.heldChunkPos, this.held.length);
    else out.adopt(this.held.detach());
    this.held.clear();
  }

  /**
   * Feeds one chunk from position `from`; what is sent on goes to `out` (which must have begun
   * with `chunk`). Stops early when a frame is parked. Garbage may be collected after each held
   * frame (runtime/collect.ts): the caller must hold `out` (and so `chunk`) on the heap, and no
   * other reference on the stack below this call.
   */
  process(chunk: Uint8Array, out: Output, from: i32 = 0): void {
    if (this.held.length > 0) this.heldChunkPos = -1;
    this.feed(chunk, out, from);
    // A frame still incomplete keeps its bytes in storage of its own, counted in the budget:
    // borrowed, they would keep the whole chunk alive, uncounted, until the next one.
    const holding = this.held.length;
    // A chunk whose frame goes on past it may be in place (a streamed response's first read,
    // ResponseSide.firstRead): what is kept of it is fetched before it is copied.
    if (holding > 0 && this.mode != Mode.Closed && !this.held.fetchLent()) {
      this.fail("could not read " + this.name + " bytes from the host buffer");
      return;
    }
    if (this.mode == Mode.Observe && !this.held.own()) this.dropObservation();
    else if ((this.mode == Mode.Header || this.mode == Mode.Collect) && !this.held.own()) this.failOverBudget(holding);
    // The clock (a host call) is read only for a frame left incomplete: most end in the chunk
    // they start in.
    if (this.held.length > 0 && this.heldSinceNs == 0) this.heldSinceNs = nowNs();
  }

  private feed(chunk: Uint8Array, out: Output, from: i32): void {
    this.bytesIn += chunk.length - from;
    const n = chunk.length;
    let pos = from;
    while (true) {
      const mode = this.mode;
      if (mode == Mode.Closed) return;
      if (mode == Mode.Parked) {
        this.parkedRest = pos;
        return;
      }
      if (mode == Mode.Header) {
        const target = this.headerTarget();
        if (this.mode == Mode.Closed) return;
        if (this.held.length >= target) {
          this.decide(out, n - pos);
          collectBetweenFrames();
          continue;
        }
        if (pos >= n) return;
        const take = min(target - this.held.length, n - pos);
        this.hold(chunk, pos, take);
        pos += take;
        continue;
      }
      if (pos >= n) return;
      const take = min(this.remaining, n - pos);
      if (mode == Mode.Stream) out.passChunk(pos, take);
      else if (mode == Mode.Observe) {
        out.passChunk(pos, take);
        this.hold(chunk, pos, take);
      } else if (mode == Mode.Learn) {
        out.passChunk(pos, take);
        this.cb.learnPiece(this, chunk, pos, take);
        if (this.mode == Mode.Closed) return;
      } else if (mode == Mode.Collect) {
        this.hold(chunk, pos, take);
        if (this.mode == Mode.Closed) return;
      }
      pos += take;
      this.remaining -= take;
      if (this.remaining == 0) {
        if (mode == Mode.Collect) {
          this.complete(out);
          collectBetweenFrames();
        } else if (mode == Mode.Learn) {
          this.nextFrame();
          collectBetweenFrames();
        } else if (this.mode == Mode.Observe) {
          this.observed();
          collectBetweenFrames();
        } else this.nextFrame();
      }
    }
  }

  /**
   * End of stream from this side: whatever is held (a frame cut short, never decided) is
   * dropped, not sent on. Its bytes are nothing the peer could read, and a held frame is one
   * the policy had to see whole first: a response to be cut (a listing naming hidden topics,
   * the filter's own Metadata request answering one) or a request not yet judged. Returns the
   * number of bytes dropped.
   */
  dropAtEnd(): i32 {
    const n = this.held.length;
    if (this.mode == Mode.Observe || this.mode == Mode.Learn) { // its bytes went on as they came
      if (this.mode == Mode.Learn) this.cb.learningDropped(this);
      this.atFrameStart();
      return 0;
    }
    if (this.mode == Mode.Closed || n == 0) return 0;
    this.held.release();
    this.heldSinceNs = 0;
    this.atFrameStart();
    return n;
  }

  private hold(chunk: Uint8Array, pos: i32, len: i32): void {
    if (this.held.length == 0) this.heldChunkPos = pos;
    // Borrowed from the chunk: a frame that arrives whole is never copied (process() copies
    // what is left incomplete when the chunk ends).
    const total = this.held.length + len;
    if (this.held.borrow(chunk, pos, len)) return;
    if (this.mode == Mode.Observe) this.dropObservation();
    else this.failOverBudget(total);
  }

  /** An observed frame whose copy the budget cannot hold: the rest streams on, unseen. */
  private dropObservation(): void {
    this.held.release();
    this.heldSinceNs = 0;
    this.mode = Mode.Stream;
    this.cb.onObservationDropped(this);
  }

  /** Closes: holding `total` bytes of the current frame would exceed the budget. */
  private failOverBudget(total: i32): void {
    this.overBudget = true;
    this.fail(this.name + " frame of " + this.frameSize.toString() + " bytes: holding " + total.toString() +
      " bytes would exceed filter.maxBufferedBytes (" + heldBudget.limit.toString() + " bytes held at most across this worker's connections)");
  }

  /** Total bytes (prefix included) that must be held before deciding. */
  private headerTarget(): i32 {
    const have = this.held.length;
    if (have < 4) return 4;
    if (this.frameSize < 0) {
      const size = this.held.int32At(0);
      if (size < 0) {
        this.fail(this.name + " frame with negative size " + size.toString());
        return 0;
      }
      if (size > this.maxFrame) {
        this.fail(this.name + " frame of " + size.toString() + " bytes exceeds max_frame_bytes " + this.maxFrame.toString() + this.notKafka());
        return 0;
      }
      this.frameSize = size;
    }
    if (this.headerTargetKnown > 0) return this.headerTargetKnown;
    if (have < this.headerAskAt) return this.headerAskAt;
    // Asked of every byte of the frame there is, held or in the chunk after them (borrowed), so
    // that one answer usually does; with nothing after the size prefix, no view to make.
    const end = 4 + this.frameSize;
    const avail = this.held.onward(4, end);
    const need = this.cb.headerNeed(this, avail > 0 ? this.held.viewOnward(4, end) : AFTER_PREFIX_ONLY, this.frameSize);
    if (this.mode == Mode.Closed) return 0;
    if (need < 0 || need > this.frameSize) {
      this.fail(this.name + " frame of " + this.frameSize.toString() + " bytes has a malformed header");
      return 0;
    }
    // Answered from enough bytes: more would not change it (headerNeed's contract).
    if (need <= avail) {
      this.headerTargetKnown = 4 + need;
      return 4 + need;
    }
    this.headerAskAt = 4 + min(max(need, avail << 1), this.frameSize);
    return this.headerAskAt;
  }

  /** A hint when the first bytes of a connection look like another protocol. */
  private notKafka(): string {
    if (this.frames > 0 || this.bytesIn < 4) return "";
    const b0 = this.held.int32At(0) >>> 24, b1 = (this.held.int32At(0) >>> 16) & 0xff;
    if (b0 == 0x16 && b1 == 0x03) return " (looks like a TLS handshake: the filter needs plaintext Kafka)";
    if (b0 >= 0x41 && b0 <= 0x5a && b1 >= 0x41 && b1 <= 0x5a) return " (looks like text, e.g. HTTP, not Kafka)";
    return "";
  }

  /** `left`: bytes of the current chunk after what is held. */
  private decide(out: Output, left: i32): void {
    // The header and what follows it in the chunk: the view headerTarget made.
    const action = this.cb.onHeader(this, this.held.viewOnward(4, 4 + this.frameSize), this.frameSize, out);
    if (this.mode == Mode.Closed) return;
    this.remaining = this.frameSize - (this.held.length - 4);
    switch (action) {
      case Action.Stream: {
        this.passHeld(out);
        this.held.clear();
        this.heldSinceNs = 0;
        this.mode = Mode.Stream;
        break;
      }
      case Action.Collect: {
        // Storage grows as the bytes arrive, up to the frame's size: never the claim at once.
        this.held.limitGrowth(4 + this.frameSize);
        this.mode = Mode.Collect;
        break;
      }
      case Action.Observe: {
        // The header goes on now; the copy held grows as the rest arrives, or, learnt as it
        // streams, nothing is held.
        if (this.heldChunkPos >= 0) out.passChunk(this.heldChunkPos, this.held.length);
        else out.write(this.held.view());
        if (this.remaining > left && this.cb.learnsAsItStreams(this, this.frameSize)) {
          this.mode = Mode.Learn;
          const head = this.held.view(4);
          this.cb.learnPiece(this, head, 0, head.length);
          if (this.mode == Mode.Closed) return;
          this.held.clear();
          this.heldSinceNs = 0;
          break;
        }
        this.held.limitGrowth(4 + this.frameSize);
        this.mode = Mode.Observe;
        break;
      }
      case Action.Discard: {
        this.held.clear();
        this.heldSinceNs = 0;
        this.mode = Mode.Discard;
        break;
      }
      default: {
        if (this.mode != Mode.Closed) this.fail(this.name + " frame rejected");
        return;
      }
    }
    if (this.remaining == 0) {
      if (this.mode == Mode.Collect) this.complete(out);
      else if (this.mode == Mode.Observe) this.observed();
      else this.nextFrame();
    }
  }

  private observed(): void {
    const frame = this.held.view(4);
    this.cb.onObserved(this, frame);
    // Read, not decoded: its garbage is what of it was copied into the VM, as for complete().
    noteHeldFrame(<i32>bytesInVm(frame.dataStart, <usize>frame.length));
    if (this.mode == Mode.Closed) return;
    this.nextFrame();
  }

  private complete(out: Output): void {
    const frame = this.held.view(4);
    this.cb.onFrame(this, frame, out);
    // Its garbage is of the order of what of it was copied into the VM.
    noteHeldFrame(<i32>bytesInVm(frame.dataStart, <usize>frame.length));
    if (this.mode == Mode.Closed || this.mode == Mode.Parked) return;
    this.nextFrame();
  }

  private nextFrame(): void {
    this.frames++;
    this.atFrameStart();
  }

  /** Nothing held: the next byte is a frame's first. */
  private atFrameStart(): void {
    this.headerTargetKnown = 0;
    this.headerAskAt = 0;
    this.held.clear();
    this.heldSinceNs = 0;
    this.heldChunkPos = -1;
    this.frameSize = -1;
    this.remaining = 0;
    this.mode = Mode.Header;
  }
}
