// A large response the handler learns from, read as it arrives (Framer Mode.Learn; for now
// Fetch responses of filter.inPlaceFrameBytes or more that span reads). Each read goes on at
// once. The response is laid out at its full size in memory reused from one response to the
// next (in-place-chunk.ts takeLayout), of which only the pages the handler's walk reads are
// written (protocol/in-place.ts StreamedFrame), and the walk runs again at each read that
// brings the page it last waited for, until it gets through (KafkaHandler.observeStreamed):
// the reads inside a large batch are not looked at (skips), none is copied into the VM
// (Framer.takesInPlace: the walk fetches what it reads from Envoy's buffer), and a walk reads
// only the batch headers the walks before it did not (enforce/responses.ts StreamedWalk).
// Nothing of the response is held.
//
// Two bounds, for clients that would abuse it:
// - the layouts count at their full size in the VM's held-bytes budget and take at most
//   1/STREAMED_SHARE of it: a client that asks for large fetches and stops reading cannot claim
//   the budget others need (past the share, responses are copied as they arrive, as before);
// - the walks of one response may cost WALK_WORK_FLOOR steps plus one per WALK_WORK_PER_BYTES
//   bytes arrived (entities and batches walked, KafkaHandler.streamedWork): each walk walks the
//   entities from the start again, so many partitions in many small reads would make them
//   quadratic, and batches much smaller than WALK_WORK_PER_BYTES cost more read in place than
//   copied. Past that, its reads are copied whole and the walk runs once, at its end: what the
//   walks read of earlier reads is there, the rest is in the copies
//   (kafka.response_frames_in_place_copied).

import { heldBudget } from "./bytes";
import { Framer } from "./framer";
import { KafkaHandler, ResponseInfo, Verdict, VerdictKind } from "./seam";
import { getStats, addCounter, apiName } from "./stats";
import { takeLayout, giveLayout } from "./in-place-chunk";
import { PageSource, StreamedFrame, endInPlace } from "../protocol/in-place";
import { noteHeldFrame } from "../runtime/collect";

/** Bytes of responses laid out to be read as they arrive, in this VM (one VM per worker). */
let laidOut: i64 = 0;
const STREAMED_SHARE: i64 = 4;
const WALK_WORK_FLOOR: i64 = 1024;
const WALK_WORK_PER_BYTES: i64 = 256;

const EMPTY = new Uint8Array(0);

/** What StreamedResponse.piece did to the framer. */
export const NOT_CLOSED: i32 = -1;
export const CLOSED_MALFORMED: i32 = 0;
export const CLOSED_BY_HANDLER: i32 = 1;

export class StreamedResponse {
  private info: ResponseInfo | null = null;
  private readonly frame: StreamedFrame = new StreamedFrame();
  /** The response's size prefix, then the response. */
  private memory: ArrayBuffer | null = null;
  /** The whole response (after its size prefix) over `memory`. */
  private view: Uint8Array = EMPTY;
  /** Bytes of it arrived so far. */
  private arrived: i32 = 0;
  /** What the walk answered (before the response ended, only a malformed one): applied at the end. */
  private verdict: Verdict | null = null;
  /** A page the walk asked for had gone by unread: nothing can be learnt from it. */
  private lost: bool = false;
  private work: i64 = 0;
  private copying: bool = false;

  constructor(private handler: KafkaHandler) {}

  /** Whether a response of `size` bytes would be laid out now (the budget's share has room). */
  fits(size: i32): bool {
    return laidOut + <i64>size <= heldBudget.limit / STREAMED_SHARE && heldBudget.has(size);
  }

  /**
   * Memory for a response of `size` bytes (after its size prefix) that begin() lays out, taken
   * before its header is read: the first read of it is laid out there, with its size prefix
   * (ResponseSide.firstRead). Given back with release() if begin() does not take it.
   */
  reserve(size: i32): ArrayBuffer { return takeLayout(<u32>size + 4); }

  release(mem: ArrayBuffer): void {
    if (!giveLayout(mem)) noteHeldFrame(mem.byteLength);
  }

  /**
   * Lays out the response `info` of `size` bytes, in `reserved` if it was read into that (its
   * pages are fetched again when read); false when the budget's share has no room.
   */
  begin(info: ResponseInfo, size: i32, reserved: ArrayBuffer | null): bool {
    if (!this.fits(size) || !heldBudget.take(size)) return false;
    laidOut += <i64>size;
    const mem = reserved != null ? reserved : takeLayout(<u32>size + 4);
    this.memory = mem;
    this.view = Uint8Array.wrap(mem, 4, size);
    this.frame.begin(this.view.dataStart, <u32>size);
    this.info = info;
    this.arrived = 0;
    this.verdict = null;
    this.lost = false;
    this.work = 0;
    this.copying = false;
    return true;
  }

  /**
   * The next `len` bytes arrived, to be fetched from `source` (its offset 0 is the first of
   * them). `inPlace`: they are read from the host's buffer (a first read laid out in place, or
   * a read taken in place), and the frame stays registered until the callback ends (Output reads
   * through the registry what it must copy). Returns NOT_CLOSED,
   * or how it closed `framer`: CLOSED_BY_HANDLER (the policy, or the host's buffer failing) or
   * CLOSED_MALFORMED.
   */
  piece(framer: Framer, source: PageSource, len: u32, inPlace: bool): i32 {
    const info = this.info;
    if (info == null) return NOT_CLOSED;
    const from = <u32>this.arrived, to = from + len;
    this.arrived = <i32>to;
    const sf = this.frame;
    const last = <i32>to >= info.frameSize;
    let read = sf.resume(source, from, to);
    if (read && this.copying) read = sf.fetchRead();
    if (read && this.verdict == null && !this.lost && (!this.copying || last) && !sf.waitsStill()) this.walk(info, to);
    read = read && sf.endRead(this.copying);
    if (!inPlace) endInPlace();
    if (!read) {
      this.end();
      framer.fail("could not read response bytes from the host buffer");
      return CLOSED_BY_HANDLER;
    }
    if (!last) return NOT_CLOSED;
    const v = this.verdict;
    const lost = this.lost || v == null;
    this.end();
    if (lost) addCounter(getStats().responsesUnobserved, 1);
    else if (v!.kind == VerdictKind.Close) {
      framer.fail((v!.malformed ? "malformed " : "policy closed the connection after a ") + apiName(info.apiKey) + " response: " + v!.reason);
      return v!.malformed ? CLOSED_MALFORMED : CLOSED_BY_HANDLER;
    }
    return NOT_CLOSED;
  }

  /**
   * Whether the next `len` bytes, not the response's last, can go by unread (nothing of them is
   * fetched, and the walk would wait where it did): if so they count as arrived. Not while its
   * reads are copied (copying): a later walk reads what they were copied to.
   */
  skips(len: u32): bool {
    const info = this.info;
    if (info == null || this.copying) return false;
    const to = <u32>this.arrived + len;
    if (<i32>to >= info.frameSize) return false;
    if (!this.frame.skips(to, this.verdict == null && !this.lost)) return false;
    this.arrived = <i32>to;
    return true;
  }

  /** The handler's walk over what has arrived, `to` bytes. */
  private walk(info: ResponseInfo, to: u32): void {
    const handler = this.handler;
    this.frame.beginWalk();
    const v = handler.observeStreamed(this.view, info);
    if (this.frame.gone) this.lost = true;
    else if (v != null) this.verdict = v;
    this.work += <i64>handler.streamedWork();
    if (!this.copying && this.work > WALK_WORK_FLOOR + <i64>to / WALK_WORK_PER_BYTES) {
      this.copying = true;
      addCounter(getStats().responseFramesInPlaceCopied, 1);
    }
  }

  /** The response ended, read or not: its layout goes back, and its share of the budget. */
  end(): void {
    if (this.info == null) return;
    const size = this.view.length;
    heldBudget.give(size);
    laidOut -= <i64>size;
    // Kept for the next response, or garbage now, as a held frame's copy would be (runtime/collect.ts).
    this.release(this.memory!);
    this.info = null;
    this.memory = null;
    this.view = EMPTY;
    this.verdict = null;
  }
}
