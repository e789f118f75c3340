// One Kafka client connection through Envoy: the per-connection proxy-wasm Context.
//
// How bytes move (Envoy's network Wasm filter, verified in Envoy 1.40):
// - proxy_on_downstream_data / proxy_on_upstream_data get the size of Envoy's buffer for that
//   direction (the connection's read buffer / the data being written to the client). We copy
//   it in with get_buffer_bytes, run the framer, and if what goes on differs from what came
//   in, rewrite the whole buffer with set_buffer_bytes(start 0, length size, out): Envoy
//   drains `size` bytes and prepends `out`. Bytes we hold back (a partial header, or a frame
//   being collected) live in the VM, never in Envoy's buffer, so Envoy's watermarks never
//   stall a half-received frame, and a frame can be replaced in place, in order.
// - A large Produce request or Fetch response that starts the buffer whole is decided in place
//   (in-place-chunk.ts, protocol/in-place.ts): get_buffer_bytes of the ranges its view reads
//   (the header, topic names, partition and batch headers), never its records. Passed, it stays
//   in Envoy's buffer untouched; if what goes on must be rewritten after all, the rest of it is
//   fetched first.
// - We return Continue (the rewritten buffer goes on to tcp_proxy / the client), or
//   StopIteration when nothing is to be sent on now; either way Envoy's buffer is left
//   holding exactly what we want sent, so nothing is ever sent twice.
// - A request the handler cannot decide yet (Verdict.wait: an external decision is on its way)
//   goes back into Envoy's buffer, unread, with everything after it: the buffer then holds what
//   was decided before it (sent when the wait ends: requests stay in order) and the raw bytes
//   from it on, and we return StopIteration. New bytes pile up in Envoy's buffer (its watermarks
//   push back on the client). When the answer comes, resume() has Envoy run us again on that
//   buffer through the "kafka_resume" filter in front of us (resume.ts).
// - Closing uses proxy_close_stream(Downstream): Envoy closes the client connection with
//   FlushWrite after the callback returns, and tcp_proxy then closes the broker connection.

import { Context, RootContext, FilterStatusValues, PeerTypeValues } from "@solo-io/proxy-runtime/assembly/runtime";
import { BufferTypeValues, replaceBufferPrefix, closeDownstream, debug, enabled, LogLevelValues, refreshLogLevel, printable, actOnContext, continueDownstream, nowNs } from "../runtime/host";
import { collectAtCallbackStart, noteConnectionClosed, noteConnectionOpened } from "../runtime/collect";
import { Writer, writableClientId } from "../protocol/writer";
import { Output, heldBudget } from "./bytes";
import { Framer, FrameCallbacks, Action, Mode } from "./framer";
import { requestHeaderNeed, headerErrorText, readRequestHeader, responseHeaderNeed, readCorrelationId } from "./header";
import { InFlight, InFlightQueue } from "./inflight";
import { KafkaHandler, RequestHeader, RequestNote, ResponseInfo, Verdict, VerdictKind, setResumer } from "./seam";
import { claimResumeGate } from "./resume";
import { ShellSettings } from "./settings";
import { getStats, addCounter, apiName, ByteTally } from "./stats";
import { frameAtStart, inPlaceChunk, envoyPages, readHead, headAt, scratchChunk } from "./in-place-chunk";
import { StreamedResponse, NOT_CLOSED, CLOSED_BY_HANDLER } from "./streamed-response";
import { connectionLines, filterCloseLines } from "./connection-lines";
import { IN_PLACE_PAGE, endInPlace, fetchAll, inPlace, inPlaceFetchedBytes, memoryPages } from "../protocol/in-place";

const EMPTY = new Uint8Array(0);
/** The api keys whose frames carry records: a Produce request, a Fetch response. */
const PRODUCE: i16 = 0;
const FETCH: i16 = 1;

/**
 * A downstream buffer up to this size is read whole to learn whether its first frame is whole
 * (frameLeftInEnvoy), then handed on from that read. Above it, its first IN_PLACE_PAGE bytes
 * are read: the first page of a Produce decided in place (frameAtStart takes them), and no
 * more of a frame that arrives in many pieces (read once per frame, not at each piece).
 */
const READ_WHOLE_BYTES: u32 = IN_PLACE_PAGE;

/** The connections of this VM that are open, for the tick that closes stalled ones. */
const open = new Map<u32, KafkaConnection>();

/**
 * Closes every connection whose client has left a request frame incomplete for longer than
 * `timeoutNs`: a half-sent frame must not pin memory forever. And those that close once
 * answered (KafkaConnection.closesOnceAnswered) whose answers have gone. Called from the root's tick.
 */
export function closeStalledConnections(nowNs: i64, timeoutNs: i64): void {
  const conns = open.values();
  for (let i = 0; i < conns.length; i++) {
    const c = unchecked(conns[i]);
    if (c.answeredBeforeClose && !c.closeRequested) {
      if (actOnContext(c.context_id)) c.close(c.requests.reason, false);
      continue;
    }
    const since = c.requests.heldSinceNs != 0 ? c.requests.heldSinceNs : c.inEnvoySinceNs;
    if (since == 0 || nowNs - since <= timeoutNs || c.closeRequested) continue;
    if (!actOnContext(c.context_id)) continue;
    addCounter(getStats().frameTimeoutClosed, 1);
    const received = c.requests.heldSinceNs != 0 ? c.requests.heldBytes : <i32>c.leftInBuffer;
    c.close("request frame incomplete for " + ((nowNs - since) / 1000000).toString() + " ms (" +
      received.toString() + " bytes received; filter.frameTimeoutMs is " + (timeoutNs / 1000000).toString() + ")", false);
  }
}

/**
 * Has Envoy run connection `id`'s request side again, when it waits (see the header): from its
 * resume gate, so that this filter's onDownstreamData is called (after the current VM call).
 */
function resume(id: u32): void {
  if (!open.has(id)) return;
  const c = open.get(id);
  if (!c.waiting || c.closeRequested) return;
  c.waiting = false;
  if (!actOnContext(c.resumeGate) || !continueDownstream()) {
    actOnContext(id);
    c.close("could not resume the connection after an external decision", false);
  }
}

setResumer(resume);

/** ApiVersions v0: the request sent upstream in place of one the handler answers itself. */
const PROBE_API_KEY: i16 = 18;
const PROBE_API_VERSION: i16 = 0;

export class KafkaConnection extends Context {
  readonly inFlight: InFlightQueue;
  // Assigned by create(), right after construction (their callbacks need `this`). Not `!`
  // fields: AssemblyScript checks such a field for null at every read, which keeps the read
  // from being inlined (a call per read on every callback); nothing reads these before create().
  requests: Framer = changetype<Framer>(0);
  responses: Framer = changetype<Framer>(0);
  private responseSide: ResponseSide = changetype<ResponseSide>(0);
  private out: Output = new Output();

  closeRequested: bool = false;
  private closeLogged: bool = false;
  /** First close event seen from Envoy, for the close log line. */
  private closeCause: string = "";

  requestCount: i64 = 0;
  responseCount: i64 = 0;

  // Raw SASL (see seam.ts). A SaslHandshake v0's answer decides whether the client's next
  // bytes are a raw token or a request, so nothing may follow the handshake before it.
  /** SaslHandshake v0 requests sent upstream and not answered yet. */
  handshakesV0: i32 = 0;
  /** Raw token exchanges still to come. */
  rawExchanges: i32 = 0;
  /** The client's latest raw token awaits the broker's answer. */
  rawTokenSent: bool = false;

  // Waiting requests (Verdict.wait; see the header).
  /** The "kafka_resume" filter's context in front of this one (0: none). */
  resumeGate: u32 = 0;
  /** A request waits for an answer; Envoy's buffer holds it and what follows, unread. */
  waiting: bool = false;
  /** Bytes at the start of Envoy's buffer that are already decided (sent when the wait ends). */
  decidedInBuffer: u32 = 0;
  /** Bytes counted since the last frame boundary, each way (kafka.request_bytes, response_bytes, read in place). */
  readonly requestTally: ByteTally = new ByteTally(getStats().requestBytes, getStats().requestBytesReadInPlace);
  readonly responseTally: ByteTally = new ByteTally(getStats().responseBytes, getStats().responseBytesReadInPlace);
  /** Bytes left in Envoy's buffer at the last callback (counted in request_bytes already). */
  leftInBuffer: u32 = 0;
  /** The next request header read is the waiting request's again: counted once already. */
  replaying: bool = false;

  // A request frame left in Envoy's buffer until whole (settings.inEnvoyFrameBytes).
  private readonly inEnvoyFrameBytes: u32;
  /** Size of the frame (prefix included) at the start of Envoy's buffer, left there; 0: none. */
  private inEnvoyFrame: u32 = 0;
  /** When that frame began to arrive (host clock, ns); 0 while none is left there. */
  inEnvoySinceNs: i64 = 0;
  /**
   * Its bytes in Envoy's buffer, counted in the VM's held-bytes budget (filter.maxBufferedBytes)
   * as if held here: a client cannot park more in Envoy's buffers than the VM would hold.
   */
  private inEnvoyCounted: i64 = 0;
  /**
   * The downstream buffer when it is small (READ_WHOLE_BYTES at most), read by
   * frameLeftInEnvoy for its prefix into the VM's scratch memory (scratchChunk): what readChunk
   * hands on in the same callback, when its frame is whole. Dropped when the callback ends:
   * another connection's callback reuses that memory.
   */
  private readAhead: Uint8Array | null = null;
  /**
   * A larger buffer's first page, read by frameLeftInEnvoy into the shared head page
   * (in-place-chunk.ts readHead): kept across callbacks while the frame is left in Envoy's
   * buffer (the same bytes), for frameAtStart once the frame is whole, if no other read came.
   */
  private headTicket: u64 = 0;

  constructor(context_id: u32, root: RootContext, settings: ShellSettings, readonly handler: KafkaHandler) {
    super(context_id, root);
    this.inFlight = new InFlightQueue(settings.maxInFlight);
    this.mayWait = settings.requestsMayWait;
    this.inEnvoyFrameBytes = <u32>min(settings.inEnvoyFrameBytes, settings.maxFrameBytes);
    this.inPlaceFrameBytes = <u32>settings.inPlaceFrameBytes;
  }

  /**
   * A whole Produce request or Fetch response of this size or more is decided in place, and a
   * Fetch response of this size that spans reads is read as it arrives (settings.inPlaceFrameBytes).
   */
  readonly inPlaceFrameBytes: u32;

  /** Requests may wait for answers from outside (external decisions): a resume gate is needed. */
  private readonly mayWait: bool;

  /** The connection `context_id` of `root`, deciding through `handler` (one per connection). */
  static create(context_id: u32, root: RootContext, settings: ShellSettings, handler: KafkaHandler): KafkaConnection {
    const c = new KafkaConnection(context_id, root, settings, handler);
    c.requests = new Framer("request", settings.maxFrameBytes, new RequestSide(c));
    c.responseSide = new ResponseSide(c);
    c.responses = new Framer("response", settings.maxFrameBytes, c.responseSide);
    open.set(context_id, c);
    noteConnectionOpened();
    return c;
  }

  get label(): string { return "kafka connection " + this.context_id.toString(); }

  onNewConnection(): FilterStatusValues {
    // Only where requests can wait: elsewhere the lookup (a host call) is per-connection waste.
    if (this.mayWait) this.resumeGate = claimResumeGate();
    refreshLogLevel();
    addCounter(getStats().connections, 1);
    connectionLines.define();
    filterCloseLines.define();
    return FilterStatusValues.Continue;
  }

  onDownstreamData(size: usize, end: bool): FilterStatusValues {
    collectAtCallbackStart();
    if (end && this.closeCause.length == 0) this.closeCause = "client closed the connection";
    // Until the answer comes, what arrives stays in Envoy's buffer, behind the waiting request.
    if (this.waiting && !this.closeRequested) return FilterStatusValues.StopIteration;
    this.requestTally.count(<i64>(<u32>size - min(<u32>size, this.leftInBuffer)));
    this.leftInBuffer = 0;
    if (this.leavesInEnvoy(<u32>size, end)) {
      // headTicket is kept: the frame stays at the start of Envoy's buffer, so its first bytes
      // are what they were, for frameAtStart once the frame is whole. readAhead is not: it lies
      // in scratch memory, which another connection's callback reuses.
      this.readAhead = null;
      this.leftInBuffer = <u32>size;
      return FilterStatusValues.StopIteration;
    }

    const st = this.pump(this.requests, BufferTypeValues.NetworkDownstreamData, <u32>size, end);
    this.readAhead = null;
    this.headTicket = 0;
    return st;
  }

  /**
   * Whether the request frame starting Envoy's buffer, not whole yet, stays there unread: at a
   * frame boundary (nothing of it held in the VM, nothing decided before it in the buffer),
   * within settings.inEnvoyFrameBytes. Read once whole, it is decided as a frame that came in
   * one read: the VM never holds a copy of it growing as it arrives.
   */
  private leavesInEnvoy(size: u32, end: bool): bool {
    const frame = this.frameLeftInEnvoy(size, end);
    if (frame > size) {
      if (!heldBudget.take(<i64>size - this.inEnvoyCounted)) {
        // Closing: pump() then drops what Envoy holds of it.
        this.forgetInEnvoy();
        addCounter(getStats().bufferBudgetClosed, 1);
        this.close("request frame of " + (frame - 4).toString() + " bytes: leaving " + size.toString() +
          " bytes of it in Envoy's buffer would exceed filter.maxBufferedBytes (" + heldBudget.limit.toString() +
          " bytes held at most across this worker's connections)", false);
        return false;
      }
      this.inEnvoyCounted = size;
      if (this.inEnvoyFrame == 0) addCounter(getStats().framesInEnvoy, 1);
      this.inEnvoyFrame = frame;
      if (this.inEnvoySinceNs == 0) this.inEnvoySinceNs = nowNs();
      return true;
    }
    // Whole now, or read into the VM from here on: nothing stays in Envoy's buffer.
    this.forgetInEnvoy();
    return false;
  }

  private forgetInEnvoy(): void {
    heldBudget.give(this.inEnvoyCounted);
    this.inEnvoyCounted = 0;
    this.inEnvoyFrame = 0;
    this.inEnvoySinceNs = 0;
  }

  /** The size (prefix included) of the frame that may stay in Envoy's buffer; 0 when none may. */
  private frameLeftInEnvoy(size: u32, end: bool): u32 {
    const limit = this.inEnvoyFrameBytes;
    const f = this.requests;
    if (limit == 0 || end || this.closeRequested || this.decidedInBuffer > 0 || f.mode != Mode.Header || f.heldBytes > 0) return 0;
    if (this.inEnvoyFrame > 0) return this.inEnvoyFrame;
    // From `limit` bytes on, the first frame is whole or too large to leave: no prefix to read.
    if (size < 4 || size >= limit) return 0;
    // A small buffer is read whole at once: a frame whole in it then costs one read, not two.
    // A larger one's first page goes to the shared head page (frameAtStart's if still ours).
    let declared: u32 = 0;
    if (size <= READ_WHOLE_BYTES) {
      const prefix = scratchChunk(BufferTypeValues.NetworkDownstreamData, size);
      if (prefix == null || prefix.length < 4) return 0;
      this.readAhead = prefix;
      declared = bswap<u32>(load<u32>(prefix.dataStart));
    } else {
      this.headTicket = readHead(BufferTypeValues.NetworkDownstreamData, READ_WHOLE_BYTES);
      const head = headAt(this.headTicket, READ_WHOLE_BYTES);
      if (head == 0) return 0;
      declared = bswap<u32>(load<u32>(head));
    }
    // A negative or oversized claim is the framer's to refuse.
    return <u64>declared + 4 > <u64>limit ? 0 : declared + 4;
  }


  onUpstreamData(size: usize, end: bool): FilterStatusValues {
    collectAtCallbackStart();
    if (end && this.closeCause.length == 0) this.closeCause = "broker closed the connection";
    this.responseTally.count(<i64>size);
    return this.pump(this.responses, BufferTypeValues.NetworkUpstreamData, <u32>size, end);
  }

  private pump(f: Framer, typ: BufferTypeValues, size: u32, end: bool): FilterStatusValues {
    const st = this.pumpChunk(f, typ, size, end);
    if (this.closesOnceAnswered && this.inFlight.size == 0 && !this.closeRequested) this.answeredBeforeClose = true;
    const tally = f == this.requests ? this.requestTally : this.responseTally;
    if (inPlace()) {
      tally.readInPlace += <i64>inPlaceFetchedBytes();
      endInPlace();
    }
    if (f == this.responses) this.responseSide.endChunk();
    if (f.mode == Mode.Header && f.heldBytes == 0) tally.flush();
    return st;
  }

  /**
   * Envoy's buffer of `size` bytes in VM memory: copied in whole, or with the large frame that
   * starts it whole left in place (in-place-chunk.ts) when that frame carries records (a
   * Produce request, a Fetch response), at a frame boundary, with no raw SASL exchange on.
   */
  private readChunk(f: Framer, typ: BufferTypeValues, size: u32): Uint8Array | null {
    if (size == 0) return EMPTY;
    if (f.mode == Mode.Header && f.heldBytes == 0 && this.rawExchanges == 0 && this.handshakesV0 == 0) {
      let frame: u32 = 0;
      if (f == this.requests) {
        if (this.decidedInBuffer == 0) frame = frameAtStart(typ, size, this.inPlaceFrameBytes, false, PRODUCE, this.readAhead, this.headTicket);
      } else {
        const e = this.inFlight.peek();
        if (e != null && e.apiKey == FETCH && e.synthesized == null && !e.aside) frame = frameAtStart(typ, size, this.inPlaceFrameBytes, true);
        if (frame > size) {
          // Goes on past this buffer: read as it arrives from this first read on, if it will be.
          if (this.responseSide.streams(e!, <i32>frame - 4)) return this.responseSide.firstRead(size, frame);
          frame = 0;
        }
      }
      if (frame > 0) {
        const stats = getStats();
        addCounter(f == this.requests ? stats.requestFramesInPlace : stats.responseFramesInPlace, 1);
        return inPlaceChunk(typ, size, frame);
      }
    }
    const ahead = this.readAhead;
    if (f == this.requests && ahead != null && <u32>ahead.length == size) {
      this.readAhead = null;
      return ahead;
    }
    return scratchChunk(typ, size);
  }

  private pumpChunk(f: Framer, typ: BufferTypeValues, size: u32, end: bool): FilterStatusValues {
    if (this.closeRequested) {
      // Closing: nothing more goes anywhere.
      if (size > 0) replaceBufferPrefix(typ, size, EMPTY);
      return FilterStatusValues.StopIteration;
    }
    // Within a frame that streams on (a large Fetch response): not copied into the VM, only
    // what the walk reads of it, if anything.
    if (size > 0 && !end && f.takesInPlace(<i32>size)) {
      this.closeIfFramerClosed(f);
      return FilterStatusValues.Continue;
    }
    let chunk = this.readChunk(f, typ, size);
    if (chunk == null || <u32>chunk.length != size) {
      this.close("could not read " + f.name + " bytes from the host buffer", false);
      if (size > 0) replaceBufferPrefix(typ, size, EMPTY);
      return FilterStatusValues.StopIteration;
    }
    // `out` (a field) holds the chunk: the framer may collect garbage between frames.
    const out = this.out;
    out.begin(chunk);
    // After a wait, the buffer starts with what was decided before the waiting request. Only
    // the request side's buffer: broker bytes arriving during the wait must not clear it.
    let decided = 0;
    if (f == this.requests) {
      decided = <i32>min(this.decidedInBuffer, size);
      this.decidedInBuffer = 0;
    }
    out.passChunk(0, decided);
    f.process(chunk, out, decided);
    if (f.parked) return this.wait(f, typ, chunk, size);
    if (end && !f.closed) {
      const cut = f.dropAtEnd();
      if (cut > 0) debug(this.label + ": " + f.name + " stream ended inside a frame; dropped its " + cut.toString() + " held bytes");
    }
    this.closeIfFramerClosed(f);
    if (!out.unchanged) {
      const bytes = out.bytes();
      if (out.unreadable) {
        // Never send on what was not read from the client's bytes.
        this.close("could not read " + f.name + " bytes from the host buffer", false);
        replaceBufferPrefix(typ, size, EMPTY);
        return FilterStatusValues.StopIteration;
      }
      if (!replaceBufferPrefix(typ, size, bytes)) {
        this.close("could not write " + f.name + " bytes to the host buffer", false);
        return FilterStatusValues.StopIteration;
      }
    }
    if (out.length == 0 && !end) return FilterStatusValues.StopIteration;
    return FilterStatusValues.Continue;
  }

  /**
   * The request framer closed on a request Kafka closes on without answering (acks=0): the
   * connection closes once the requests before it are answered (Verdict.closeOnceAnswered).
   */
  closesOnceAnswered: bool = false;
  /** ... and they are: closed at the root's next tick (closeStalledConnections). */
  answeredBeforeClose: bool = false;

  /** The framer closed (a framing error, its budget, or the policy): so does the connection. */
  private closeIfFramerClosed(f: Framer): void {
    if (!f.closed) return;
    // Closed now, the answers still on their way would be lost; closed from the callback that
    // passes the last, that one would be too (Envoy writes it to the client after the callback
    // returns): pump() notes when they have gone, and the tick closes it.
    if (f == this.requests && this.closesOnceAnswered && !f.overBudget && this.inFlight.size > 0) return;
    if (f.overBudget) addCounter(getStats().bufferBudgetClosed, 1);
    this.close(f.reason, !this.handlerClosed && !f.overBudget && !this.protocolClosed);
  }

  /**
   * The request framer parked a frame the handler cannot decide yet: Envoy's buffer becomes
   * what was decided before it, then the frame and the rest of the chunk as received.
   */
  private wait(f: Framer, typ: BufferTypeValues, chunk: Uint8Array, size: u32): FilterStatusValues {
    const decided = this.out.bytes();
    if (this.out.unreadable || !fetchAll()) {
      f.unpark(chunk.length);
      this.close("could not read " + f.name + " bytes from the host buffer", false);
      replaceBufferPrefix(typ, size, EMPTY);
      return FilterStatusValues.StopIteration;
    }
    const frame = f.parkedFrame();
    const rest = chunk.subarray(f.parkedRest);
    const kept = new Uint8Array(decided.length + frame.length + rest.length);
    kept.set(decided, 0);
    kept.set(frame, decided.length);
    kept.set(rest, decided.length + frame.length);
    f.unpark(chunk.length);
    if (this.resumeGate == 0) {
      this.handlerClosed = true;
      this.close("a request waits for an external decision, but this listener has no \"kafka_resume\" filter " +
        "(same vm_config) just before \"kafka\" to resume it from (see envoy/envoy.yaml)", false);
      replaceBufferPrefix(typ, size, EMPTY);
      return FilterStatusValues.StopIteration;
    }
    if (!replaceBufferPrefix(typ, size, kept)) {
      this.close("could not write " + f.name + " bytes to the host buffer", false);
      return FilterStatusValues.StopIteration;
    }
    this.waiting = true;
    this.replaying = true;
    this.decidedInBuffer = <u32>decided.length;
    this.leftInBuffer = <u32>kept.length;
    addCounter(getStats().requestsWaited, 1);
    return FilterStatusValues.StopIteration;
  }

  /** Set by the sides when a handler verdict (not a framing error) closes the connection. */
  handlerClosed: bool = false;
  /** Set when the peers broke the protocol's order (too many requests, an unexpected response). */
  protocolClosed: bool = false;

  /** Closes because of the order of frames, not their contents; `counter` says which rule. */
  refuseOrder(framer: Framer, counter: u32, reason: string): void {
    this.protocolClosed = true;
    addCounter(counter, 1);
    framer.fail(reason);
  }

  close(reason: string, decodeError: bool): void {
    if (this.closeRequested) return;
    this.closeRequested = true;
    const stats = getStats();
    addCounter(stats.closedByFilter, 1);
    if (decodeError) addCounter(stats.decodeErrors, 1);
    this.closeLogged = true;
    // Reasons can quote what the client sent: never let it shape the log.
    filterCloseLines.write(this.label + " closed by filter: " + printable(reason, 1024) + this.summary());
    closeDownstream();
  }

  private summary(): string {
    return " (requests " + this.requestCount.toString() + ", responses " + this.responseCount.toString() +
      ", in flight " + this.inFlight.size.toString() + ", bytes from client " + this.requests.bytesIn.toString() +
      ", from broker " + this.responses.bytesIn.toString() + ")";
  }

  onDownstreamConnectionClose(t: PeerTypeValues): void {
    if (this.closeCause.length == 0) {
      this.closeCause = t == PeerTypeValues.Remote ? "client closed the connection" : "closed by Envoy";
    }
  }

  onUpstreamConnectionClose(t: PeerTypeValues): void {
    if (this.closeCause.length == 0) this.closeCause = "broker closed the connection";
  }

  onDone(): bool {
    if (!this.closeLogged) {
      this.closeLogged = true;
      const cause = this.closeCause.length > 0 ? this.closeCause : "connection ended";
      let why = cause;
      const held = this.requests.heldBytes + this.responses.heldBytes;
      if (held > 0) why += ", " + held.toString() + " bytes of an unfinished frame dropped";
      connectionLines.write(this.label + " closed: " + why + this.summary(), cause);
    }
    this.handler.onClose();
    this.requestTally.flush();
    this.responseTally.flush();
    this.forgetInEnvoy();
    this.requests.release();
    this.responses.release();
    heldBudget.give(this.inFlight.clear());
    if (open.delete(this.context_id)) noteConnectionClosed();
    return true;
  }

  onLog(): void {}
  onDelete(): void {}
}

/** The in-flight entry of `message` (a request header first, at least 8 bytes) sent for `h`. */
function sentUpstream(message: Uint8Array, h: RequestHeader, synthesized: Uint8Array | null, note: RequestNote | null): InFlight {
  const key = <i16>((<i32>message[0] << 8) | <i32>message[1]);
  const ver = <i16>((<i32>message[2] << 8) | <i32>message[3]);
  const corr = (<i32>message[4] << 24) | (<i32>message[5] << 16) | (<i32>message[6] << 8) | <i32>message[7];
  return new InFlight(corr, key, ver, h, synthesized, note);
}

function isHandshakeV0(e: InFlight): bool { return e.apiKey == 17 && e.apiVersion == 0; }

/**
 * About what one in-flight entry and its request header keep (objects and their headers),
 * besides the client id's characters.
 */
const IN_FLIGHT_ENTRY_BYTES: i64 = 128;

/**
 * What `e` keeps in memory until its answer comes: itself and the request's header, with its
 * client id (up to 32,767 characters, two bytes each), the client's answer if the filter wrote
 * it, what the handler noted. A client that stops reading while it sends requests leaves them
 * all waiting (Envoy stops reading the broker, not the client): counted, they cannot grow a
 * VM's memory past filter.maxBufferedBytes however many refused names or however long a client
 * id each carries (uncounted, 32 KB client ids took a VM to 4 GiB and a trap).
 */
function keptUntilAnswered(e: InFlight, h: RequestHeader): i64 {
  const clientId = h.clientId;
  let n: i64 = IN_FLIGHT_ENTRY_BYTES + (clientId != null ? <i64>clientId.length << 1 : 0);
  const answer = e.synthesized;
  if (answer != null) n += answer.length;
  const note = e.note;
  if (note != null) n += note.keeps(h.frameSize);
  return n;
}

/** Client -> broker. */
class RequestSide extends FrameCallbacks {
  current: RequestHeader | null = null;

  constructor(private conn: KafkaConnection) { super(); }

  /** The frame being collected is a raw SASL token. */
  private raw: bool = false;

  headerNeed(framer: Framer, avail: Uint8Array, frameSize: i32): i32 {
    const conn = this.conn;
    if (conn.handshakesV0 > 0) {
      conn.refuseOrder(framer, getStats().saslOrderClosed, "client sent more before the broker answered its SaslHandshake v0, " +
        "whose answer says whether the next bytes are a raw SASL token or a request (Kafka's clients wait for it)");
      return -1;
    }
    if (conn.rawExchanges > 0) {
      if (!conn.rawTokenSent) return 0;
      conn.refuseOrder(framer, getStats().saslOrderClosed, "client sent a raw SASL token before the broker answered its previous one");
      return -1;
    }
    const need = requestHeaderNeed(avail, frameSize);
    if (need < 0) framer.fail("request frame of " + frameSize.toString() + " bytes is malformed: " + headerErrorText(need));
    return need;
  }

  onHeader(framer: Framer, head: Uint8Array, frameSize: i32, out: Output): Action {
    const conn = this.conn;
    if (conn.rawExchanges > 0) {
      conn.rawTokenSent = true;
      this.raw = true;
      return Action.Collect;
    }
    const h = readRequestHeader(head, frameSize);
    if (h == null) {
      framer.fail("request header of a " + frameSize.toString() + " byte frame does not decode");
      return Action.Close;
    }
    if (conn.replaying) {
      conn.replaying = false; // the waiting request again: counted when it first came
    } else {
      conn.requestCount++;
      getStats().request(h.apiKey);
    }
    if (enabled(LogLevelValues.debug)) {
      debug(conn.label + ": request " + apiName(h.apiKey) + " v" + h.apiVersion.toString() + " correlation " + h.correlationId.toString() + " size " + frameSize.toString());
    }
    if (conn.handler.wantsRequest(h)) {
      this.current = h;
      return Action.Collect;
    }
    if (!this.expect(framer, h, new InFlight(h.correlationId, h.apiKey, h.apiVersion, h))) return Action.Close;
    return Action.Stream;
  }

  /**
   * Records that `e` will be answered (unless the request expects no answer). A client past
   * maxInFlight is closed: the network-filter ABI cannot pause reading from a client, and
   * forgetting a request would let a later response pass for its answer.
   */
  private expect(framer: Framer, h: RequestHeader, e: InFlight, answered: bool = false): bool {
    if (!h.expectsResponse && !answered) return true;
    const q = this.conn.inFlight;
    const held = keptUntilAnswered(e, h);
    if (held > 0 && !heldBudget.take(held)) {
      this.conn.refuseOrder(framer, getStats().bufferBudgetClosed, "keeping the " + apiName(h.apiKey) + " request" +
        (e.synthesized != null ? "'s answer" : e.note != null ? "'s pending rewrite" : "") + " (counted as " + held.toString() + " bytes) until the broker answers would exceed filter.maxBufferedBytes (" +
        heldBudget.limit.toString() + " bytes held at most across this worker's connections)");
      return false;
    }
    if (q.push(e)) {
      e.held = held;
      if (isHandshakeV0(e)) this.conn.handshakesV0++;
      return true;
    }
    heldBudget.give(held);
    this.conn.refuseOrder(framer, getStats().inFlightOverflow, "client has " + q.max.toString() +
      " requests waiting for the broker's answers (filter.maxInFlight); the filter keeps every one to match answers in order, so it closes instead of reading more");
    return false;
  }

  /**
   * Sends the handler's own request `aside` (Verdict.aside) upstream; its answer goes to the
   * handler only, and the client gets `answer` (if any) at its position instead.
   */
  private sendAside(framer: Framer, h: RequestHeader, aside: Uint8Array, answer: Uint8Array | null, note: RequestNote | null, out: Output): bool {
    if (aside.length < 8) {
      this.conn.handlerClosed = true;
      framer.fail("handler sent an invalid request of its own with a " + apiName(h.apiKey) + " request");
      return false;
    }
    const e = sentUpstream(aside, h, answer, note);
    e.aside = true;
    // Counted against maxInFlight like any request: a client cannot use asides to get past it.
    if (!this.expect(framer, h, e, true)) return false;
    out.writeInt32(aside.length);
    out.write(aside);
    return true;
  }

  onFrame(framer: Framer, frame: Uint8Array, out: Output): void {
    const conn = this.conn;
    if (this.raw) {
      this.raw = false;
      conn.handler.onRawSaslToken(frame);
      framer.passHeld(out);
      return;
    }
    const h = this.current!;
    this.current = null;
    const v = conn.handler.onRequest(frame, h);
    if (v.kind == VerdictKind.Wait) {
      framer.park();
      return;
    }
    const aside = v.kind != VerdictKind.Close ? v.aside : null;
    if (aside != null && v.kind != VerdictKind.Respond && !this.sendAside(framer, h, aside, null, v.asideNote, out)) return;
    switch (v.kind) {
      case VerdictKind.Pass: {
        if (!this.expect(framer, h, new InFlight(h.correlationId, h.apiKey, h.apiVersion, h, null, v.note))) return;
        framer.passHeld(out);
        break;
      }
      case VerdictKind.Replace: {
        const b = v.bytes;
        if (b == null || b.length < 8) {
          conn.handlerClosed = true;
          framer.fail("handler replaced a " + apiName(h.apiKey) + " request with an invalid message");
          return;
        }
        if (!this.expect(framer, h, sentUpstream(b, h, null, v.note))) return;
        out.writeInt32(b.length);
        out.write(b);
        addCounter(getStats().framesReplaced, 1);
        break;
      }
      case VerdictKind.Respond: {
        const b = v.bytes;
        if (b == null || b.length < 4) {
          conn.handlerClosed = true;
          framer.fail("handler answered a " + apiName(h.apiKey) + " request with an invalid message");
          return;
        }
        // A request the broker never answers (acks=0) gets no answer from us either.
        const answer = h.expectsResponse ? b : null;
        // The broker must still see a request here so that its responses stay in order: the
        // handler's own request if it has one, else a harmless ApiVersions with the same
        // correlation id; the client gets `answer` in place of its response.
        if (aside != null) {
          this.sendAside(framer, h, aside, answer, v.asideNote, out);
          break;
        }
        if (answer == null) break;
        if (!this.expect(framer, h, new InFlight(h.correlationId, PROBE_API_KEY, PROBE_API_VERSION, h, answer))) return;
        const clientId = writableClientId(h.clientId);
        const w = new Writer(16 + (clientId != null ? clientId.length * 3 : 0));
        w.int16(PROBE_API_KEY);
        w.int16(PROBE_API_VERSION);
        w.int32(h.correlationId);
        w.string(clientId, false);
        const probe = w.bytes();
        out.writeInt32(probe.length);
        out.write(probe);
        break;
      }
      default: {
        conn.handlerClosed = !v.malformed;
        conn.closesOnceAnswered = v.onceAnswered;
        framer.fail((v.malformed ? "malformed " : "policy closed the connection on a ") + apiName(h.apiKey) + " request: " + v.reason);
      }
    }
  }
}

/** Broker -> client. */
class ResponseSide extends FrameCallbacks {
  current: ResponseInfo | null = null;

  constructor(private conn: KafkaConnection) {
    super();
    this.streamed = new StreamedResponse(conn.handler);
  }

  /** A large Fetch response read as it arrives (Framer Mode.Learn). */
  private readonly streamed: StreamedResponse;
  /**
   * The current chunk is Envoy's buffer laid out in VM memory, whose bytes of the response
   * read as it arrives are fetched from that buffer where the walk reads them (`chunk`).
   */
  chunkInPlace: bool = false;
  private chunk: Uint8Array | null = null;
  /** Memory a response was laid out in at its first read, until learnsAsItStreams takes it (firstRead). */
  private reserved: ArrayBuffer | null = null;

  /**
   * Whether the response to `e` of `frameSize` bytes (after its prefix) will be read as it
   * arrives (learnsAsItStreams), as onHeader and decide will find.
   */
  streams(e: InFlight, frameSize: i32): bool {
    const conn = this.conn;
    if (conn.inPlaceFrameBytes == 0 || <u32>frameSize < conn.inPlaceFrameBytes || isHandshakeV0(e)) return false;
    const info = new ResponseInfo(e.correlationId, e.apiKey, e.apiVersion, e.request, frameSize, e.note);
    const h = conn.handler;
    return !h.wantsResponse(info) && h.observesResponse(info) && h.learnsAsItStreams(info) && this.streamed.fits(frameSize);
  }

  /**
   * Envoy's `size` byte buffer, which begins a response of `frame` bytes (prefix included) that
   * goes on past it, laid out where that response will be: of it, only the first page is read
   * now (the correlation id), and the rest where the walk reads it, as for the reads after it.
   * Until the framer decides (learnsAsItStreams) it is a chunk in place like any other, so
   * nothing reads it unfetched whatever the framer decides.
   */
  firstRead(size: u32, frame: u32): Uint8Array | null {
    const reserved = this.streamed.reserve(<i32>frame - 4);
    this.reserved = reserved;
    const chunk = inPlaceChunk(BufferTypeValues.NetworkUpstreamData, size, frame, reserved);
    this.chunk = chunk;
    return chunk;
  }

  /** The callback's chunk is done with: memory reserved for a response and not taken goes back. */
  endChunk(): void {
    this.chunkInPlace = false;
    this.chunk = null;
    const reserved = this.reserved;
    if (reserved != null) {
      this.reserved = null;
      this.streamed.release(reserved);
    }
  }

  learnsAsItStreams(framer: Framer, frameSize: i32): bool {
    const info = this.current;
    const conn = this.conn;
    if (info == null || !conn.handler.learnsAsItStreams(info)) return false;
    if (conn.inPlaceFrameBytes == 0 || <u32>frameSize < conn.inPlaceFrameBytes) return false;
    // One frame in place at a time: not while this chunk's first frame is, unless this chunk
    // is this response's first read, laid out in its memory (firstRead).
    const reserved = this.reserved;
    if (inPlace() && reserved == null) return false;
    if (!this.streamed.begin(info, frameSize, reserved)) return false;
    if (reserved != null) {
      // From here on the response's pages are read as the streamed frame's, fetched again
      // where the walk reads them.
      this.reserved = null;
      conn.responseTally.readInPlace += <i64>inPlaceFetchedBytes();
      endInPlace();
      this.chunkInPlace = true;
    }
    this.current = null;
    addCounter(getStats().responseFramesInPlace, 1);
    return true;
  }

  learnPiece(framer: Framer, bytes: Uint8Array, pos: i32, len: i32): void {
    // The chunk is Envoy's buffer; the response's head, handed over apart from it at the
    // response's first read, follows the size prefix at the start of that buffer.
    const source = !this.chunkInPlace ? memoryPages(bytes.dataStart + <usize>pos)
      : envoyPages(BufferTypeValues.NetworkUpstreamData, <u32>(bytes === this.chunk ? pos : 4 + pos));
    this.closedBy(this.streamed.piece(framer, source, <u32>len, this.chunkInPlace));
  }

  /** What StreamedResponse.piece answered: whether the policy, not the bytes, closed the framer. */
  private closedBy(closed: i32): void {
    if (closed != NOT_CLOSED) this.conn.handlerClosed = closed == CLOSED_BY_HANDLER;
  }

  learnsInPlace(framer: Framer, len: i32): bool {
    const streamed = this.streamed;
    if (streamed.skips(<u32>len)) return true;
    // Read where the walk reads it, from Envoy's buffer, which starts with these bytes.
    this.closedBy(streamed.piece(framer, envoyPages(BufferTypeValues.NetworkUpstreamData, 0), <u32>len, true));
    return true;
  }

  learningDropped(framer: Framer): void { this.streamed.end(); }

  /** The frame being collected answers a raw SASL token. */
  private raw: bool = false;

  headerNeed(framer: Framer, avail: Uint8Array, frameSize: i32): i32 {
    const conn = this.conn;
    if (conn.rawExchanges > 0) {
      if (conn.rawTokenSent) return 0;
      conn.refuseOrder(framer, getStats().saslOrderClosed, "broker sent a frame during raw SASL before the client's token");
      return -1;
    }
    const need = responseHeaderNeed(frameSize);
    if (need < 0) framer.fail("response frame of " + frameSize.toString() + " bytes is too short for a correlation id");
    return need;
  }

  onHeader(framer: Framer, head: Uint8Array, frameSize: i32, out: Output): Action {
    const conn = this.conn;
    if (conn.rawExchanges > 0) {
      this.raw = true;
      return Action.Collect;
    }
    const corr = readCorrelationId(head);
    conn.responseCount++;
    // The broker answers in order: this response belongs to the oldest waiting request.
    const e = conn.inFlight.peek();
    if (e == null || e.correlationId != corr) {
      conn.refuseOrder(framer, getStats().unmatchedResponses, e == null
        ? "response with correlation id " + corr.toString() + " while no request waits for one"
        : "response with correlation id " + corr.toString() + " where the oldest waiting request (" +
          apiName(e.apiKey) + ") has " + e.correlationId.toString() + "; a broker answers in order");
      return Action.Close;
    }
    conn.inFlight.pop();
    heldBudget.give(e.held);
    const info = new ResponseInfo(corr, e.apiKey, e.apiVersion, e.request, frameSize, e.note);
    if (e.aside) {
      // The handler's own request: it reads the answer (if it wants to), the client never does.
      if (conn.handler.wantsResponse(info) || conn.handler.observesResponse(info)) {
        this.current = info;
        this.currentAside = e;
        return Action.Collect;
      }
      this.sendSynthesized(e, out);
      return Action.Discard;
    }
    if (e.synthesized != null) {
      this.sendSynthesized(e, out);
      return Action.Discard;
    }
    getStats().response(e.request.apiKey);
    const wanted = conn.handler.wantsResponse(info);
    // The answer to SaslHandshake v0 is held whole: until all of it is in, what the client
    // sends cannot be told apart (raw SASL token or request).
    this.handshakeV0 = isHandshakeV0(e);
    if (wanted || this.handshakeV0) {
      this.current = wanted ? info : null;
      return Action.Collect;
    }
    if (conn.handler.observesResponse(info)) {
      this.current = info;
      return Action.Observe;
    }
    return Action.Stream;
  }

  onObservationDropped(framer: Framer): void {
    this.current = null;
    addCounter(getStats().responsesUnobserved, 1);
  }

  onObserved(framer: Framer, frame: Uint8Array): void {
    const info = this.current!;
    this.current = null;
    const v = this.conn.handler.observeResponse(frame, info);
    if (v.kind == VerdictKind.Close) {
      this.conn.handlerClosed = !v.malformed;
      framer.fail((v.malformed ? "malformed " : "policy closed the connection after a ") + apiName(info.apiKey) + " response: " + v.reason);
    }
  }

  /** The frame being collected answers a SaslHandshake v0 (conn.handshakesV0 counts it until it is whole). */
  private handshakeV0: bool = false;

  /** The entry of the frame being collected when it answers a handler's own request. */
  private currentAside: InFlight | null = null;

  /** Writes the answer the handler gave the client's request in place of the broker's, if any. */
  private sendSynthesized(e: InFlight, out: Output): void {
    const synth = e.synthesized;
    if (synth == null) return;
    getStats().response(e.request.apiKey);
    out.writeInt32(synth.length);
    out.write(synth);
    addCounter(getStats().responsesSynthesized, 1);
  }

  onFrame(framer: Framer, frame: Uint8Array, out: Output): void {
    const conn = this.conn;
    if (this.raw) {
      this.raw = false;
      const refused = conn.handler.onRawSaslAnswer(frame);
      if (refused.length > 0) {
        conn.handlerClosed = true;
        framer.fail("policy closed the connection on a raw SASL answer: " + refused);
        return;
      }
      conn.rawTokenSent = false;
      conn.rawExchanges--;
      framer.passHeld(out);
      return;
    }
    if (this.handshakeV0) {
      this.handshakeV0 = false;
      conn.handshakesV0--;
    }
    const wanted = this.current;
    if (wanted == null) { // held only for the rule above
      framer.passHeld(out);
      return;
    }
    const info = wanted;
    this.current = null;
    const v = conn.handler.onResponse(frame, info);
    const raw = conn.handler.takeRawSaslExchanges();
    if (raw < 0) {
      conn.handlerClosed = true;
      framer.fail("SaslHandshake v0 accepted for a mechanism whose raw token exchange the filter cannot follow (it knows PLAIN and SCRAM)");
      return;
    }
    conn.rawExchanges = raw;
    const aside = this.currentAside;
    if (aside != null) {
      this.currentAside = null;
      if (v.kind == VerdictKind.Close) {
        conn.handlerClosed = !v.malformed;
        framer.fail((v.malformed ? "malformed " : "policy closed the connection on a ") + apiName(info.apiKey) + " response to the filter's own request: " + v.reason);
      } else {
        // The handler answered the client from its own request's answer (Verdict.asideNote).
        const b = v.bytes;
        if (v.kind == VerdictKind.Respond && b != null && b.length >= 4 && aside.synthesized != null) aside.synthesized = b;
        this.sendSynthesized(aside, out);
      }
      return;
    }
    switch (v.kind) {
      case VerdictKind.Pass: {
        framer.passHeld(out);
        break;
      }
      case VerdictKind.Replace:
      case VerdictKind.Respond: {
        const b = v.bytes;
        if (b == null || b.length < 4) {
          conn.handlerClosed = true;
          framer.fail("handler replaced a " + apiName(info.apiKey) + " response with an invalid message");
          return;
        }
        out.writeInt32(b.length);
        out.write(b);
        addCounter(getStats().framesReplaced, 1);
        break;
      }
      default: {
        conn.handlerClosed = !v.malformed;
        framer.fail((v.malformed ? "malformed " : "policy closed the connection on a ") + apiName(info.apiKey) + " response: " + v.reason);
      }
    }
  }
}
