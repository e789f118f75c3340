// The one way a check answers what it refused in a request that lists entries (topics,
// partitions, groups, transactional ids, config resources): the refusals, kept with the
// request as its ResponseRewrite, and `answer`, the verdict. Nothing refused: the request goes
// on untouched. Everything refused (or the request as a whole): answered here, in the API's
// own response. Some refused: the rest goes on, and the refusals join the broker's answer.
// The answer entries themselves are generated (messages/refusals.ts); the shapes below differ
// only in what they keep of each refusal: the generated split of a request's entity list
// (SplitRefusals, what the table's checks use, rules.ts), entries a hook built itself (Split),
// topics of a share session (TopicRefusals), coordinator keys (NamedRefusals).

import { Message } from "../../protocol/message";
import { Uuid } from "../../protocol/uuid";
import { Verdict } from "../../filter/seam";
import { addNamedAnswers, EntitySplit } from "../../messages/refusals";
import { RequestContext } from "../context";
import { ResponseRewrite } from "../rewrite";

/** What one refused entry kept for the broker's answer counts in filter.maxBufferedBytes (measured: 200-330 bytes). */
export const BYTES_PER_REFUSED_ENTRY: i64 = 384;

/**
 * What the policy refused in one request. `addTo` puts the refusals into a response of the
 * request's API (the broker's, or an empty one when answering here) and, for APIs that
 * `watch`, also cuts from the broker's entries what the principal may not see.
 */
export abstract class Refusals extends ResponseRewrite {
  /** Refused entries (groups, topics, keys...). */
  count: i32 = 0;
  /** The request is refused as a whole (a refused group or transactional id). */
  whole: bool = false;
  /** The broker's response is filtered even when nothing was refused. */
  watch: bool = false;
  /**
   * The request's context when addTo() also checks ACLs on the broker's answer: what it
   * refuses there is logged and counted as the request's refusals were. Null otherwise.
   */
  checkedOnAnswer: RequestContext | null = null;

  /** Returns whether `response` changed. */
  abstract addTo(response: Message, version: i16): bool;

  /** Refused entries kept for the answer. */
  protected entries(): i32 { return this.count; }

  // Each refused entry is kept as objects (the answer's entry, its name, its empty lists) of
  // about 200-330 bytes, whatever its size in the request: a Metadata v1 name of 3 bytes too.
  keeps(frameSize: i32): i64 { return max(super.keeps(frameSize), <i64>this.entries() * BYTES_PER_REFUSED_ENTRY); }

  apply(body: Message, version: i16): bool { return this.addTo(body, version); }
}

/**
 * The verdict for a checked request, as produce.ts decides it: nothing refused, it passes
 * untouched (watched if need be); refused as a whole, or nothing left for the broker (`rest`
 * null), it is answered here; else `rest` goes on and the refusals join the broker's answer.
 */
export function answer(ctx: RequestContext, refusals: Refusals, rest: Message | null): Verdict {
  const whole = refusals.whole;
  if (!whole && refusals.count == 0) {
    if (refusals.watch) ctx.after = refusals;
    return ctx.pass();
  }
  if (!whole && rest != null) {
    ctx.after = refusals;
    return ctx.forward(rest);
  }
  const response = ctx.newResponse();
  refusals.apply(response, ctx.version);
  return ctx.respond(response);
}

/**
 * The refused entities of a split list, answered by the API's generated answers. A hook that
 * must also cut the broker's entries (what the principal may not see) extends it: `filter`,
 * with `watch` set.
 */
export class SplitRefusals extends Refusals {
  split: EntitySplit | null = null;

  /** Cuts from the broker's entries what may not be seen; true if any. */
  filter(response: Message): bool { return false; }

  addTo(response: Message, version: i16): bool {
    const split = this.split;
    if (split != null) split.addAnswers(response, version);
    const filtered = this.filter(response);
    return this.count > 0 || filtered;
  }
}

/** Refused topics of a request, each kept as the request gave it, with its error. */
export abstract class TopicRefusals<T> extends Refusals {
  readonly topics: Array<T> = new Array<T>();
  readonly codes: Array<i16> = new Array<i16>();

  /** The topic's name; null when it is named by an id this VM has not seen. */
  abstract nameOf(topic: T): string | null;
  idOf(topic: T): Uuid { return Uuid.ZERO; }

  refuse(topic: T, code: i16): void {
    this.topics.push(topic);
    this.codes.push(code);
    this.count++;
  }
}

/** `op` on each topic; returns those allowed and records the others in `refusals`. */
export function checkTopics<T>(ctx: RequestContext, topics: Array<T>, op: i32, refusals: TopicRefusals<T>): Array<T> {
  const kept = new Array<T>();
  for (let i = 0; i < topics.length; i++) {
    const topic = unchecked(topics[i]);
    const code = ctx.checkTopic(refusals.nameOf(topic), refusals.idOf(topic), op);
    if (code != 0) refusals.refuse(topic, code);
    else kept.push(topic);
  }
  return kept;
}

/**
 * Refused names of a request that lists names its entity list cannot split by kind (coordinator
 * keys, whose key type says what they name), each answered with the API's generated entry.
 */
export class NamedRefusals extends Refusals {
  readonly names: Array<string> = new Array<string>();
  readonly codes: Array<i16> = new Array<i16>();

  constructor(readonly apiKey: i16) { super(); }

  refuse(name: string, code: i16): void {
    this.names.push(name);
    this.codes.push(code);
    this.count++;
  }

  addTo(response: Message, version: i16): bool {
    if (this.names.length > 0) addNamedAnswers(this.apiKey, response, this.names, this.codes, version, null);
    return this.names.length > 0;
  }
}

/**
 * Refusals answered by entries the check built itself (topics.ts: entries that need more than
 * the generated answer, or a list kept beside them): the request's list cut to `kept`, and
 * the response's list `answers` gets the `refused` entries.
 */
export abstract class Split<E, R> extends Refusals {
  readonly kept: Array<E> = new Array<E>();
  readonly refused: Array<R> = new Array<R>();

  protected entries(): i32 { return this.refused.length; }

  /** The response's list that answers the request's list. */
  abstract answers(response: Message): Array<R>;

  addTo(response: Message, version: i16): bool {
    const answers = this.answers(response);
    for (let i = 0; i < this.refused.length; i++) answers.push(unchecked(this.refused[i]));
    return this.refused.length > 0;
  }

  /** The verdict on `request`, its list cut down to `kept` (re-encoded only when forwarded). */
  settle(ctx: RequestContext, request: Message): Verdict {
    this.count = this.refused.length;
    return answer(ctx, this, this.kept.length > 0 ? request : null);
  }
}
