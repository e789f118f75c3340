// CIDR host patterns in ACLs, as Kafka 4.4 reads them (StandardAuthorizerData.findResult: a
// host that is neither "*" nor the client's address applies when CidrUtils.isInRange says so;
// the controller refuses a pattern with "/" that CidrUtils.validate refuses). CidrUtils uses
// commons-net: SubnetUtils for IPv4 ("a.b.c.d/n": one to three decimal digits each, at most
// 255, n at most 32; the network and broadcast addresses included, but never 0.0.0.0) and
// SubnetUtils6 for a pattern with ":" (InetAddress.getByName's IPv6 literal, which must not be
// IPv4-mapped, then a prefix of 0 to 128). The client's address is Java's getHostAddress, as
// the filter prints it (enforce/handler.ts hostOf): an IPv4-mapped client is IPv4.

/** A parsed range: IPv4 in `low` (32 bits), IPv6 in `high`:`low`, the first `prefix` bits its network's. */
export class CidrRange {
  constructor(readonly v6: bool, readonly high: u64, readonly low: u64, readonly prefix: i32) {}

  /** Whether `host` (an address as Java prints it) is in the range; an address of the other family never is. */
  contains(host: string): bool {
    if (!this.v6) {
      const a = parseIpv4(host, 0, host.length);
      // SubnetUtils.SubnetInfo.isInRange(int): 0.0.0.0 is in no range.
      if (a <= 0) return false;
      return sameNetwork(<u64>a << 32, 0, this.low << 32, 0, this.prefix);
    }
    const scope = host.indexOf("%");
    const at = parseIpv6(host, 0, scope >= 0 ? scope : host.length);
    if (at == null) return false;
    return sameNetwork(at.high, at.low, this.high, this.low, this.prefix);
  }
}

/** The range `pattern` names, or null when Kafka's CidrUtils.validate would refuse it. */
export function parseCidr(pattern: string): CidrRange | null {
  const slash = pattern.indexOf("/");
  if (slash < 0) return null;
  if (pattern.indexOf(":") < 0) {
    // SubnetUtils' CIDR_PATTERN: the prefix one or two digits.
    const n = pattern.length - slash - 1;
    if (n < 1 || n > 2 || !digits(pattern, slash + 1, pattern.length)) return null;
    const prefix = I32.parseInt(pattern.substring(slash + 1));
    const a = parseIpv4(pattern, 0, slash);
    if (a < 0 || prefix > 32) return null;
    return new CidrRange(false, 0, <u64>a, prefix);
  }
  // SubnetUtils6: Integer.parseInt of what follows the first "/" (a "+" allowed), 0 to 128.
  let p = slash + 1;
  if (p < pattern.length && pattern.charCodeAt(p) == 0x2b) p++;
  if (p >= pattern.length || pattern.length - p > 9 || !digits(pattern, p, pattern.length)) return null;
  const prefix = I32.parseInt(pattern.substring(p));
  // A scope ("%eth0") names an interface of the broker's host: not taken here.
  if (prefix > 128 || pattern.substring(0, slash).indexOf("%") >= 0) return null;
  let start = 0, end = slash;
  if (end - start >= 2 && pattern.charCodeAt(start) == 0x5b && pattern.charCodeAt(end - 1) == 0x5d) { start++; end--; }
  const at = parseIpv6(pattern, start, end);
  if (at == null) return null;
  return new CidrRange(true, at.high, at.low, prefix);
}

function sameNetwork(aHigh: u64, aLow: u64, bHigh: u64, bLow: u64, prefix: i32): bool {
  if (prefix == 0) return true;
  if (prefix <= 64) {
    const mask = prefix == 64 ? u64.MAX_VALUE : ~(u64.MAX_VALUE >> <u64>prefix);
    return (aHigh & mask) == (bHigh & mask);
  }
  const mask = prefix == 128 ? u64.MAX_VALUE : ~(u64.MAX_VALUE >> <u64>(prefix - 64));
  return aHigh == bHigh && (aLow & mask) == (bLow & mask);
}

function digits(s: string, from: i32, to: i32): bool {
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return from < to;
}

/** SubnetUtils' ADDRESS_PATTERN: four groups of one to three decimal digits, each at most 255; -1 if not. */
function parseIpv4(s: string, from: i32, to: i32): i64 {
  let value: i64 = 0;
  let part = 0;
  let start = from;
  for (let i = from; i <= to; i++) {
    if (i < to && s.charCodeAt(i) != 0x2e) continue;
    if (i - start < 1 || i - start > 3 || !digits(s, start, i)) return -1;
    const n = I32.parseInt(s.substring(start, i));
    if (n > 255) return -1;
    value = (value << 8) | n;
    part++;
    start = i + 1;
  }
  return part == 4 ? value : -1;
}

class Ipv6 {
  constructor(readonly high: u64, readonly low: u64) {}
}

/**
 * An IPv6 literal as InetAddress.getByName reads one: groups of one to four hex digits, one
 * "::" for a run of zero groups, a dotted IPv4 address as the last 32 bits; null when it does
 * not read, or when it is IPv4-mapped (Java makes that an Inet4Address, which SubnetUtils6 refuses).
 */
function parseIpv6(s: string, from: i32, to: i32): Ipv6 | null {
  const groups = new StaticArray<u32>(8);
  let n = 0;
  let gap = -1; // where "::" stands, in groups
  let i = from;
  if (to - from >= 2 && s.charCodeAt(i) == 0x3a && s.charCodeAt(i + 1) == 0x3a) {
    gap = 0;
    i += 2;
  } else if (i < to && s.charCodeAt(i) == 0x3a) {
    return null;
  }
  while (i < to) {
    let j = i;
    while (j < to && s.charCodeAt(j) != 0x3a && s.charCodeAt(j) != 0x2e) j++;
    if (j < to && s.charCodeAt(j) == 0x2e) {
      // The last 32 bits as a dotted IPv4 address.
      const v4 = parseIpv4(s, i, to);
      if (v4 < 0 || n > 6) return null;
      groups[n++] = <u32>(v4 >> 16);
      groups[n++] = <u32>(v4 & 0xffff);
      i = to;
      break;
    }
    if (j - i < 1 || j - i > 4 || n >= 8) return null;
    let g: u32 = 0;
    for (let k = i; k < j; k++) {
      const d = hexDigit(s.charCodeAt(k));
      if (d < 0) return null;
      g = (g << 4) | <u32>d;
    }
    groups[n++] = g;
    if (j == to) { i = to; break; }
    // j is at ":"; "::" marks the gap (once), a ":" at the end is a group missing.
    if (j + 1 < to && s.charCodeAt(j + 1) == 0x3a) {
      if (gap >= 0) return null;
      gap = n;
      i = j + 2;
    } else {
      if (j + 1 == to) return null;
      i = j + 1;
    }
  }
  if (gap < 0 ? n != 8 : n > 7) return null;
  const all = new StaticArray<u32>(8);
  if (gap < 0) {
    for (let k = 0; k < 8; k++) all[k] = groups[k];
  } else {
    for (let k = 0; k < gap; k++) all[k] = groups[k];
    const tail = n - gap;
    for (let k = 0; k < tail; k++) all[8 - tail + k] = groups[gap + k];
  }
  let high: u64 = 0, low: u64 = 0;
  for (let k = 0; k < 4; k++) high = (high << 16) | <u64>all[k];
  for (let k = 4; k < 8; k++) low = (low << 16) | <u64>all[k];
  // ::ffff:a.b.c.d (and its hex form) is IPv4 to Java.
  if (high == 0 && (low >> 32) == 0xffff) return null;
  return new Ipv6(high, low);
}

function hexDigit(c: i32): i32 {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}
