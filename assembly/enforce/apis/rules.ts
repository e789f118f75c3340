// The shape of Kafka's authorization of one API, as a row of the table in authorize.ts: the
// ACL each kind of entity a request names needs (KafkaApis, ControllerApis, AclApis), and the
// check that answers refusals. The entities come from the generated view of the request's
// bytes (assembly/views/), so a request whose every entity is allowed is decided there and
// goes on untouched, never decoded (passesFromView). A refusal is answered by the row's
// check on the decoded request: the generic ones below, or a hook in <family>.ts for what
// the definitions cannot say.

import { Reader } from "../../protocol/reader";
import { Uuid } from "../../protocol/uuid";
import { EntityKind, EntityWalk } from "../../protocol/walk";
import { errorMessage } from "../../protocol/errors";
import { isSupported, requestHeaderVersion } from "../../messages/apis";
import { EntityCheck, EntitySplit } from "../../messages/refusals";
import { walkRequestHeader } from "../../views/RequestHeader";
import { walkRequest } from "../../views/index";
import { ResourceType, CLUSTER_RESOURCE_NAME } from "../../policy/acl";
import { Message } from "../../protocol/message";
import { Verdict } from "../../filter/seam";
import { RequestContext } from "../context";
import { topicName } from "../topic-ids";
import { SplitRefusals, answer } from "./refuse";

/**
 * The ACL one kind of entity needs: `kind` TopicName stands for topics by name or id;
 * `EntityKind.None` for the request as a whole (an operation on the cluster).
 */
export class Need {
  constructor(readonly kind: EntityKind, readonly resourceType: i32, readonly operation: i32) {}

  /** Does an entity of `kind` in the view need this? */
  covers(kind: EntityKind): bool {
    return kind == this.kind || (this.kind == EntityKind.TopicName && kind == EntityKind.TopicId);
  }
}

/** A check on the decoded request (a request the view did not let through). */
export type Check = (ctx: RequestContext, rule: Rule) => Verdict;

/** A fresh generated split of the API's entity list (messages/refusals.ts: new<Api>Split). */
export type SplitFactory = () => EntitySplit;

/** What the view reads beyond entities and their ACLs before it may let a request through. */
export type ViewHook = (ctx: RequestContext, walk: EntityWalk, frame: Uint8Array) => bool;

export class Rule {
  /**
   * `viewDecides`: a request whose every entity passes `needs` (and `viewHook`) passes the
   * decoded check untouched, with nothing to do on its response; the view lets it through.
   */
  constructor(readonly apiKey: i16, readonly needs: StaticArray<Need>, readonly check: Check,
              readonly viewDecides: bool, readonly viewHook: ViewHook | null = null) {}

  /** The generated split of the request's entity list, for checkListed; null: the API lists none it checks. */
  split: SplitFactory | null = null;

  /**
   * A zero topic id stands for none: the entry names its topic by name (Metadata: each entry
   * has both fields, and the view's hook decides which the request uses).
   */
  zeroIdsName: bool = false;

  /** This row, a zero topic id in its requests naming no topic (see zeroIdsName). */
  zeroIdMeansByName(): Rule {
    this.zeroIdsName = true;
    return this;
  }

  /** This row, its requests' entity list split by `factory` (checkListed). */
  lists(factory: SplitFactory): Rule {
    this.split = factory;
    return this;
  }

  /** The need of entities of `kind`, or null. */
  needOf(kind: EntityKind): Need | null {
    for (let i = 0; i < this.needs.length; i++) {
      const need = unchecked(this.needs[i]);
      if (need.covers(kind)) return need;
    }
    return null;
  }

  /** The operation on the cluster this API needs as a whole (-1: none). */
  get clusterOperation(): i32 {
    for (let i = 0; i < this.needs.length; i++) {
      const need = unchecked(this.needs[i]);
      if (need.kind == EntityKind.None) return need.operation;
    }
    return -1;
  }
}

/** The walk every view decision runs in: reset per frame, it allocates only when a frame has more entities than any before. */
const walk = new EntityWalk();
const reader = new Reader(new Uint8Array(0));

/** Walks `frame` (header and body) into `walk`; false when it does not walk whole. */
function walkFrame(ctx: RequestContext, frame: Uint8Array): bool {
  walk.reset();
  const r = reader.over(frame);
  walkRequestHeader(r, requestHeaderVersion(ctx.apiKey, ctx.version), walk);
  const walked = walkRequest(ctx.apiKey, r, ctx.version, walk) && !r.failed;
  r.release();
  return walked;
}

/**
 * The first refusal of `rule`'s needs on the walked frame, in Kafka's order: the cluster, then
 * each entity in the order of its bytes (the order of the definition's fields, in which
 * KafkaApis checks them); 0 when all are allowed. Entities `listed` covers are left out.
 */
function firstRefusal(ctx: RequestContext, rule: Rule, frame: Uint8Array, listed: Need | null = null): i16 {
  const clusterOp = rule.clusterOperation;
  if (clusterOp >= 0) {
    const code = ctx.check(ResourceType.Cluster, CLUSTER_RESOURCE_NAME, clusterOp);
    if (code != 0) return code;
  }
  for (let i = 0; i < walk.count; i++) {
    const kind = <EntityKind>unchecked(walk.kind[i]);
    const need = rule.needOf(kind);
    if (need == null || need === listed) continue;
    let code: i16;
    if (kind == EntityKind.TopicId) {
      if (rule.zeroIdsName && walk.uuidIsZero(frame, i)) continue;
      const id = walk.uuid(frame, i);
      code = ctx.checkTopic(topicName(id), id, need.operation);
    } else {
      const name = walk.text(frame, i);
      // An absent entity (a null transactional id) needs nothing.
      if (name == null) continue;
      code = ctx.check(need.resourceType, name, need.operation);
    }
    if (code != 0) return code;
  }
  return 0;
}

/**
 * The allow path: true when `frame` may go on untouched by what its view shows, decided on a
 * probing context (its refusals thrown away: the decoded check makes and records them).
 */
export function passesFromView(ctx: RequestContext, rule: Rule, frame: Uint8Array): bool {
  if (!rule.viewDecides || !isSupported(ctx.apiKey, ctx.version) || !walkFrame(ctx, frame)) return false;
  const hook = rule.viewHook;
  if (hook != null && !hook(ctx, walk, frame)) return false;
  return firstRefusal(ctx, rule, frame) == 0;
}

/**
 * Requests that name their entities once, at the top (a group, a transactional id) or only the
 * cluster: the first refusal, in Kafka's order, refuses the whole request with the API's
 * generated refusal.
 */
export function checkWhole(ctx: RequestContext, rule: Rule): Verdict {
  const frame = ctx.frame;
  if (frame == null || !walkFrame(ctx, frame)) return Verdict.close(ctx.apiName + ": no view of the request to check");
  const code = firstRefusal(ctx, rule, frame);
  return code == 0 ? ctx.pass() : ctx.refuseWhole(code, errorMessage(code));
}

/** The need each entity of a split list is checked for, as RequestContext.checkTopic/check ask it. */
export class NeedCheck extends EntityCheck {
  constructor(readonly ctx: RequestContext, readonly need: Need, readonly withMessage: bool) { super(); }

  code(name: string | null, id: Uuid): i16 {
    const need = this.need;
    const code = need.resourceType == ResourceType.Topic ? this.ctx.checkTopic(name, id, need.operation)
      : this.ctx.check(need.resourceType, name != null ? name : "", need.operation);
    this.message = this.withMessage && code != 0 ? errorMessage(code) : null;
    return code;
  }
}

/**
 * Requests that list their entities (topics, groups, transactional ids). The needs of what the
 * request names once (the cluster, its group or transactional id) come first, and a refusal
 * there refuses the whole request, as Kafka answers it before looking at the list. Then each
 * listed entity is checked: the refused ones answered in the API's own response, the rest sent on.
 */
export function checkListed(ctx: RequestContext, rule: Rule): Verdict {
  return checkListedWith(ctx, rule, new SplitRefusals(), false);
}

/**
 * checkListed with a hook's refusals (one that also cuts the broker's answer) and, where the
 * hook decides the listed entities otherwise than by the row's need, its own check.
 */
export function checkListedWith(ctx: RequestContext, rule: Rule, refusals: SplitRefusals, withMessage: bool,
                                check: EntityCheck | null = null): Verdict {
  const frame = ctx.frame;
  if (frame == null || !walkFrame(ctx, frame)) return Verdict.close(ctx.apiName + ": no view of the request to check");
  const factory = rule.split;
  if (factory == null) return Verdict.close(ctx.apiName + ": the table names no entity list to check");
  const split = factory();
  const kind = split.listedKind(ctx.version);
  const listed = kind != EntityKind.None ? rule.needOf(kind) : null;
  const wholeCode = firstRefusal(ctx, rule, frame, listed);
  if (wholeCode != 0) return ctx.refuseWhole(wholeCode, errorMessage(wholeCode));
  if (check != null) split.split(ctx.body, ctx.version, check);
  else if (listed != null) split.split(ctx.body, ctx.version, new NeedCheck(ctx, listed, withMessage));
  refusals.split = split;
  refusals.count = split.refused;
  return answer(ctx, refusals, split.kept > 0 ? ctx.body : null);
}
