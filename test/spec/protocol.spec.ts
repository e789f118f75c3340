// The protocol primitives: every type round-trips, and every malformed input is reported
// (field, reason, offset) instead of trapping.

import { Reader } from "../../assembly/protocol/reader";
import { Writer, writableClientId } from "../../assembly/protocol/writer";
import { Uuid } from "../../assembly/protocol/uuid";
import { base64Decode, base64Encode } from "../../assembly/json/base64";
import { decodeUtf8 } from "../../assembly/protocol/utf8";
import { recentName } from "../../assembly/protocol/names";
import { labelName } from "../../assembly/messages/labels";
import { DescribeGroupsRequestData } from "../../assembly/messages/DescribeGroupsRequest";
import { DescribedGroup } from "../../assembly/messages/DescribeGroupsResponse";
import { PageSource, StreamedFrame, beginInPlace, endInPlace, fetchAll, inPlaceFetchedBytes, inPlaceNotYet, makeReadable, memoryPages, readableEnd } from "../../assembly/protocol/in-place";
import { firstBatchIsTransactional, summarizeBatches } from "../../assembly/protocol/records";

function bytesOf(values: Array<i32>): Uint8Array {
  const b = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) b[i] = <u8>values[i];
  return b;
}

describe("Writer and Reader", () => {
  it("round-trip every fixed-size primitive at its extremes", () => {
    const w = new Writer(4);
    w.int8(-128); w.int8(127);
    w.int16(-32768); w.int16(32767);
    w.uint16(65535);
    w.int32(i32.MIN_VALUE); w.int32(i32.MAX_VALUE);
    w.uint32(u32.MAX_VALUE);
    w.int64(i64.MIN_VALUE); w.int64(i64.MAX_VALUE);
    w.float64(-0.5); w.float64(1e300);
    w.bool(true); w.bool(false);
    w.uuid(new Uuid(0x0123456789abcdef, -2));
    const r = new Reader(w.bytes());
    expect(r.int8("a")).toBe(-128); expect(r.int8("a")).toBe(127);
    expect(r.int16("b")).toBe(-32768); expect(r.int16("b")).toBe(32767);
    expect(r.uint16("c")).toBe(65535);
    expect(r.int32("d")).toBe(i32.MIN_VALUE); expect(r.int32("d")).toBe(i32.MAX_VALUE);
    expect(r.uint32("e")).toBe(u32.MAX_VALUE);
    expect(r.int64("f")).toBe(i64.MIN_VALUE); expect(r.int64("f")).toBe(i64.MAX_VALUE);
    expect(r.float64("g")).toBe(-0.5); expect(r.float64("g")).toBe(1e300);
    expect(r.bool("h")).toBe(true); expect(r.bool("h")).toBe(false);
    const u = r.uuid("i");
    expect(u.hi).toBe(0x0123456789abcdef);
    expect(u.lo).toBe(-2);
    expect(r.failed).toBe(false);
    expect(r.remaining).toBe(0);
  });

  it("writes big-endian as Kafka does", () => {
    const w = new Writer();
    w.int32(0x01020304);
    const b = w.bytes();
    expect(b[0]).toBe(1);
    expect(b[3]).toBe(4);
  });

  it("round-trip varints, zig-zag varints and varlongs", () => {
    const w = new Writer();
    const u: Array<u32> = [0, 1, 127, 128, 16383, 16384, u32.MAX_VALUE];
    const s: Array<i32> = [0, -1, 1, -64, 63, i32.MIN_VALUE, i32.MAX_VALUE];
    const l: Array<i64> = [0, -1, 1, i64.MIN_VALUE, i64.MAX_VALUE, 1 << 40];
    for (let i = 0; i < u.length; i++) w.uvarint(u[i]);
    for (let i = 0; i < s.length; i++) w.varint(s[i]);
    for (let i = 0; i < l.length; i++) w.varlong(l[i]);
    const r = new Reader(w.bytes());
    for (let i = 0; i < u.length; i++) expect(r.uvarint("u")).toBe(u[i]);
    for (let i = 0; i < s.length; i++) expect(r.varint("s")).toBe(s[i]);
    for (let i = 0; i < l.length; i++) expect(r.varlong("l")).toBe(l[i]);
    expect(r.failed).toBe(false);
  });

  it("encodes zig-zag as Kafka's ByteUtils does", () => {
    const w = new Writer();
    w.varint(-1); // zig-zag 1
    w.varint(1);  // zig-zag 2
    w.uvarint(300); // 0xac 0x02
    const b = w.bytes();
    expect(b[0]).toBe(1);
    expect(b[1]).toBe(2);
    expect(b[2]).toBe(0xac);
    expect(b[3]).toBe(0x02);
  });

  it("round-trip strings and bytes in classic, compact and nullable forms", () => {
    const w = new Writer();
    w.string("héllo 日本", false);
    w.string("x", true);
    w.string(null, false);
    w.string(null, true);
    w.string("", true);
    w.bytesField(bytesOf([1, 2, 3]), false);
    w.bytesField(bytesOf([4]), true);
    w.bytesField(null, false);
    w.bytesField(null, true);
    const r = new Reader(w.bytes());
    expect(r.string("a", false)).toBe("héllo 日本");
    expect(r.string("b", true)).toBe("x");
    expect(r.nullableString("c", false, true)).toBeNull();
    expect(r.nullableString("d", true, true)).toBeNull();
    expect(r.string("e", true)).toBe("");
    expect(r.bytes("f", false).length).toBe(3);
    expect(r.bytes("g", true)[0]).toBe(4);
    expect(r.nullableBytes("h", false, true)).toBeNull();
    expect(r.nullableBytes("i", true, true)).toBeNull();
    expect(r.failed).toBe(false);
    expect(r.remaining).toBe(0);
  });

  // A string decoded from the wire grows when written again (U+FFFD: three bytes); its length
  // must never wrap, nor pass what Kafka reads (32,767 bytes) in either form.
  it("fails a string past 32,767 UTF-8 bytes, classic or compact, and says so", () => {
    const fits = "\uFFFD".repeat(10922) + "a"; // 32,767 bytes
    const grown = "\uFFFD".repeat(11000); // 33,000 bytes
    for (let compact = 0; compact < 2; compact++) {
      const ok = new Writer();
      ok.string(fits, compact == 1);
      expect(ok.failed).toBe(false);
      const w = new Writer();
      w.string(grown, compact == 1);
      expect(w.failed).toBe(true);
      expect(w.error.includes("33000 UTF-8 bytes do not fit an int16 length")).toBe(true);
    }
    const bytes = new Writer();
    bytes.bytesField(new Uint8Array(40000), false); // bytes have an int32 length
    expect(bytes.failed).toBe(false);
    expect(writableClientId(fits)).toBe(fits);
    expect(writableClientId(grown)).toBeNull();
    expect(writableClientId(null)).toBeNull();
  });

  it("gives bytes as a view on the frame, not a copy", () => {
    const frame = bytesOf([0, 0, 0, 2, 9, 8]);
    const v = new Reader(frame).bytes("b", false);
    frame[4] = 7;
    expect(v[0]).toBe(7);
  });
});

describe("Reader on malformed input", () => {
  it("reports a truncated fixed-size read with field and offset", () => {
    const r = new Reader(bytesOf([0, 1, 2]));
    expect(r.int32("Header.CorrelationId")).toBe(0);
    expect(r.failed).toBe(true);
    expect(r.describeError()).toBe("Header.CorrelationId: needs 4 bytes, 3 left at offset 0");
  });

  it("keeps only the first failure and returns zero values after it", () => {
    const r = new Reader(bytesOf([0, 5]));
    r.int16("first");
    r.int64("second");
    r.int64("third");
    expect(r.error).toBe("second: needs 8 bytes, 0 left");
    expect(r.errorOffset).toBe(2);
    expect(r.int32("fourth")).toBe(0);
  });

  it("refuses a varint longer than five bytes", () => {
    const r = new Reader(bytesOf([0xff, 0xff, 0xff, 0xff, 0xff, 0x01]));
    r.uvarint("v");
    expect(r.failed).toBe(true);
    expect(r.error).toBe("v: malformed varint");
  });

  it("refuses a varlong longer than ten bytes", () => {
    const r = new Reader(bytesOf([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]));
    r.varlong("v");
    expect(r.error).toBe("v: malformed varlong");
  });

  it("reads a varint's fifth byte as Kafka does: bits past the 32nd dropped, not refused", () => {
    // ByteUtils.readUnsignedVarint: result |= tmp << 28 in an int; only a continuation bit fails.
    const r = new Reader(bytesOf([0x82, 0x80, 0x80, 0x80, 0x10, 0xff, 0xff, 0xff, 0xff, 0x7f]));
    expect(r.uvarint("v")).toBe(2);
    expect(r.uvarint("w")).toBe(u32.MAX_VALUE);
    expect(r.failed).toBe(false);
  });

  it("reads a varlong's tenth byte as Kafka does: bits past the 64th dropped, not refused", () => {
    const r = new Reader(bytesOf([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7e]));
    expect(r.varlong("v")).toBe(0); // zig-zag of 0x7e << 63, which keeps no bit
    expect(r.failed).toBe(false);
  });

  it("marks a known tagged field that does not fill its size as one a broker may read on", () => {
    // Kafka's generated readers read a known tag's value and ignore its size.
    const r = new Reader(bytesOf([0, 0, 0, 7, 9]));
    const t = r.tagged(bytesOf([0, 0, 0, 7, 9]));
    t.int32("value");
    r.skip(5, "tag");
    r.absorb(t, "value");
    expect(r.error).toBe("value: 1 unread bytes in tagged field");
    expect(r.brokerMayRead).toBe(true);
    const s = new Reader(bytesOf([1]));
    s.int32("first");
    expect(s.failed).toBe(true);
    expect(s.brokerMayRead).toBe(false); // a short read Kafka makes too
  });

  it("reads any negative length as null where the field may be null, as Kafka's readers do", () => {
    const r = new Reader(bytesOf([0xff, 0xfe, 0x80, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xf0]));
    expect(r.nullableString("s", false, true)).toBeNull();
    expect(r.arrayLength("a", false, true)).toBe(-1);
    expect(r.nullableBytes("b", false, true)).toBeNull();
    expect(r.failed).toBe(false);
  });

  it("refuses a negative length where the field may not be null", () => {
    const r = new Reader(bytesOf([0xff, 0xfe, 0x41]));
    r.string("s", false);
    expect(r.error).toBe("s: negative length -2");
  });

  it("refuses null where the version does not allow it", () => {
    const r = new Reader(bytesOf([0xff, 0xff]));
    r.string("s", false);
    expect(r.error).toBe("s: null where not nullable");
  });

  it("refuses a length past the end of the frame", () => {
    const r = new Reader(bytesOf([0, 0, 0, 100, 1, 2]));
    r.bytes("b", false);
    expect(r.error).toBe("b: needs 100 bytes, 2 left");
  });

  it("refuses a huge compact length without allocating", () => {
    const r = new Reader(bytesOf([0xff, 0xff, 0xff, 0xff, 0x0f]));
    r.bytes("b", true);
    expect(r.failed).toBe(true);
  });

  it("refuses an array count larger than the bytes left", () => {
    const r = new Reader(bytesOf([0x7f, 0xff, 0xff, 0xff, 1, 2]));
    expect(r.arrayLength("a", false, false)).toBe(-1);
    expect(r.error).toBe("a: array of 2147483647 elements with only 2 bytes left");
  });

  it("refuses a tagged field whose size runs past the end", () => {
    const r = new Reader(bytesOf([1, 3, 50, 0]));
    expect(r.taggedCount("t")).toBe(1);
    expect(r.taggedField("t")).toBeNull();
    expect(r.failed).toBe(true);
  });

  it("folds a tagged field's own failure into the outer reader", () => {
    const outer = new Reader(bytesOf([1, 2, 3]));
    const inner = new Reader(bytesOf([1]));
    inner.int32("Inner.Value");
    outer.absorb(inner, "Outer.Tagged");
    expect(outer.failed).toBe(true);
    expect(outer.error).toBe("Outer.Tagged: Inner.Value: needs 4 bytes, 1 left (tagged field data offset 0)");
  });
});

describe("generated codecs' label ids (codegen/labels.ts)", () => {
  it("name the field a read failed at as \"Struct.Field\", resolved only for the report", () => {
    const r = new Reader(bytesOf([0, 0, 0, 1, 0, 5, 103]));
    new DescribeGroupsRequestData().read(r, 0);
    expect(r.describeError()).toBe("DescribeGroupsRequestData.Groups: needs 5 bytes, 1 left at offset 6");
  });

  it("name a struct's tagged fields", () => {
    const r = new Reader(bytesOf([0]));
    new DescribedGroup().read(r, 5);
    expect(r.error).toBe("DescribedGroup.ErrorCode: needs 2 bytes, 1 left");
    const t = new Reader(bytesOf([0, 0, 1, 1, 1, 1, 1, 0, 0, 0, 0, 5]));
    new DescribedGroup().read(t, 5);
    expect(t.error).toBe("DescribedGroup tagged fields: tagged field count 5 with only 0 bytes left");
  });

  it("name an id no codec has by its number", () => {
    expect(labelName(-1)).toBe("label -1");
    expect(labelName(0x7fffffff)).toBe("label 2147483647");
  });
});

/** Code units of what decodeUtf8 makes of `values`, as hex, for readable comparisons. */
function decoded(values: Array<i32>): string {
  const b = bytesOf(values);
  const s = decodeUtf8(b.dataStart, <usize>b.length);
  const units = new Array<string>();
  for (let i = 0; i < s.length; i++) units.push(s.charCodeAt(i).toString(16));
  return units.join(" ");
}

describe("strings decoded as Kafka's broker decodes them (Java's new String(bytes, UTF_8))", () => {
  it("decodes well-formed UTF-8 of every length", () => {
    expect(decoded([0x6f, 0x6b, 0x2e])).toBe("6f 6b 2e");
    expect(decoded([0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80])).toBe("e9 20ac d83d de00");
    expect(decoded([])).toBe("");
  });

  it("replaces each maximal ill-formed subpart with one U+FFFD (Unicode 15, Table 3-8's example)", () => {
    // 61 F1 80 80 E1 80 C2 62 80 63 80 BF 64 -> a FFFD FFFD FFFD b FFFD c FFFD FFFD d
    expect(decoded([0x61, 0xf1, 0x80, 0x80, 0xe1, 0x80, 0xc2, 0x62, 0x80, 0x63, 0x80, 0xbf, 0x64]))
      .toBe("61 fffd fffd fffd 62 fffd 63 fffd fffd 64");
  });

  it("never lets a bad byte swallow the bytes after it, nor a cut sequence end the string early", () => {
    expect(decoded([0x6f, 0x6b, 0xff, 0x35])).toBe("6f 6b fffd 35");       // not "ok"
    expect(decoded([0x6f, 0x6b, 0xf0, 0x73, 0x65, 0x63])).toBe("6f 6b fffd 73 65 63");
    expect(decoded([0x6f, 0x6b, 0xf0, 0x9f, 0x98])).toBe("6f 6b fffd");     // cut at the end
    expect(decoded([0xc0, 0x80])).toBe("fffd fffd");                          // overlong NUL
    expect(decoded([0xf4, 0x90, 0x80, 0x80])).toBe("fffd fffd fffd fffd");    // past U+10FFFF
  });

  it("departs from the maximal-subpart rule where Java's String does (JDK 17, checked by test/oracle/broker-reads.ts)", () => {
    expect(decoded([0xed, 0xa0, 0x80])).toBe("fffd");             // a surrogate: one, not three
    expect(decoded([0x65, 0xed, 0xa2, 0x2f])).toBe("65 fffd 2f");   // ED A2 then no continuation: one for both
    expect(decoded([0xed, 0xab])).toBe("fffd");                   // cut by the end: one for what is left
    expect(decoded([0xe0, 0x80])).toBe("fffd fffd");              // overlong at the end: as the rule says
    expect(decoded([0xf0, 0x90, 0x41])).toBe("fffd 41");
  });

  it("is what the Reader gives for string fields", () => {
    const r = new Reader(bytesOf([0, 4, 0x6f, 0x6b, 0xff, 0x35]));
    expect(r.string("Test.Name", false)).toBe("ok\uFFFD5");
    expect(r.failed).toBe(false);
  });
});

function utf8Of(s: string): Uint8Array { return Uint8Array.wrap(String.UTF8.encode(s)); }

function recent(b: Uint8Array): string { return recentName(b.dataStart, <usize>b.length); }

describe("names seen recently (protocol/names.ts)", () => {
  it("gives the string decoded earlier from the same bytes, wherever they lie", () => {
    const a = recent(utf8Of("orders.eu"));
    const b = recent(utf8Of("orders.eu")); // other memory, same bytes
    expect(b).toBe("orders.eu");
    expect(changetype<usize>(b)).toBe(changetype<usize>(a));
  });

  it("decodes again when the bytes at the same place change", () => {
    const buf = utf8Of("topic-a");
    expect(recent(buf)).toBe("topic-a");
    buf[6] = 0x62;
    expect(recent(buf)).toBe("topic-b");
    buf[6] = 0xff;
    expect(recent(buf)).toBe("topic-\uFFFD");
  });

  it("is decodeUtf8's string for every name, however many share a slot", () => {
    // Far more names than slots: every slot is taken over several times.
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 2000; i++) {
        const b = utf8Of("t." + i.toString() + (i % 7 == 0 ? "\u00e9" : ""));
        expect(recent(b)).toBe(decodeUtf8(b.dataStart, <usize>b.length));
      }
    }
    const bad = bytesOf([0x6f, 0x6b, 0xf0, 0x9f, 0x98]);
    expect(recent(bad)).toBe(decodeUtf8(bad.dataStart, <usize>bad.length));
    expect(recent(bad)).toBe("ok\uFFFD");
    expect(recent(new Uint8Array(0))).toBe("");
  });

  it("decodes names longer than a slot every time, whole", () => {
    const long = "x".repeat(300);
    const a = recent(utf8Of(long));
    const b = recent(utf8Of(long));
    expect(b).toBe(long);
    expect(changetype<usize>(b) != changetype<usize>(a)).toBe(true);
  });
});

describe("Uuid and base64", () => {
  it("print a Uuid as Kafka does and parse it back", () => {
    expect(Uuid.ZERO.toString()).toBe("AAAAAAAAAAAAAAAAAAAAAA");
    const u = new Uuid(-1, 0x0102030405060708);
    const back = Uuid.parse(u.toString())!;
    expect(back.equals(u)).toBe(true);
    expect(Uuid.parse("not a uuid")).toBeNull();
  });

  it("round-trip base64 of every length and reject bad text", () => {
    for (let n = 0; n < 8; n++) {
      const b = new Uint8Array(n);
      for (let i = 0; i < n; i++) b[i] = <u8>(i * 37 + 200);
      const back = base64Decode(base64Encode(b))!;
      expect(back.length).toBe(n);
      for (let i = 0; i < n; i++) expect(back[i]).toBe(b[i]);
    }
    expect(base64Encode(bytesOf([0xfb, 0xff]))).toBe("+/8=");
    expect(base64Decode("a$bc")).toBeNull();
    expect(base64Decode("abcde")).toBeNull();
  });
});

/** Envoy's buffer for the in-place tests: copies from `host`, records each fetch, fails past `failFrom`. */
class HostBytes extends PageSource {
  fetches: Array<u32> = new Array<u32>(); // offset, length pairs
  failFrom: u32 = u32.MAX_VALUE;
  constructor(readonly host: Uint8Array) { super(); }
  fetch(offset: u32, length: u32, into: usize): bool {
    if (offset + length > this.failFrom) return false;
    this.fetches.push(offset);
    this.fetches.push(length);
    memory.copy(into, this.host.dataStart + <usize>offset, <usize>length);
    return true;
  }
}

/** A frame of `size` bytes in `host`, laid out in place over `vm` (poisoned with 0xff), its first `prefix` bytes there. */
function inPlaceOver(host: Uint8Array, vm: Uint8Array, prefix: u32): HostBytes {
  vm.fill(0xff);
  memory.copy(vm.dataStart, host.dataStart, <usize>prefix);
  const source = new HostBytes(host);
  beginInPlace(vm.dataStart, <u32>vm.length, source, prefix);
  return source;
}

// A classic records value: int32 length, then a 100 KiB batch, then an int32 after it.
function frameWithBatch(): Uint8Array {
  const w = new Writer(16);
  const records = new Uint8Array(100 * 1024);
  const batch = new DataView(records.buffer);
  batch.setInt32(8, records.length - 12);
  records[16] = 2; // magic
  batch.setInt16(21, 0x10); // transactional
  batch.setInt32(57, 7); // records
  w.bytesField(records, false);
  w.int32(123456789);
  return w.bytes();
}

/** A 10,000-byte frame whose byte i is i & 0xff, laid out in `vm` (poisoned) as a StreamedFrame. */
function streamedOver(host: Uint8Array, vm: Uint8Array): StreamedFrame {
  for (let i = 0; i < host.length; i++) host[i] = <u8>i;
  vm.fill(0xff);
  const f = new StreamedFrame();
  f.begin(vm.dataStart, <u32>vm.length);
  return f;
}

/** The frame's bytes [from, to) arrive: the current read. */
function arrive(f: StreamedFrame, host: Uint8Array, from: u32, to: u32): bool {
  return f.resume(memoryPages(host.dataStart + <usize>from), from, to);
}

describe("a frame read as it arrives over several reads (protocol/in-place.ts StreamedFrame)", () => {
  it("says \"not yet\" past what arrived, and keeps the page a read ends inside", () => {
    const host = new Uint8Array(10000), vm = new Uint8Array(10000);
    const f = streamedOver(host, vm);
    expect(arrive(f, host, 0, 5000)).toBe(true);
    expect(makeReadable(vm.dataStart + 100, 10)).toBe(true); // page 0 lies whole in this read
    expect(vm[105]).toBe(105);
    expect(makeReadable(vm.dataStart + 4100, 10)).toBe(false); // page 1 ends after byte 5000
    expect(inPlaceNotYet()).toBe(true);
    expect(f.gone).toBe(false);
    expect(f.endRead(false)).toBe(true); // a read waits for page 1: keeps [4096, 5000)
    endInPlace();
    expect(arrive(f, host, 5000, 10000)).toBe(true); // completes page 1 from this read
    expect(makeReadable(vm.dataStart + 4100, 10)).toBe(true);
    expect(vm[4105]).toBe(<u8>4105);
    expect(vm[5005]).toBe(<u8>5005);
    expect(inPlaceNotYet()).toBe(false);
    endInPlace();
  });

  it("fails, without trapping, a read of a page that went by unread", () => {
    const host = new Uint8Array(10000), vm = new Uint8Array(10000);
    const f = streamedOver(host, vm);
    expect(arrive(f, host, 0, 9000)).toBe(true);
    expect(f.endRead(true)).toBe(true);
    endInPlace();
    expect(arrive(f, host, 9000, 10000)).toBe(true);
    expect(makeReadable(vm.dataStart + 4100, 10)).toBe(false); // page 1 lay whole in the first read
    expect(f.gone).toBe(true);
    expect(inPlaceNotYet()).toBe(false);
    expect(vm[4100]).toBe(0xff);
    expect(makeReadable(vm.dataStart + 8192, 1808)).toBe(true); // page 2: kept, completed now
    expect(vm[8200]).toBe(<u8>8200);
    expect(vm[9999]).toBe(<u8>9999);
    endInPlace();
  });

  it("keeps nothing of the page a read ends inside when no read waits for it", () => {
    const host = new Uint8Array(10000), vm = new Uint8Array(10000);
    const f = streamedOver(host, vm);
    expect(arrive(f, host, 0, 5000)).toBe(true);
    expect(makeReadable(vm.dataStart + 8200, 10)).toBe(false); // waits for page 2, after page 1
    expect(inPlaceNotYet()).toBe(true);
    expect(f.endRead(false)).toBe(true);
    expect(inPlaceFetchedBytes()).toBe(0); // no host read for [4096, 5000)
    endInPlace();
    expect(arrive(f, host, 5000, 10000)).toBe(true); // nothing of page 1 to complete
    expect(inPlaceFetchedBytes()).toBe(0);
    expect(makeReadable(vm.dataStart + 8200, 10)).toBe(true);
    expect(vm[8205]).toBe(<u8>8205);
    // A walk that read page 1 after waiting for page 2 would not be reading forward: refused,
    // without trapping, as bytes gone by.
    expect(makeReadable(vm.dataStart + 4100, 10)).toBe(false);
    expect(f.gone).toBe(true);
    expect(vm[4100]).toBe(0xff);
    endInPlace();
  });

  it("a Reader past what arrived fails \"not yet\", with no message built for it", () => {
    const host = new Uint8Array(10000), vm = new Uint8Array(10000);
    const f = streamedOver(host, vm);
    expect(arrive(f, host, 0, 5000)).toBe(true);
    const r = new Reader(vm, 8000);
    expect(r.int32("x")).toBe(0);
    expect(r.failed).toBe(true);
    expect(inPlaceNotYet()).toBe(true);
    expect(r.error).toBe("bytes not arrived yet");
    expect(f.endRead(false)).toBe(true);
    endInPlace();
  });

  it("tells the reads a walk would stop in where it stopped last, and keeps the page it waits for", () => {
    const host = new Uint8Array(10000), vm = new Uint8Array(10000);
    const f = streamedOver(host, vm);
    expect(arrive(f, host, 0, 5000)).toBe(true);
    expect(f.waitsStill()).toBe(false); // no walk yet
    f.beginWalk();
    expect(makeReadable(vm.dataStart + 100, 10)).toBe(true);
    expect(makeReadable(vm.dataStart + 8200, 10)).toBe(false); // waits for page 2
    expect(f.endRead(false)).toBe(true);
    endInPlace();
    expect(arrive(f, host, 5000, 8000)).toBe(true);
    expect(f.waitsStill()).toBe(true); // page 2 starts at 8192
    expect(f.endRead(false)).toBe(true); // ends inside page 1, which nothing waits for
    expect(inPlaceFetchedBytes()).toBe(0);
    endInPlace();
    expect(arrive(f, host, 8000, 9000)).toBe(true);
    expect(f.waitsStill()).toBe(true); // page 2 ends at 10000
    expect(f.endRead(false)).toBe(true); // ends inside page 2, still waited for: keeps [8192, 9000)
    expect(inPlaceFetchedBytes()).toBe(808);
    endInPlace();
    expect(arrive(f, host, 9000, 10000)).toBe(true); // completes page 2
    expect(f.waitsStill()).toBe(false);
    f.beginWalk();
    expect(makeReadable(vm.dataStart + 100, 10)).toBe(true); // read by the first walk
    expect(makeReadable(vm.dataStart + 8200, 1800)).toBe(true);
    expect(vm[8200]).toBe(<u8>8200);
    expect(vm[9999]).toBe(<u8>9999);
    expect(f.gone).toBe(false);
    endInPlace();
  });

  it("keeps every byte of a page spread over reads smaller than a page", () => {
    const host = new Uint8Array(10000), vm = new Uint8Array(10000);
    const f = streamedOver(host, vm);
    for (let at: u32 = 0; at < 10000; at += 1000) {
      expect(arrive(f, host, at, min(at + 1000, 10000))).toBe(true);
      expect(f.endRead(true)).toBe(true);
      endInPlace();
    }
    expect(arrive(f, host, 10000, 10000)).toBe(true);
    expect(makeReadable(vm.dataStart, 10000)).toBe(true);
    for (let i = 0; i < 10000; i++) if (vm[i] != <u8>i) expect(i).toBe(-1);
    endInPlace();
  });
});

describe("Reader over a frame decided in place (protocol/in-place.ts)", () => {
  it("fetches what is read, never what a bytes value skips over", () => {
    const host = frameWithBatch();
    const vm = new Uint8Array(host.length);
    const source = inPlaceOver(host, vm, 4096);
    const r = new Reader(vm);
    const n = r.skipValue("records", false, false, true);
    expect(n).toBe(100 * 1024);
    expect(source.fetches.length).toBe(0); // the length was there; the value was skipped
    expect(r.int32("after")).toBe(123456789);
    expect(r.failed).toBe(false);
    // One fetch: the last page, up to the end of the frame.
    expect(source.fetches.length).toBe(2);
    expect(source.fetches[0] + source.fetches[1]).toBe(<u32>host.length);
    expect(inPlaceFetchedBytes()).toBeLessThan(12288);
    // The batch header is read through records.ts, which fetches it.
    const s = summarizeBatches(vm, 4, 4 + n);
    expect(s.error).toBe("");
    expect(s.batches).toBe(1);
    expect(s.records).toBe(7);
    expect(s.transactional).toBe(true);
    expect(firstBatchIsTransactional(vm, 4, 4 + n)).toBe(true);
    // The middle of the batch was never fetched.
    const middle = vm.dataStart + 50 * 1024;
    expect(readableEnd(middle, middle + 10)).toBe(middle);
    expect(vm[50 * 1024]).toBe(0xff);
    endInPlace();
    expect(readableEnd(middle, middle + 10)).toBe(middle + 10);
  });

  it("reads a bytes value as a view, fetched only when a Writer copies it", () => {
    const host = frameWithBatch();
    const vm = new Uint8Array(host.length);
    const source = inPlaceOver(host, vm, 4096);
    const r = new Reader(vm);
    const records = r.bytes("records", false);
    expect(records.length).toBe(100 * 1024);
    expect(r.failed).toBe(false);
    expect(source.fetches.length).toBe(0); // a view of bytes not read yet
    const w = new Writer(16);
    w.bytesField(records, false);
    expect(w.failed).toBe(false);
    const out = w.bytes();
    for (let i = 0; i < out.length; i++) if (out[i] != host[i]) expect(i).toBe(-1);
    endInPlace();
  });

  it("fails a Writer's copy, not the VM, when the host does not give a bytes value", () => {
    const host = frameWithBatch();
    const vm = new Uint8Array(host.length);
    const source = inPlaceOver(host, vm, 4096);
    source.failFrom = 8192;
    const records = new Reader(vm).bytes("records", false);
    const w = new Writer(16);
    w.bytesField(records, false);
    expect(w.failed).toBe(true);
    expect(w.error.includes("the host's buffer did not give")).toBe(true);
    endInPlace();
  });

  it("fetches only the pages missing from a range, and everything for a whole copy", () => {
    const host = frameWithBatch();
    const vm = new Uint8Array(host.length);
    const source = inPlaceOver(host, vm, 4096);
    expect(makeReadable(vm.dataStart + 100, 3996)).toBe(true);
    expect(source.fetches.length).toBe(0);
    expect(makeReadable(vm.dataStart + 4000, 200)).toBe(true); // the first page is there: from the second on
    expect(source.fetches[0]).toBe(4096);
    expect(fetchAll()).toBe(true);
    for (let i = 0; i < host.length; i++) if (vm[i] != host[i]) expect(i).toBe(-1);
    endInPlace();
  });

  it("fails the read, not the VM, when the host does not give the bytes", () => {
    const host = frameWithBatch();
    const vm = new Uint8Array(host.length);
    const source = inPlaceOver(host, vm, 4);
    source.failFrom = 1000;
    const r = new Reader(vm);
    r.skipValue("records", false, false, true);
    expect(r.int32("after")).toBe(0);
    expect(r.failed).toBe(true);
    expect(r.error.includes("the host's buffer did not give")).toBe(true);
    const s = summarizeBatches(vm, 4, host.length - 4);
    expect(s.error.includes("could not be read from the host's buffer")).toBe(true);
    expect(firstBatchIsTransactional(vm, 4, host.length - 4)).toBe(false);
    endInPlace();
  });

  it("reads memory outside the frame in place as any other", () => {
    const host = frameWithBatch();
    const vm = new Uint8Array(host.length);
    const source = inPlaceOver(host, vm, 4);
    const other = bytesOf([0, 0, 0, 42]);
    expect(new Reader(other).int32("x")).toBe(42);
    expect(source.fetches.length).toBe(0);
    endInPlace();
  });
});
