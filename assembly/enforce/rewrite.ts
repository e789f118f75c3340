// What to do with the broker's response to a request the policy changed or must watch.

import { Message } from "../protocol/message";
import { EntityWalk } from "../protocol/walk";
import { RequestNote, Verdict } from "../filter/seam";

/** The only kind of note the Enforcer leaves with a request (see seam.ts). */
export abstract class ResponseRewrite extends RequestNote {
  /**
   * Changes the decoded response body in place; returns true if it changed (the response is
   * then encoded again), false to pass the broker's bytes on untouched.
   */
  abstract apply(body: Message, version: i16): bool;

  /**
   * What apply() would make of the response, told from its bytes (`frame`: header and body) and
   * their view (`walk`; null for APIs whose responses the filter does not walk) without decoding
   * it: pass (nothing to change), replace (the broker's bytes cut or patched as apply() would
   * change them), or null when it takes the decoded response.
   */
  fromView(walk: EntityWalk | null, frame: Uint8Array, version: i16): Verdict | null { return null; }

  /**
   * True when apply() carries out the policy (answers refused entries, cuts what the principal
   * may not see): audit mode leaves those out. False for what the filter itself must learn or
   * keep safe (the SASL principal, ApiVersions capped to what the codecs parse).
   */
  get enforcesPolicy(): bool { return true; }

  /** False when the answer must teach the filter nothing (responses.ts learnFromResponse skips it). */
  teaches: bool = true;

  /**
   * True for a note whose fromView writes the client's answer from the answer to the filter's
   * own request (Verdict.asideNote: a DescribeTopicPartitions listing); never null then.
   */
  get answersInstead(): bool { return false; }
}

/** A note that only keeps the answer from teaching (ResponseRewrite.teaches): the answer goes on untouched. */
export class TeachesNothing extends ResponseRewrite {
  constructor() {
    super();
    this.teaches = false;
  }

  apply(body: Message, version: i16): bool { return false; }

  fromView(walk: EntityWalk | null, frame: Uint8Array, version: i16): Verdict | null { return Verdict.pass(); }

  get enforcesPolicy(): bool { return false; }
}
