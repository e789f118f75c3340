// Plugin configuration: a JSON object (Envoy's `configuration` StringValue). The shell reads
// its own keys; any other key is left for the handler, which gets the whole string.
//
//   max_frame_bytes  largest frame accepted in either direction (default 104857600, Kafka's
//                    socket.request.max.bytes); a larger or negative size closes the connection
//   max_in_flight    requests remembered per connection for matching responses (default 1024)
//
// An empty configuration means all defaults.

export const DEFAULT_MAX_FRAME: i32 = 104857600;
export const DEFAULT_MAX_IN_FLIGHT: i32 = 1024;

export class FilterConfig {
  maxFrameBytes: i32 = DEFAULT_MAX_FRAME;
  maxInFlight: i32 = DEFAULT_MAX_IN_FLIGHT;
  raw: string = "";
  /** Empty if the configuration is valid. */
  error: string = "";

  describe(): string {
    return "max_frame_bytes=" + this.maxFrameBytes.toString() + " max_in_flight=" + this.maxInFlight.toString();
  }
}

export function parseConfig(raw: string): FilterConfig {
  const c = new FilterConfig();
  c.raw = raw;
  const p = new Scanner(raw);
  p.ws();
  if (p.atEnd()) return c;
  if (!p.eat(0x7b /* { */)) return fail(c, "configuration must be a JSON object");
  p.ws();
  if (p.eat(0x7d /* } */)) return trailing(c, p);
  while (true) {
    p.ws();
    const key = p.str();
    if (key == null) return fail(c, "expected a string key at offset " + p.i.toString());
    p.ws();
    if (!p.eat(0x3a /* : */)) return fail(c, "expected ':' after \"" + key + "\"");
    p.ws();
    if (key == "max_frame_bytes" || key == "max_in_flight") {
      const v = p.int();
      if (v < 1 || v > i32.MAX_VALUE) return fail(c, key + " must be an integer in 1.." + i32.MAX_VALUE.toString());
      if (key == "max_frame_bytes") c.maxFrameBytes = <i32>v;
      else c.maxInFlight = <i32>v;
    } else if (!p.skipValue()) {
      return fail(c, "malformed value for \"" + key + "\"");
    }
    p.ws();
    if (p.eat(0x2c /* , */)) continue;
    if (p.eat(0x7d /* } */)) return trailing(c, p);
    return fail(c, "expected ',' or '}' at offset " + p.i.toString());
  }
}

function trailing(c: FilterConfig, p: Scanner): FilterConfig {
  p.ws();
  return p.atEnd() ? c : fail(c, "unexpected text after the configuration object");
}

function fail(c: FilterConfig, why: string): FilterConfig {
  c.error = why;
  return c;
}

/** Just enough JSON to walk one object's members and skip values it does not read. */
class Scanner {
  i: i32 = 0;
  constructor(public s: string) {}

  atEnd(): bool { return this.i >= this.s.length; }
  @inline peek(): i32 { return this.i < this.s.length ? this.s.charCodeAt(this.i) : -1; }

  ws(): void {
    while (true) {
      const c = this.peek();
      if (c == 0x20 || c == 0x09 || c == 0x0a || c == 0x0d) this.i++;
      else return;
    }
  }

  eat(c: i32): bool {
    if (this.peek() != c) return false;
    this.i++;
    return true;
  }

  /** A string without unicode escapes resolved (keys here are plain ASCII). */
  str(): string | null {
    if (!this.eat(0x22)) return null;
    const start = this.i;
    while (this.i < this.s.length) {
      const c = this.s.charCodeAt(this.i);
      if (c == 0x5c /* \ */) { this.i += 2; continue; }
      if (c == 0x22) {
        const v = this.s.substring(start, this.i);
        this.i++;
        return v;
      }
      this.i++;
    }
    return null;
  }

  /** A non-negative integer literal; -1 if there is none or it exceeds 2^53. */
  int(): i64 {
    let v: i64 = 0;
    let digits = 0;
    while (true) {
      const c = this.peek();
      if (c < 0x30 || c > 0x39) break;
      v = v * 10 + (c - 0x30);
      if (v > 9007199254740992) return -1;
      digits++;
      this.i++;
    }
    const c = this.peek();
    if (digits == 0 || c == 0x2e || c == 0x65 || c == 0x45) return -1; // no fractions or exponents
    return v;
  }

  /** Skips any JSON value (nested objects and arrays included); false if malformed. */
  skipValue(): bool {
    const c = this.peek();
    if (c == 0x22) return this.str() != null;
    if (c == 0x7b || c == 0x5b) {
      let depth = 0;
      while (this.i < this.s.length) {
        const d = this.peek();
        if (d == 0x22) {
          if (this.str() == null) return false;
          continue;
        }
        if (d == 0x7b || d == 0x5b) depth++;
        else if (d == 0x7d || d == 0x5d) {
          depth--;
          if (depth == 0) {
            this.i++;
            return true;
          }
        }
        this.i++;
      }
      return false;
    }
    // number, true, false, null
    const start = this.i;
    while (true) {
      const d = this.peek();
      if (d < 0 || d == 0x2c || d == 0x7d || d == 0x5d || d == 0x20 || d == 0x09 || d == 0x0a || d == 0x0d) break;
      this.i++;
    }
    return this.i > start;
  }
}
