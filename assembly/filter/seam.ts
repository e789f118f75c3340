// The seam between the filter shell (framing, correlation, stats, Envoy buffers) and what
// decides about Kafka messages (the generated codecs and the policy built on them).
//
// Per connection the shell creates one KafkaHandler through the registered factory. For each
// request it reads the request header and asks `wantsRequest(header)`:
//   false -> the frame streams through untouched as its bytes arrive (no buffering);
//   true  -> the shell buffers the whole frame and calls `onRequest(frame, header)`, whose
//            Verdict says what to send on in its place.
// A response the handler only learns from goes on as it arrives when `observesResponse(info)`
// (and not wantsResponse): `observeResponse(frame, info)` sees it once whole, or, when the
// handler `learnsAsItStreams(info)` and it is large, `observeStreamed(frame, info)` reads it
// as it arrives, from memory that holds only what was read of it (protocol/in-place.ts).
// Responses likewise with `wantsResponse(info)` / `onResponse(frame, info)`, where `info`
// carries the api key and version of the request it answers (matched by position: a broker
// answers in order) and the RequestNote the handler's verdict left with that request. State
// that a response may change (the principal, learnt topic ids, a rewrite) must come from that
// note, never from anything keyed by a correlation id the client chose.
//
// `frame` is the Kafka message after the 4-byte size prefix: the request or response header
// followed by the body, exactly as received. It is a view into the shell's buffer, valid only
// during the call: copy what must outlive it. Replacement bytes are given the same way,
// without size prefix: the shell writes the prefix.

export class RequestHeader {
  constructor(
    public apiKey: i16,
    public apiVersion: i16,
    public correlationId: i32,
    /** null for a null client id (and for header v0, which has none). */
    public clientId: string | null,
    /** Offset in the frame just after client_id: flexible versions (header v2) put tagged fields here. */
    public clientIdEnd: i32,
    /** Size of the whole frame without the 4-byte prefix. */
    public frameSize: i32,
    /** False only for Produce with acks=0, which the broker never answers. */
    public expectsResponse: bool = true,
  ) {}
}

/**
 * What a handler leaves with a request for the response that answers it. The shell keeps it
 * in the request's in-flight entry and hands it back with exactly that response.
 */
export class RequestNote {
  /**
   * About how much memory this note keeps until the answer comes (counted in
   * filter.maxBufferedBytes while the request waits), for a request frame of `frameSize` bytes.
   * What a check leaves for the response (refused entries to merge into the broker's answer,
   * names to cut) grows with what the request named, in objects larger than their bytes: a
   * Metadata request of 40,000 refused names (1.2 MB) kept about 9 MB.
   */
  keeps(frameSize: i32): i64 { return <i64>frameSize * 8; }
}

export class ResponseInfo {
  constructor(
    public correlationId: i32,
    /** Api key and version of the request sent upstream (what the broker answers). */
    public apiKey: i16,
    public apiVersion: i16,
    /** The header of the request the client sent (differs from apiKey/apiVersion only after a Replace). */
    public request: RequestHeader,
    /** Size of the whole frame without the 4-byte prefix. */
    public frameSize: i32,
    /** What the handler's verdict on the request left for this response. */
    public note: RequestNote | null = null,
  ) {}
}

export const enum VerdictKind {
  /** Send the frame on as received. */
  Pass = 0,
  /** Send `bytes` (a whole message without size prefix) on instead of the frame. */
  Replace = 1,
  /**
   * Requests only: do not forward the request; answer the client with `bytes` (a whole
   * response message without size prefix, starting with the response header carrying the
   * request's correlation id), in order with the other responses on the connection. The
   * shell keeps `bytes` until the answer goes out: the handler must not write to them again.
   */
  Respond = 2,
  /** Close the client connection, logging `reason`. */
  Close = 3,
  /**
   * Requests only: the handler cannot decide yet (it asked an external service). The frame
   * and everything after it wait, unread, in Envoy's buffer until the handler calls
   * resumeRequests(connectionId); then onRequest is called again with the same frame.
   */
  Wait = 4,
}

export class Verdict {
  constructor(
    public kind: VerdictKind,
    public bytes: Uint8Array | null = null,
    public reason: string = "",
    /** For Close: the frame did not decode (counted in kafka.decode_errors). */
    public malformed: bool = false,
    /** For requests that go upstream (Pass, Replace): handed back with their response. */
    public note: RequestNote | null = null,
    /**
     * Requests only (not Close): a request of the handler's own (a whole message without size
     * prefix) sent upstream just before what this verdict sends. Its answer is handed to
     * onResponse (note null) and never reaches the client. With Respond it is the request
     * that keeps the broker's answers in order, so the client's answer follows it.
     */
    public aside: Uint8Array | null = null,
    /**
     * Handed back with the answer to `aside`. With Respond, the handler may answer the client
     * from it: a Respond verdict on that answer replaces the client's answer given here.
     */
    public asideNote: RequestNote | null = null,
  ) {}

  /** This verdict with `note` attached (the shared Pass verdict is not changed). */
  withNote(note: RequestNote | null): Verdict {
    if (note == null || this.kind == VerdictKind.Respond || this.kind == VerdictKind.Close) return this;
    return new Verdict(this.kind, this.bytes, this.reason, this.malformed, note, this.aside, this.asideNote);
  }

  /** This verdict with the handler's own request `aside` sent before it (see `aside`, `asideNote`). */
  withAside(aside: Uint8Array | null, note: RequestNote | null = null): Verdict {
    if (aside == null || this.kind == VerdictKind.Close) return this;
    return new Verdict(this.kind, this.bytes, this.reason, this.malformed, this.note, aside, note);
  }

  static pass(): Verdict { return PASS; }
  static replace(bytes: Uint8Array): Verdict { return new Verdict(VerdictKind.Replace, bytes); }
  static respond(bytes: Uint8Array): Verdict { return new Verdict(VerdictKind.Respond, bytes); }
  static close(reason: string): Verdict { return new Verdict(VerdictKind.Close, null, reason); }
  /**
   * Requests only: close, as Kafka's broker closes on a request it cannot answer (a refused
   * Produce with acks=0), once the requests before this one are answered. Nothing from the
   * client goes on after it.
   */
  static closeOnceAnswered(reason: string): Verdict {
    const v = new Verdict(VerdictKind.Close, null, reason);
    v.onceAnswered = true;
    return v;
  }
  /** See closeOnceAnswered. */
  onceAnswered: bool = false;
  static wait(): Verdict { return WAIT; }
  /** Close because the frame is malformed (e.g. its body does not decode). */
  static malformed(reason: string): Verdict { return new Verdict(VerdictKind.Close, null, reason, true); }
}

const PASS = new Verdict(VerdictKind.Pass);
const WAIT = new Verdict(VerdictKind.Wait);

/** Default behaviour of every hook: look at nothing, pass everything. */
export class KafkaHandler {
  wantsRequest(header: RequestHeader): bool { return false; }
  onRequest(frame: Uint8Array, header: RequestHeader): Verdict { return Verdict.pass(); }
  wantsResponse(info: ResponseInfo): bool { return false; }
  onResponse(frame: Uint8Array, info: ResponseInfo): Verdict { return Verdict.pass(); }
  observesResponse(info: ResponseInfo): bool { return false; }
  /**
   * An observed response, whole (its bytes went on already): Pass, or Close to close the
   * connection after it.
   */
  observeResponse(frame: Uint8Array, info: ResponseInfo): Verdict { return Verdict.pass(); }
  /** Whether observeStreamed can read this observed response while it arrives. */
  learnsAsItStreams(info: ResponseInfo): bool { return false; }
  /**
   * An observed response read while it arrives, after each read: `frame` is laid out at its
   * full size, its bytes fetched as they are read, and reads past what has arrived fail (the
   * walk is run again from the start at the next read). Null while it needs bytes not arrived
   * yet; else what observeResponse would answer for the whole frame.
   */
  observeStreamed(frame: Uint8Array, info: ResponseInfo): Verdict | null { return this.observeResponse(frame, info); }
  /** What the last observeStreamed walked (entities and record batches): its cost, for the shell's bound. */
  streamedWork(): i32 { return 0; }

  // Raw SASL: after an accepted SaslHandshake v0, Kafka reads the mechanism's tokens as bare
  // size-prefixed frames and answers each the same way, until the exchange completes. The
  // shell frames them as such (nothing else may be sent meanwhile) and passes them on.

  /**
   * Asked after each response onResponse saw: how many raw token exchanges follow it (0 for
   * none; -1 when they do but their number is unknown, and the shell closes).
   */
  takeRawSaslExchanges(): i32 { return 0; }
  /** A raw token from the client (a view valid during the call). */
  onRawSaslToken(token: Uint8Array): void {}
  /**
   * The broker's answer to the latest raw token (a view valid during the call): "" to pass it
   * on, else why the connection closes instead (the broker signed in someone the policy cannot
   * name).
   */
  onRawSaslAnswer(answer: Uint8Array): string { return ""; }

  /** The connection is gone; no hook is called after this. */
  onClose(): void {}
}

/** Resumes a connection whose request got Verdict.wait(); set by the shell. */
export type Resumer = (connectionId: u32) => void;

function noResumer(connectionId: u32): void {}

let resumer: Resumer = noResumer;

export function setResumer(r: Resumer): void { resumer = r; }

/**
 * The answer a waiting request of connection `connectionId` needed has come: its frame is
 * offered to onRequest again (after the current host callback returns). Harmless when the
 * connection is gone or waits no more.
 */
export function resumeRequests(connectionId: u32): void { resumer(connectionId); }
