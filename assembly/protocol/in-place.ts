// A frame decided in place: its bytes stay in the host's buffer and VM memory holds only what
// something read of them (the header, topic names, partition and batch headers; never the
// records).
//
// The shell (filter/connection.ts) lays such a frame out in VM memory at its full size,
// fetches nothing of its interior up front, and registers the range here. Whatever reads that
// memory asks first: Reader.need, the batch walk of records.ts, and Output before it copies a
// chunk for the host. Pages are fetched on first use, so a 1 MiB Produce request or Fetch
// response is decided from a few KiB. A Fetch response that spans reads is laid out the same
// way and read as it arrives (StreamedFrame): a read past what has arrived fails "not yet", and
// the walk runs again at the next read. Memory outside the range, or with nothing registered,
// is always readable: the checks cost one comparison then.

/** Fetches `length` bytes at `offset` of the frame's host buffer into VM memory at `into`. */
export abstract class PageSource {
  abstract fetch(offset: u32, length: u32, into: usize): bool;
}

/** Bytes the VM holds already (a read copied in whole), as a source of a streamed frame's pages. */
class MemoryPages extends PageSource {
  base: usize = 0;

  fetch(offset: u32, length: u32, into: usize): bool {
    memory.copy(into, this.base + <usize>offset, <usize>length);
    return true;
  }
}

const memorySource = new MemoryPages();

/** The bytes at `base` as the source of the current read's pages (valid until the next call). */
export function memoryPages(base: usize): PageSource {
  memorySource.base = base;
  return memorySource;
}

// A test build (`--use STRESS_IN_PLACE=1`: build/filter-stress.wasm) fetches in 64-byte pages,
// so that the fuzzer's small frames are read in place too, and fills what is not fetched with
// 0xff (null lengths, unending varints, magic 255): a read that did not ask here first then
// decides differently from the frame read whole, and the tests see it.
// @ts-ignore: compile-time constant, set with --use
const STRESS: bool = isDefined(STRESS_IN_PLACE);
const PAGE_SHIFT: u32 = STRESS ? 6 : 12;
const PAGE: u32 = 1 << PAGE_SHIFT;
/** What a frame in place is fetched in: its first page comes with the size prefix. */
export const IN_PLACE_PAGE: u32 = PAGE;
const MAX_READ_AHEAD_PAGES: i32 = 64;

/**
 * A frame laid out in VM memory whose pages are fetched on first use. Whole in the host's
 * buffer (beginInPlace), or arriving over several reads (StreamedFrame): then only the pages
 * of the current read can be fetched (`availFrom`, `availTo`), pages of earlier reads are
 * there if something read them then, and a read past `availTo` is "not yet", not a failure.
 */
export class InPlaceFrame {
  start: usize = 0;
  end: usize = 0;
  source: PageSource | null = null;
  /** One byte per page of [start, end): 1 once fetched. */
  present: Uint8Array = new Uint8Array(256);
  fetchedBytes: u64 = 0;
  readAhead: i32 = 1;
  /** The page after the last one fetched: a miss there reads on. */
  lastFetchEnd: i32 = 0;
  /** Frame offsets `source` can give now. */
  availFrom: u32 = 0;
  availTo: u32 = 0;
  /** A read needed bytes past availTo (they have not arrived yet). */
  notYet: bool = false;
  /**
   * The first page such a read needed (i32.MAX_VALUE: none): since the walk began (a
   * StreamedFrame's beginWalk), else since the frame was laid out.
   */
  wantedPage: i32 = i32.MAX_VALUE;
  /** A read needed bytes before availFrom that were never fetched (they went by unread). */
  gone: bool = false;

  /** Lays the frame out at `start` (`length` bytes), no page present. */
  layOut(start: usize, length: u32): void {
    const pages = <i32>((length + PAGE - 1) >> PAGE_SHIFT);
    if (this.present.length < pages) this.present = new Uint8Array(max(pages, this.present.length * 2));
    else memory.fill(this.present.dataStart, 0, <usize>pages);
    this.start = start;
    this.end = start + <usize>length;
    this.fetchedBytes = 0;
    this.readAhead = 1;
    this.lastFetchEnd = 0;
    this.availFrom = 0;
    this.availTo = length;
    this.notYet = false;
    this.wantedPage = i32.MAX_VALUE;
    this.gone = false;
  }

  @inline get length(): u32 { return <u32>(this.end - this.start); }

  @inline get pages(): i32 { return <i32>((this.length + PAGE - 1) >> PAGE_SHIFT); }

  /** Whether page `page` lies whole within what the source can give now. */
  @inline fetchable(page: i32): bool {
    const from = <u32>page << PAGE_SHIFT;
    return from >= this.availFrom && min(from + PAGE, this.length) <= this.availTo;
  }

  /** Copies frame bytes [from, to) from the source, whatever the pages; false if the host does not give them. */
  copy(from: u32, to: u32): bool {
    if (to <= from) return true;
    if (!this.source!.fetch(from - this.availFrom, to - from, this.start + <usize>from)) return false;
    this.fetchedBytes += <u64>(to - from);
    return true;
  }
}

const whole = new InPlaceFrame();
/** The frame reads are checked against now, if any. */
let current: InPlaceFrame | null = null;

/**
 * From now until endInPlace, the `length` bytes at `start` are fetched from `source` as they
 * are first read, except the first `fetchedPrefix` bytes, which are there already.
 */
export function beginInPlace(start: usize, length: u32, source: PageSource, fetchedPrefix: u32): void {
  const frame = whole;
  frame.layOut(start, length);
  // Only whole pages count as present: a page the prefix ends inside is fetched again.
  const wholePages = <i32>(fetchedPrefix >> PAGE_SHIFT);
  if (wholePages > 0) memory.fill(frame.present.dataStart, 1, <usize>wholePages);
  if (STRESS && length > fetchedPrefix) memory.fill(start + <usize>fetchedPrefix, 0xff, <usize>(length - fetchedPrefix));
  frame.source = source;
  frame.fetchedBytes = <u64>fetchedPrefix;
  frame.lastFetchEnd = wholePages;
  current = frame;
}

/**
 * A frame that streams on through several reads while the filter reads what it needs of it
 * (filter/streamed-response.ts: a large Fetch response). Its memory is laid out at its full size and
 * holds only the pages read, across reads: each read makes the pages that lie whole within it
 * fetchable on demand (resume), and keeps the bytes of a page it shares with the next read
 * (endRead), so that nothing a later walk of the same bytes needs is lost with a read.
 */
export class StreamedFrame extends InPlaceFrame {
  /** The page the last read ended inside, whose bytes of that read endRead kept; -1: none. */
  private keptPage: i32 = -1;

  /** Lays the frame out at `start` (`length` bytes, unfilled memory): nothing arrived yet. */
  begin(start: usize, length: u32): void {
    this.layOut(start, length);
    this.availTo = 0;
    this.keptPage = -1;
    if (STRESS) memory.fill(start, 0xff, <usize>length);
  }

  /**
   * Reads are checked against this frame until endInPlace, and the frame bytes
   * [from, to) can be fetched from `source` (its offset 0 is frame offset `from`). Completes
   * the page the previous read ended inside. False when the host does not give it.
   */
  resume(source: PageSource, from: u32, to: u32): bool {
    if (current !== this) this.fetchedBytes = 0; // counted per callback (endInPlace's caller)
    current = this;
    this.source = source;
    this.availFrom = from;
    this.availTo = to;
    this.notYet = false;
    this.gone = false;
    this.readAhead = 1;
    const page = <i32>(from >> PAGE_SHIFT);
    if ((from & (PAGE - 1)) == 0 || unchecked(this.present[page]) != 0) return true;
    // Not kept: nothing of this page was needed, and what is read later lies after it.
    if (this.keptPage != page) return true;
    // Its bytes before `from` were kept by endRead.
    const pageEnd = min((<u32>page << PAGE_SHIFT) + PAGE, this.length);
    if (!this.copy(from, min(pageEnd, to))) return false;
    if (pageEnd <= to) unchecked(this.present[page] = 1);
    return true;
  }

  /**
   * Whether a walk of what has arrived would stop where the last one did: the first page it
   * waited for still cannot be read. A walk reads the same bytes the same way, so it would
   * read only pages it read before (all there) and wait for that page again: it is not run,
   * and that page stays the one waited for (endRead keeps it). False before the first walk.
   */
  waitsStill(): bool {
    const page = this.wantedPage;
    return page != i32.MAX_VALUE && unchecked(this.present[page]) == 0 && !this.fetchable(page);
  }

  /**
   * Whether a read that ends at frame offset `to`, not the frame's last, can go by without a
   * look: nothing walks the frame any more (`walks` false), or the walk waits for a page that
   * begins at or after `to`. A walk reads the same bytes the same way, so the next one reads
   * nothing of this read either: it stops at that page again until it arrives (waitsStill),
   * and nothing of it is kept for a later read (endRead). If so, the read is done. The
   * records of a large batch are such reads.
   */
  skips(to: u32, walks: bool): bool {
    const wanted = this.wantedPage;
    if (walks && (wanted == i32.MAX_VALUE || (<u64>wanted << PAGE_SHIFT) < <u64>to)) return false;
    this.keptPage = -1;
    return true;
  }

  /** A walk begins: what it waits for is recorded anew. */
  beginWalk(): void {
    this.notYet = false;
    this.wantedPage = i32.MAX_VALUE;
  }

  /** Fetches every page that lies whole within the current read (a copy of the read). */
  fetchRead(): bool {
    const from = (this.availFrom + PAGE - 1) & ~(PAGE - 1);
    const to = this.availTo >= this.length ? this.length : this.availTo & ~(PAGE - 1);
    return to <= from || makeReadable(this.start + <usize>from, <usize>(to - from));
  }

  /**
   * Keeps the bytes of the page the read ends inside (the next read completes it) when a read
   * of this one waits for that page, or always with `all` (every byte read later). A walk reads
   * forward: a page before the first one it waits for is never read again, so keeping it would
   * be a host call per read for nothing (a large batch spans many reads).
   */
  endRead(all: bool): bool {
    const to = this.availTo;
    if (to >= this.length || (to & (PAGE - 1)) == 0) {
      this.keptPage = -1;
      return true;
    }
    const page = <i32>(to >> PAGE_SHIFT);
    if (unchecked(this.present[page]) != 0) return true;
    if (!all && this.wantedPage > page) {
      this.keptPage = -1;
      return true;
    }
    // A read that began inside this page: resume copied what of it the read holds, if its
    // earlier bytes were kept (keptPage says).
    if (<i32>(this.availFrom >> PAGE_SHIFT) == page && (this.availFrom & (PAGE - 1)) != 0) return true;
    this.keptPage = page;
    return this.copy(max(<u32>page << PAGE_SHIFT, this.availFrom), to);
  }
}

/** Nothing is in place any more: the memory may be reused (a StreamedFrame keeps its pages). */
export function endInPlace(): void {
  if (current === whole) {
    whole.start = 0;
    whole.end = 0;
    whole.source = null;
  }
  current = null;
}

/** Whether a frame is in place now. */
@inline export function inPlace(): bool { return current !== null; }

/** Bytes of the frame in place now read into the VM (in this callback, for a streamed frame). */
export function inPlaceFetchedBytes(): u64 {
  const f = current;
  return f != null ? f.fetchedBytes : whole.fetchedBytes;
}

/** Whether a read that failed on the frame in place asked for bytes not arrived yet (since clearNotYet). */
export function inPlaceNotYet(): bool {
  const f = current;
  return f != null && f.notYet;
}

/** Forgets that a read asked for bytes not arrived yet: the next one may ask again. */
export function clearNotYet(): void {
  const f = current;
  if (f != null) f.notYet = false;
}

/**
 * Makes `length` bytes at `ptr` readable: fetches the pages of the frame in place they cover
 * that are not there yet, contiguous ones in one host call. False when the host gives less,
 * or (a streamed frame) the bytes have not arrived yet (inPlaceNotYet) or went by unread.
 */
export function makeReadable(ptr: usize, length: usize): bool {
  const frame = current;
  if (frame == null || length == 0) return true;
  const lo = max(ptr, frame.start), hi = min(ptr + length, frame.end);
  if (lo >= hi) return true;
  const present = frame.present;
  const last = <i32>((hi - 1 - frame.start) >> PAGE_SHIFT);
  let page = <i32>((lo - frame.start) >> PAGE_SHIFT);
  while (page <= last) {
    if (unchecked(present[page]) != 0) {
      page++;
      continue;
    }
    if (!frame.fetchable(page)) {
      // Past the bytes arrived so far: wait for the next read. Before them: they went by
      // unread, which a walk that reads the same bytes the same way never asks for.
      if ((<u32>page << PAGE_SHIFT) + PAGE > frame.availTo) {
        frame.notYet = true;
        frame.wantedPage = min(frame.wantedPage, page);
      } else frame.gone = true;
      return false;
    }
    // What is missing, and read-ahead up to the next fetched page: one page after a jump (a
    // batch header after a large batch), four times more each time the reads follow on from
    // the last fetch (many small batches cost less in a few larger host calls).
    frame.readAhead = page == frame.lastFetchEnd ? min(frame.readAhead << 2, MAX_READ_AHEAD_PAGES) : 1;
    const ahead = max(last + 1, page + frame.readAhead);
    const pages = frame.pages;
    let run = page;
    while (run < pages && (run <= last || run < ahead) && unchecked(present[run]) == 0 && frame.fetchable(run)) run++;
    const from = <u32>page << PAGE_SHIFT;
    const to = min(<u32>run << PAGE_SHIFT, frame.length);
    if (!frame.copy(from, to)) return false;
    memory.fill(present.dataStart + <usize>page, 1, <usize>(run - page));
    frame.lastFetchEnd = run;
    page = run;
  }
  return true;
}

/**
 * Of a frame of `length` bytes at `ptr`, about how much garbage deciding it leaves, in bytes
 * (runtime/collect.ts): its length outside the frame in place (a held copy of that size, or a
 * decode's objects, of that order). Of the frame in place, none while only its pages were
 * fetched: they land where the frame is laid out, memory reused from frame to frame (counting
 * them made a whole Fetch response of 64 batches, 260 KiB of pages, bring a collection every
 * fourth response). Its length once it was read whole: decoded, or copied on.
 */
export function bytesInVm(ptr: usize, length: usize): usize {
  const frame = current;
  if (frame == null || ptr >= frame.end || ptr + length <= frame.start) return length;
  return frame.fetchedBytes >= <u64>frame.length ? length : 0;
}

/** Makes the whole frame in place readable (before its bytes are copied as a whole). */
export function fetchAll(): bool {
  const frame = current;
  return frame == null || makeReadable(frame.start, frame.end - frame.start);
}

/**
 * Where the bytes readable from `ptr` end, at most `limit`: `limit` outside the frame in place,
 * else the end of the run of fetched pages `ptr` is in (`ptr` itself when its page is not).
 */
export function readableEnd(ptr: usize, limit: usize): usize {
  const frame = current;
  if (frame == null || limit <= frame.start || ptr >= frame.end) return limit;
  if (ptr < frame.start) return min(limit, frame.start);
  const present = frame.present;
  const pages = frame.pages;
  let page = <i32>((ptr - frame.start) >> PAGE_SHIFT);
  if (unchecked(present[page]) == 0) return ptr;
  while (page < pages && unchecked(present[page]) != 0) page++;
  const end = page >= pages ? (limit > frame.end ? limit : frame.end) : frame.start + (<usize>page << PAGE_SHIFT);
  return min(limit, end);
}
