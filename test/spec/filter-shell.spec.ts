// The shell's own rules: which requests the broker answers (Produce acks), responses matched
// by position with nothing ever dropped, and wire values made safe for log lines.

import { requestHeaderNeed, readRequestHeader, HeaderError } from "../../assembly/filter/header";
import { InFlight, InFlightQueue } from "../../assembly/filter/inflight";
import { RequestHeader } from "../../assembly/filter/seam";
import { printable, writeUtf8 } from "../../assembly/runtime/host";
import { ProduceRequestData } from "../../assembly/messages/ProduceRequest";
import { requestBytes } from "./support/enforce";

/** A Produce frame (without size prefix) at `version` with `acks` and a transactional id. */
function produce(version: i16, acks: i16, transactionalId: string | null): Uint8Array {
  const p = new ProduceRequestData();
  p.acks = acks;
  p.transactionalId = transactionalId;
  return requestBytes(0, version, p);
}

/** Feeds `frame` to requestHeaderNeed as the framer does: more bytes until it is satisfied. */
function headerOf(frame: Uint8Array): RequestHeader | null {
  let have = 0;
  for (let i = 0; i < 100; i++) {
    const need = requestHeaderNeed(frame.subarray(0, have), frame.length);
    if (need < 0) return null;
    if (need <= have) return readRequestHeader(frame.subarray(0, have), frame.length);
    have = need;
  }
  return null;
}

describe("which requests the broker answers", () => {
  it("reads Produce acks at every version, through transactional ids and tagged header fields", () => {
    for (let v: i16 = 3; v <= 13; v++) {
      const zero = headerOf(produce(v, 0, "txn-id-" + v.toString()));
      expect(zero).not.toBeNull();
      expect(zero!.expectsResponse).toBe(false, "acks=0 at v" + v.toString());
      const all = headerOf(produce(v, -1, null));
      expect(all!.expectsResponse).toBe(true, "acks=-1 at v" + v.toString());
    }
  });

  it("refuses a Produce whose transactional id claims more than the frame holds", () => {
    const f = produce(5, 1, "abc");
    // transactional_id length sits right after the client id (empty here: 10 + 2 bytes in)
    const clientIdLen = (<i32>f[8] << 8) | <i32>f[9];
    const at = 10 + clientIdLen;
    f[at] = 0x7f;
    f[at + 1] = 0xff;
    expect(requestHeaderNeed(f, f.length)).toBe(HeaderError.BadProduceHeader);
  });

  it("expects an answer to every other request", () => {
    const h = headerOf(requestBytes(3, 12, new ProduceRequestData()));
    expect(h).not.toBeNull();
    expect(h!.expectsResponse).toBe(true);
  });
});

describe("in-flight requests", () => {
  it("matches by position and never drops an entry: a full queue refuses the next", () => {
    const q = new InFlightQueue(3);
    const h = new RequestHeader(3, 12, 7, null, 10, 20);
    expect(q.push(new InFlight(7, 3, 12, h))).toBe(true);
    expect(q.push(new InFlight(7, 3, 12, h))).toBe(true); // a reused id is just another entry
    expect(q.push(new InFlight(9, 3, 12, h))).toBe(true);
    expect(q.push(new InFlight(10, 3, 12, h))).toBe(false);
    expect(q.size).toBe(3);
    expect(q.peek()!.correlationId).toBe(7);
    q.pop();
    q.pop();
    expect(q.peek()!.correlationId).toBe(9);
    q.pop();
    expect(q.peek()).toBeNull();
    expect(q.push(new InFlight(11, 3, 12, h))).toBe(true);
  });
});

describe("wire values in log lines", () => {
  it("escapes control characters so that no value starts a line of its own", () => {
    expect(printable("plain-client")).toBe("plain-client");
    expect(printable("a\nb")).toBe("a\\x0ab");
    expect(printable("x\r\n2026 authenticated User:admin")).toBe("x\\x0d\\x0a2026 authenticated User:admin");
    expect(printable("t\x00\x1b[31m")).toBe("t\\x00\\x1b[31m");
    expect(printable("back\\slash")).toBe("back\\\\slash");
    expect(printable("del\x7f c1\u0085 ls\u2028")).toBe("del\\x7f c1\\x85 ls\\u2028");
    expect(printable(null)).toBe("null");
  });

  it("writes lines as the standard library encodes them: ASCII four units at a time, the rest from the first unit that is not", () => {
    const cases = ["", "a", "abc", "abcd", "abcde", "kafka filter: denied Produce principal=User:alice",
      "é", "abcé", "abcdé", "clïent-😀-x", "😀abcdefgh", "abcd\u{1F600}efgh", "lone \ud800 high", "lone \udc00 low", "abc\ud800",
      "\u0085\u2028 wide", "x".repeat(37) + "ü" + "y".repeat(9)];
    const out = new ArrayBuffer(512);
    for (let i = 0; i < cases.length; i++) {
      const s = unchecked(cases[i]);
      const want = Uint8Array.wrap(String.UTF8.encode(s));
      const n = <i32>writeUtf8(s, changetype<usize>(out) + 3); // unaligned, as after a part of odd length
      expect(n).toBe(want.length, s);
      const got = Uint8Array.wrap(out, 3, n);
      for (let k = 0; k < n; k++) expect(got[k]).toBe(want[k], s);
    }
  });

  it("caps long values and says how much was left out", () => {
    const long = "x".repeat(32768);
    const p = printable(long, 200);
    expect(p.startsWith("x".repeat(200) + "...(")).toBe(true);
    expect(p).toBe("x".repeat(200) + "...(32568 more chars)");
  });
});
