// Requests sent upstream that may still be answered, oldest first.
//
// A Kafka broker answers the requests of one connection in the order it received them, and
// never answers some (Produce with acks=0). So when a response carries correlation id C, every
// request before the one with C will never be answered and is dropped here; that keeps the
// table small without knowing which requests expect no answer. A hard cap (max_in_flight)
// bounds it for a client that only sends unanswered requests.

import { RequestHeader } from "./seam";

export class InFlight {
  constructor(
    public correlationId: i32,
    /** What was sent upstream (after a Replace, the replacement's key and version). */
    public apiKey: i16,
    public apiVersion: i16,
    public request: RequestHeader,
    /** Set when the client is to get this response instead of the broker's. */
    public synthesized: Uint8Array | null = null,
  ) {}
}

export class InFlightQueue {
  private items: Array<InFlight> = new Array<InFlight>();
  private head: i32 = 0;
  /** Entries dropped because a later request was answered first, or because of the cap. */
  unanswered: i64 = 0;
  evicted: i64 = 0;

  constructor(public max: i32) {}

  get size(): i32 { return this.items.length - this.head; }

  push(e: InFlight): void {
    if (this.size >= this.max) {
      this.head++;
      this.evicted++;
    }
    this.items.push(e);
    this.compact();
  }

  /** Removes and returns the entry for `correlationId` with everything older; null if absent. */
  take(correlationId: i32): InFlight | null {
    const items = this.items;
    for (let i = this.head, n = items.length; i < n; i++) {
      const e = unchecked(items[i]);
      if (e.correlationId == correlationId) {
        this.unanswered += i - this.head;
        this.head = i + 1;
        this.compact();
        return e;
      }
    }
    return null;
  }

  private compact(): void {
    const h = this.head;
    if (h == 0) return;
    const n = this.items.length;
    if (h == n) {
      this.items.length = 0;
      this.head = 0;
    } else if (h >= 32 && h * 2 >= n) {
      this.items = this.items.slice(h);
      this.head = 0;
    }
  }
}
