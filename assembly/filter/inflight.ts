// Requests sent upstream that the broker has yet to answer, oldest first.
//
// A Kafka broker answers the requests of one connection strictly in the order it received
// them, so a response is always the answer to the oldest request still waiting: it is matched
// by position, and its correlation id must be that request's (anything else means the stream
// is not the Kafka protocol we think it is, and the connection is closed). A request that gets
// no answer (Produce with acks=0) never enters the queue. Nothing is ever dropped from it: a
// forgotten request would let a later response be taken for the answer to another one.

import { RequestHeader, RequestNote } from "./seam";
import { noteRequestsWaiting } from "../runtime/collect";

export class InFlight {
  constructor(
    public correlationId: i32,
    /** What was sent upstream (after a Replace, the replacement's key and version). */
    public apiKey: i16,
    public apiVersion: i16,
    public request: RequestHeader,
    /** Set when the client is to get this response instead of the broker's. */
    public synthesized: Uint8Array | null = null,
    /** What the handler left for the response to this request. */
    public note: RequestNote | null = null,
  ) {}

  /** The handler's own request (Verdict.aside): its answer is for the handler only. */
  aside: bool = false;
  /** What this entry keeps in memory until answered, counted in heldBudget (RequestSide.expect). */
  held: i64 = 0;
}

export class InFlightQueue {
  private items: Array<InFlight | null> = new Array<InFlight | null>();
  private head: i32 = 0;

  constructor(public max: i32) {}

  get size(): i32 { return this.items.length - this.head; }

  /** False (and nothing added) when `max` requests already wait. */
  push(e: InFlight): bool {
    if (this.size >= this.max) return false;
    this.items.push(e);
    noteRequestsWaiting(1);
    return true;
  }

  /** The oldest waiting request, or null. */
  peek(): InFlight | null {
    return this.head < this.items.length ? unchecked(this.items[this.head]) : null;
  }

  /** Removes the oldest waiting request (after peek() returned it). */
  pop(): void {
    if (this.head >= this.items.length) return;
    unchecked(this.items[this.head] = null); // let the GC have it
    this.head++;
    noteRequestsWaiting(-1);
    const n = this.items.length;
    if (this.head == n) {
      this.items.length = 0;
      this.head = 0;
    } else if (this.head >= 32 && this.head * 2 >= n) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }

  /** Forgets every waiting request (the connection is gone); the bytes they kept counted (InFlight.held). */
  clear(): i64 {
    let held: i64 = 0;
    noteRequestsWaiting(-this.size);
    for (let i = this.head; i < this.items.length; i++) {
      const e = unchecked(this.items[i]);
      if (e != null) held += e.held;
    }
    this.items.length = 0;
    this.head = 0;
    return held;
  }
}
