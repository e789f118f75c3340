// A frame decided in place: its bytes stay in the host's buffer and VM memory holds only what
// something read of them (the header, topic names, partition and batch headers; never the
// records).
//
// The shell (filter/connection.ts) lays such a frame out in VM memory at its full size,
// fetches nothing of its interior up front, and registers the range here. Whatever reads that
// memory asks first: Reader.need, the batch walk of records.ts, and Output before it copies a
// chunk for the host. Pages are fetched on first use, so a 1 MiB Produce request or Fetch
// response is decided from a few KiB. Memory outside the range, or with nothing registered, is always readable: the
// checks cost one comparison then.

/** Fetches `length` bytes at `offset` of the frame's host buffer into VM memory at `into`. */
export abstract class PageSource {
  abstract fetch(offset: u32, length: u32, into: usize): bool;
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

class InPlaceFrame {
  start: usize = 0;
  end: usize = 0;
  source: PageSource | null = null;
  /** One byte per page of [start, end): 1 once fetched. */
  present: Uint8Array = new Uint8Array(256);
  fetchedBytes: u64 = 0;
  readAhead: i32 = 1;
  /** The page after the last one fetched: a miss there reads on. */
  lastFetchEnd: i32 = 0;
}

const frame = new InPlaceFrame();

/**
 * From now until endInPlace, the `length` bytes at `start` are fetched from `source` as they
 * are first read, except the first `fetchedPrefix` bytes, which are there already.
 */
export function beginInPlace(start: usize, length: u32, source: PageSource, fetchedPrefix: u32): void {
  const pages = <i32>((length + PAGE - 1) >> PAGE_SHIFT);
  if (frame.present.length < pages) frame.present = new Uint8Array(max(pages, frame.present.length * 2));
  else memory.fill(frame.present.dataStart, 0, <usize>pages);
  // Only whole pages count as present: a page the prefix ends inside is fetched again.
  const whole = <i32>(fetchedPrefix >> PAGE_SHIFT);
  if (whole > 0) memory.fill(frame.present.dataStart, 1, <usize>whole);
  if (STRESS && length > fetchedPrefix) memory.fill(start + <usize>fetchedPrefix, 0xff, <usize>(length - fetchedPrefix));
  frame.start = start;
  frame.end = start + <usize>length;
  frame.source = source;
  frame.fetchedBytes = <u64>fetchedPrefix;
  frame.readAhead = 1;
  frame.lastFetchEnd = whole;
}

/** Nothing is in place any more: the memory may be reused. */
export function endInPlace(): void {
  frame.start = 0;
  frame.end = 0;
  frame.source = null;
}

/** Whether a frame is in place now. */
@inline export function inPlace(): bool { return frame.end != 0; }

/** Bytes of the frame in place (or the last one) in VM memory. */
export function inPlaceFetchedBytes(): u64 { return frame.fetchedBytes; }

/**
 * Makes `length` bytes at `ptr` readable: fetches the pages of the frame in place they cover
 * that are not there yet, contiguous ones in one host call. False when the host gives less.
 */
export function makeReadable(ptr: usize, length: usize): bool {
  if (frame.end == 0 || length == 0) return true;
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
    // What is missing, and read-ahead up to the next fetched page: one page after a jump (a
    // batch header after a large batch), four times more each time the reads follow on from
    // the last fetch (many small batches cost less in a few larger host calls).
    frame.readAhead = page == frame.lastFetchEnd ? min(frame.readAhead << 2, MAX_READ_AHEAD_PAGES) : 1;
    const ahead = max(last + 1, page + frame.readAhead);
    const pages = <i32>((frame.end - frame.start + PAGE - 1) >> PAGE_SHIFT);
    let run = page;
    while (run < pages && (run <= last || run < ahead) && unchecked(present[run]) == 0) run++;
    const from = <usize>page << PAGE_SHIFT;
    const to = min(<usize>run << PAGE_SHIFT, frame.end - frame.start);
    if (!frame.source!.fetch(<u32>from, <u32>(to - from), frame.start + from)) return false;
    frame.fetchedBytes += <u64>(to - from);
    memory.fill(present.dataStart + <usize>page, 1, <usize>(run - page));
    frame.lastFetchEnd = run;
    page = run;
  }
  return true;
}

/** Of `length` bytes at `ptr`, about how many are in VM memory: those fetched, for the frame in place. */
export function bytesInVm(ptr: usize, length: usize): usize {
  if (frame.end == 0 || ptr >= frame.end || ptr + length <= frame.start) return length;
  return min(length, <usize>frame.fetchedBytes);
}

/** Makes the whole frame in place readable (before its bytes are copied as a whole). */
export function fetchAll(): bool {
  return frame.end == 0 || makeReadable(frame.start, frame.end - frame.start);
}

/**
 * Where the bytes readable from `ptr` end, at most `limit`: `limit` outside the frame in place,
 * else the end of the run of fetched pages `ptr` is in (`ptr` itself when its page is not).
 */
export function readableEnd(ptr: usize, limit: usize): usize {
  if (frame.end == 0 || limit <= frame.start || ptr >= frame.end) return limit;
  if (ptr < frame.start) return min(limit, frame.start);
  const present = frame.present;
  const pages = <i32>((frame.end - frame.start + PAGE - 1) >> PAGE_SHIFT);
  let page = <i32>((ptr - frame.start) >> PAGE_SHIFT);
  if (unchecked(present[page]) == 0) return ptr;
  while (page < pages && unchecked(present[page]) != 0) page++;
  const end = page >= pages ? (limit > frame.end ? limit : frame.end) : frame.start + (<usize>page << PAGE_SHIFT);
  return min(limit, end);
}
