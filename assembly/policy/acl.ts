// Kafka ACLs and their evaluation, with the semantics of Kafka's StandardAuthorizer
// (org.apache.kafka.metadata.authorizer.StandardAuthorizerData):
//
//  * super users (exact principal string) are allowed everything;
//  * an ACL applies to a resource when its pattern matches the name: LITERAL equal,
//    LITERAL "*" (any name of that type), or PREFIXED (name starts with it);
//  * an applicable ACL matches the request when its principal is the request's or
//    "User:*", its host is the client's IP string, "*" or a CIDR range the address is in
//    (Kafka 4.4, cidr.ts), and its operation matches:
//    ALL matches everything; an ALLOW of READ, WRITE, DELETE or ALTER also allows
//    DESCRIBE, and an ALLOW of ALTER_CONFIGS also allows DESCRIBE_CONFIGS (a DENY
//    denies only its own operation, or everything when ALL);
//  * any matching DENY wins; else any matching ALLOW allows; else, if no ACL applies to
//    the resource at all (whatever its principal, host or operation), the default
//    (allowEveryoneIfNoAclFound) decides; else denied;
//  * but a name that starts with "*" (other than "*" itself) is out of the wildcard's reach
//    on Kafka: StandardAuthorizerData.checkSection takes the LITERAL "*" for a literal that is
//    only a prefix of the name, and skips it. Its ALLOWs do not grant such a name here either
//    (the filter never grants what the broker's authorizer refuses) and do not count as ACLs
//    of the resource; its DENYs still deny (a client choosing such a group or transactional
//    id must not escape a DENY meant for every name: the one place the filter is stricter).
//
// Enum values are Kafka's wire codes (AclOperation.code() and so on).

import { CidrRange, parseCidr } from "./cidr";

export enum ResourceType {
  Unknown = 0, Any = 1, Topic = 2, Group = 3, Cluster = 4, TransactionalId = 5,
  DelegationToken = 6, User = 7,
}

export enum AclOperation {
  Unknown = 0, Any = 1, All = 2, Read = 3, Write = 4, Create = 5, Delete = 6, Alter = 7,
  Describe = 8, ClusterAction = 9, DescribeConfigs = 10, AlterConfigs = 11,
  IdempotentWrite = 12, CreateTokens = 13, DescribeTokens = 14, TwoPhaseCommit = 15,
}

export enum PatternType { Unknown = 0, Any = 1, Match = 2, Literal = 3, Prefixed = 4 }

export enum AclPermission { Unknown = 0, Any = 1, Deny = 2, Allow = 3 }

/** The resource name Kafka uses for the cluster (ResourcePattern CLUSTER "kafka-cluster"). */
export const CLUSTER_RESOURCE_NAME = "kafka-cluster";
/** The principal in an ACL that matches every principal. */
export const WILDCARD_PRINCIPAL = "User:*";
/** The host or LITERAL resource name in an ACL that matches every host or name. */
export const WILDCARD = "*";

const RESOURCE_TYPE_NAMES: StaticArray<string> = [
  "UNKNOWN", "ANY", "TOPIC", "GROUP", "CLUSTER", "TRANSACTIONAL_ID", "DELEGATION_TOKEN", "USER",
];
const OPERATION_NAMES: StaticArray<string> = [
  "UNKNOWN", "ANY", "ALL", "READ", "WRITE", "CREATE", "DELETE", "ALTER", "DESCRIBE",
  "CLUSTER_ACTION", "DESCRIBE_CONFIGS", "ALTER_CONFIGS", "IDEMPOTENT_WRITE", "CREATE_TOKENS",
  "DESCRIBE_TOKENS", "TWO_PHASE_COMMIT",
];
const PATTERN_TYPE_NAMES: StaticArray<string> = ["UNKNOWN", "ANY", "MATCH", "LITERAL", "PREFIXED"];
const PERMISSION_NAMES: StaticArray<string> = ["UNKNOWN", "ANY", "DENY", "ALLOW"];

function nameOf(table: StaticArray<string>, code: i32): string {
  return <u32>code < <u32>table.length ? unchecked(table[code]) : "UNKNOWN";
}

/** Index of `name` in `table`, ignoring ASCII case; -1 when absent. */
function codeOf(table: StaticArray<string>, name: string): i32 {
  const upper = name.toUpperCase();
  for (let i = 0; i < table.length; i++) {
    if (unchecked(table[i]) == upper) return i;
  }
  return -1;
}

export function resourceTypeName(t: i32): string { return nameOf(RESOURCE_TYPE_NAMES, t); }
export function operationName(op: i32): string { return nameOf(OPERATION_NAMES, op); }
export function patternTypeName(p: i32): string { return nameOf(PATTERN_TYPE_NAMES, p); }
export function permissionName(p: i32): string { return nameOf(PERMISSION_NAMES, p); }

/** Kafka's name ("TOPIC", case-insensitive) to code; -1 when unknown. UNKNOWN/ANY included. */
export function parseResourceType(name: string): i32 { return codeOf(RESOURCE_TYPE_NAMES, name); }
export function parseOperation(name: string): i32 { return codeOf(OPERATION_NAMES, name); }
export function parsePatternType(name: string): i32 { return codeOf(PATTERN_TYPE_NAMES, name); }
export function parsePermission(name: string): i32 { return codeOf(PERMISSION_NAMES, name); }

/** "Type:name", as Kafka's SecurityUtils.parseKafkaPrincipal reads it. */
export function isValidPrincipal(p: string): bool {
  // "User:" (an empty name) is valid: Kafka parses it so, and names a client certificate
  // with an empty subject so. The type may not be empty.
  return p.indexOf(":") > 0;
}

export class Acl {
  /** Position in the configuration's "acls" array. */
  index: i32;
  principal: string;
  host: string;
  /** The range a CIDR host ("10.0.0.0/8") names; null for any other host. */
  range: CidrRange | null;
  resourceType: ResourceType;
  resourceName: string;
  patternType: PatternType;
  operation: AclOperation;
  permission: AclPermission;

  constructor(index: i32, principal: string, host: string, resourceType: ResourceType,
              resourceName: string, patternType: PatternType, operation: AclOperation,
              permission: AclPermission) {
    this.index = index;
    this.principal = principal;
    this.host = host;
    this.range = host.indexOf("/") >= 0 ? parseCidr(host) : null;
    this.resourceType = resourceType;
    this.resourceName = resourceName;
    this.patternType = patternType;
    this.operation = operation;
    this.permission = permission;
  }

  toString(): string {
    return "acls[" + this.index.toString() + "] " + permissionName(this.permission) + " " +
      this.principal + " " + operationName(this.operation) + " on " +
      resourceTypeName(this.resourceType) + ":" + patternTypeName(this.patternType) + ":" +
      this.resourceName + " from host " + this.host;
  }
}

/**
 * A DescribeAcls (or DeleteAcls) filter: Kafka's AclBindingFilter. A null name, principal or
 * host matches any; ANY matches every type, pattern type, operation or permission; MATCH
 * matches the ACLs that apply to the name (that literal, the wildcard, a prefix of it).
 */
export class AclFilter {
  constructor(
    readonly resourceType: i32, readonly name: string | null, readonly patternType: i32,
    readonly principal: string | null, readonly host: string | null,
    readonly operation: i32, readonly permission: i32,
  ) {}

  /** What of the filter is UNKNOWN (Kafka refuses such a filter), or null. */
  unknownPart(): string | null {
    if (this.resourceType == ResourceType.Unknown) return "resource type";
    if (this.patternType == PatternType.Unknown) return "pattern type";
    if (this.operation == AclOperation.Unknown) return "operation";
    if (this.permission == AclPermission.Unknown) return "permission type";
    return null;
  }

  matches(acl: Acl): bool {
    if (this.resourceType != ResourceType.Any && this.resourceType != <i32>acl.resourceType) return false;
    const pt = this.patternType;
    if (pt != PatternType.Any && pt != PatternType.Match && pt != <i32>acl.patternType) return false;
    const name = this.name;
    if (name != null) {
      if (pt != PatternType.Match) {
        if (name != acl.resourceName) return false;
      } else if (acl.patternType == PatternType.Literal) {
        if (name != acl.resourceName && acl.resourceName != WILDCARD) return false;
      } else if (!name.startsWith(acl.resourceName)) {
        return false;
      }
    }
    const principal = this.principal, host = this.host;
    if (principal != null && principal != acl.principal) return false;
    if (host != null && host != acl.host) return false;
    if (this.operation != AclOperation.Any && this.operation != <i32>acl.operation) return false;
    return this.permission == AclPermission.Any || this.permission == <i32>acl.permission;
  }
}

/** Is the ACL about this principal and host? */
@inline function aclAppliesTo(acl: Acl, principal: string, host: string): bool {
  return (acl.principal == WILDCARD_PRINCIPAL || acl.principal == principal) && hostApplies(acl, host);
}

/** The client's address is the ACL's host, or in its CIDR range; or the ACL's host is any. */
@inline function hostApplies(acl: Acl, host: string): bool {
  if (acl.host == WILDCARD || acl.host == host) return true;
  const range = acl.range;
  return range != null && range.contains(host);
}

/** Does the ACL's operation cover `op` (ALL; an ALLOW of READ, WRITE, DELETE or ALTER implies DESCRIBE, ...)? */
@inline function aclCovers(acl: Acl, op: i32): bool {
  const aop = <i32>acl.operation;
  if (aop == AclOperation.All) return true;
  if (acl.permission == AclPermission.Allow) {
    if (op == AclOperation.Describe) {
      return aop == AclOperation.Describe || aop == AclOperation.Read || aop == AclOperation.Write ||
        aop == AclOperation.Delete || aop == AclOperation.Alter;
    }
    if (op == AclOperation.DescribeConfigs) {
      return aop == AclOperation.DescribeConfigs || aop == AclOperation.AlterConfigs;
    }
  }
  return aop == op;
}

/** The ACLs of one resource pattern, in the order of "acls"; `id` is its place in AclAuthorizer.lists. */
class AclList {
  readonly acls: Array<Acl> = new Array<Acl>();
  constructor(readonly id: i32) {}
}

/** A new list, numbered in `lists`. */
function newList(lists: Array<AclList>): AclList {
  const list = new AclList(lists.length);
  lists.push(list);
  return list;
}

/** ACLs with one PREFIXED resource name. */
class PrefixGroup {
  constructor(public prefix: string, public acls: AclList, public hash: u32) {}
}

// FNV-1a over a string's UTF-16 code units, one at a time: a name's prefixes hash as it is read.
const HASH_START: u32 = 0x811c9dc5;
@inline function hashStep(h: u32, unit: u32): u32 { return (h ^ unit) * 0x01000193; }

function hashOf(s: string): u32 {
  let h = HASH_START;
  for (let i = 0, n = s.length; i < n; i++) h = hashStep(h, <u32>load<u16>(changetype<usize>(s) + (<usize>i << 1)));
  return h;
}

/**
 * The PREFIXED patterns of one resource type, found from a resource name in one pass over it.
 * Large installations have thousands (a prefix per team or service), and trying each one made
 * every check cost as many: the name's first k characters are hashed as they are read and
 * looked up for each k some pattern is long, so a check costs the name's length, whatever the
 * number of patterns.
 */
class PrefixIndex {
  /** In the order their first ACL came: the order decide() scans those that match, as Kafka lists them. */
  groups: Array<PrefixGroup> = new Array<PrefixGroup>();
  /** Groups by prefix while ACLs are added; dropped by seal() (a collection would walk it). */
  private byPrefix: Map<string, PrefixGroup> | null = new Map<string, PrefixGroup>();
  /** Open addressing over the groups' hashes: group index + 1, 0 free. Built by seal(). */
  private slots: StaticArray<i32> = new StaticArray<i32>(0);
  /** Whether some pattern has this many characters (up to the longest). */
  private lengths: StaticArray<bool> = new StaticArray<bool>(0);
  /** The groups matching the name looked up last (matching), ascending. */
  readonly matched: Array<i32> = new Array<i32>();

  add(acl: Acl, lists: Array<AclList>): void {
    const name = acl.resourceName;
    const byPrefix = this.byPrefix!; // add() only before seal()
    if (byPrefix.has(name)) {
      byPrefix.get(name).acls.acls.push(acl);
      return;
    }
    const list = newList(lists);
    list.acls.push(acl);
    const g = new PrefixGroup(name, list, hashOf(name));
    this.groups.push(g);
    byPrefix.set(name, g);
  }

  /** After the last add(): builds the lookup. */
  seal(): void {
    const groups = this.groups;
    let longest = 0;
    for (let i = 0; i < groups.length; i++) longest = max(longest, unchecked(groups[i]).prefix.length);
    const lengths = new StaticArray<bool>(longest + 1);
    let size = 16;
    while (size < groups.length * 2) size <<= 1;
    const slots = new StaticArray<i32>(size);
    for (let i = 0; i < groups.length; i++) {
      const g = unchecked(groups[i]);
      unchecked(lengths[g.prefix.length] = true);
      let slot = <i32>(g.hash & <u32>(size - 1));
      while (unchecked(slots[slot]) != 0) slot = (slot + 1) & (size - 1);
      unchecked(slots[slot] = i + 1);
    }
    this.lengths = lengths;
    this.slots = slots;
    this.byPrefix = null;
  }

  /** The groups whose prefix `name` starts with, into `matched`, in the order of `groups`. */
  matching(name: string): Array<i32> {
    const matched = this.matched;
    matched.length = 0;
    const lengths = this.lengths;
    const end = min(name.length, lengths.length - 1);
    let h = HASH_START;
    for (let k = 0; k <= end; k++) {
      if (k > 0) h = hashStep(h, <u32>load<u16>(changetype<usize>(name) + (<usize>(k - 1) << 1)));
      if (unchecked(lengths[k])) this.find(name, k, h);
    }
    // Found shortest first; scanned in the order of the groups (a few at most: insertion sort).
    for (let i = 1; i < matched.length; i++) {
      const v = unchecked(matched[i]);
      let j = i - 1;
      for (; j >= 0 && unchecked(matched[j]) > v; j--) unchecked(matched[j + 1] = matched[j]);
      unchecked(matched[j + 1] = v);
    }
    return matched;
  }

  private find(name: string, length: i32, h: u32): void {
    const slots = this.slots, mask = slots.length - 1;
    for (let slot = <i32>(h & <u32>mask); ; slot = (slot + 1) & mask) {
      const at = unchecked(slots[slot]);
      if (at == 0) return;
      const g = unchecked(this.groups[at - 1]);
      if (g.hash == h && g.prefix.length == length && name.startsWith(g.prefix)) {
        this.matched.push(at - 1);
        return;
      }
    }
  }
}

/** The ACLs of one resource type, indexed by pattern. */
class ResourceIndex {
  literal: Map<string, AclList> = new Map<string, AclList>();
  prefixed: PrefixIndex = new PrefixIndex();
  wildcard: AclList;

  constructor(lists: Array<AclList>) { this.wildcard = newList(lists); }

  add(acl: Acl, lists: Array<AclList>): void {
    const name = acl.resourceName;
    if (acl.patternType == PatternType.Literal) {
      if (name == WILDCARD) {
        this.wildcard.acls.push(acl);
      } else if (this.literal.has(name)) {
        this.literal.get(name).acls.push(acl);
      } else {
        const list = newList(lists);
        list.acls.push(acl);
        this.literal.set(name, list);
      }
      return;
    }
    this.prefixed.add(acl, lists);
  }
}

/** What a list holds about a client when it holds nothing about it (shared, never written). */
const NONE_ABOUT: Array<Acl> = new Array<Acl>();

/**
 * The ACLs of each list about one principal and host, picked the first time a check needs
 * them. A request names up to filter.maxRequestElements resources, and the ACLs of a pattern
 * that many share (LITERAL "*", a short prefix) can be thousands, one per principal or host:
 * picking those about the client at every check made a Metadata request of 40,000 names against
 * 4,000 such ACLs take 4.5 s of a VM. A connection's principal and host stay the same, so each
 * list is picked once per client, and a check then costs the ACLs about it.
 */
class ClientAcls {
  private readonly picked: StaticArray<Array<Acl> | null>;

  constructor(readonly principal: string, readonly host: string, lists: i32) {
    this.picked = new StaticArray<Array<Acl> | null>(lists);
  }

  about(list: AclList): Array<Acl> {
    const known = unchecked(this.picked[list.id]);
    if (known != null) return known;
    let about = NONE_ABOUT;
    const acls = list.acls;
    for (let i = 0, n = acls.length; i < n; i++) {
      const acl = unchecked(acls[i]);
      if (!aclAppliesTo(acl, this.principal, this.host)) continue;
      if (about == NONE_ABOUT) about = new Array<Acl>();
      about.push(acl);
    }
    unchecked(this.picked[list.id] = about);
    return about;
  }
}

/** Clients (principal and host) whose picked ACLs an authorizer keeps; past it, it starts over. */
const MAX_CLIENTS_KEPT: i32 = 64;

/** Why a request was allowed or denied. */
export enum AuthzReason {
  /** The principal is a super user. */
  SuperUser = 1,
  /** An ALLOW ACL matched (and no DENY). */
  AllowAcl = 2,
  /** A DENY ACL matched. */
  DenyAcl = 3,
  /** No ACL applies to the resource and allowEveryoneIfNoAclFound is true. */
  NoAclAllowEveryone = 4,
  /** No ACL applies to the resource and allowEveryoneIfNoAclFound is false. */
  NoAclDeny = 5,
  /** ACLs apply to the resource but none allows this principal, host and operation. */
  NoMatchingAllow = 6,
}

const REASON_NAMES: StaticArray<string> = [
  "UNKNOWN", "SUPER_USER", "ALLOW_ACL", "DENY_ACL", "NO_ACL_ALLOW_EVERYONE", "NO_ACL_DENY", "NO_MATCHING_ALLOW",
];
/** The reason as a constant name, for machine-readable explanations. */
export function authzReasonName(r: i32): string { return nameOf(REASON_NAMES, r); }

/** A decision packed in an i32: reason in the low 4 bits, the ACL index + 1 above them. */
@inline function pack(reason: AuthzReason, aclIndex: i32): i32 { return ((aclIndex + 1) << 4) | <i32>reason; }
@inline export function decisionReason(d: i32): AuthzReason { return <AuthzReason>(d & 15); }
@inline export function decisionAclIndex(d: i32): i32 { return (d >> 4) - 1; }
@inline export function decisionAllowed(d: i32): bool {
  const r = d & 15;
  return r == AuthzReason.SuperUser || r == AuthzReason.AllowAcl || r == AuthzReason.NoAclAllowEveryone;
}

export class AuthzResult {
  allowed: bool;
  reason: AuthzReason;
  /** The deciding ACL's index in "acls", or -1 (super user, default, or no matching ALLOW). */
  aclIndex: i32;

  constructor(allowed: bool, reason: AuthzReason, aclIndex: i32) {
    this.allowed = allowed;
    this.reason = reason;
    this.aclIndex = aclIndex;
  }

  /** E.g. "denied by acls[3]", "allowed: super user". */
  describe(): string {
    const idx = "acls[" + this.aclIndex.toString() + "]";
    switch (this.reason) {
      case AuthzReason.SuperUser: return "allowed: super user";
      case AuthzReason.AllowAcl: return "allowed by " + idx;
      case AuthzReason.DenyAcl: return "denied by " + idx;
      case AuthzReason.NoAclAllowEveryone: return "allowed: no ACL for the resource and allowEveryoneIfNoAclFound is true";
      case AuthzReason.NoAclDeny: return "denied: no ACL for the resource";
      default: return "denied: no ACL allows it";
    }
  }
}

/** Adds the ACLs of `list` about the client to `about`; whether `list` has any ACL. */
function pickAbout(list: AclList, client: ClientAcls, about: Array<Acl>): bool {
  const picked = client.about(list);
  for (let i = 0, n = picked.length; i < n; i++) about.push(unchecked(picked[i]));
  return list.acls.length > 0;
}

/** Adds the DENYs of `list` about the client to `about` (the wildcard's, for a name out of its reach). */
function pickDenies(list: AclList, client: ClientAcls, about: Array<Acl>): void {
  const picked = client.about(list);
  for (let i = 0, n = picked.length; i < n; i++) {
    const acl = unchecked(picked[i]);
    if (acl.permission == AclPermission.Deny) about.push(acl);
  }
}

/** A DENY of `list` about the client deciding this request: its index, or -1. */
function denyIn(list: AclList, client: ClientAcls, op: i32): i32 {
  const picked = client.about(list);
  for (let i = 0, n = picked.length; i < n; i++) {
    const acl = unchecked(picked[i]);
    if (acl.permission == AclPermission.Deny && aclCovers(acl, op)) return acl.index;
  }
  return -1;
}

/** Is the name out of the LITERAL "*" wildcard's reach on Kafka (it starts with "*" and is not "*")? See the head of this file. */
@inline function outOfWildcardReach(name: string): bool {
  return name.length > 1 && load<u16>(changetype<usize>(name)) == 42;
}

export class AclAuthorizer {
  readonly acls: Array<Acl>;
  readonly superUsers: Set<string>;
  readonly allowEveryoneIfNoAclFound: bool;
  private readonly byType: StaticArray<ResourceIndex | null> = new StaticArray<ResourceIndex | null>(8);
  /** Every list of the index, by id. */
  private readonly lists: Array<AclList> = new Array<AclList>();
  /** Clients' picked ACLs, by host and principal (clientAcls); the last one asked for. */
  private readonly clients: Map<string, ClientAcls> = new Map<string, ClientAcls>();
  private lastClient: ClientAcls | null = null;
  // Scan state of one decide() call (the module is single-threaded and decide() is not re-entered).
  private sawAcl: bool = false;
  private allowIndex: i32 = -1;

  constructor(acls: Array<Acl>, superUsers: Set<string>, allowEveryoneIfNoAclFound: bool) {
    this.acls = acls;
    this.superUsers = superUsers;
    this.allowEveryoneIfNoAclFound = allowEveryoneIfNoAclFound;
    for (let i = 0; i < acls.length; i++) {
      const acl = unchecked(acls[i]);
      const t = <i32>acl.resourceType;
      if (<u32>t >= 8) continue; // load() admits only concrete types
      let idx = unchecked(this.byType[t]);
      if (idx == null) {
        idx = new ResourceIndex(this.lists);
        unchecked(this.byType[t] = idx);
      }
      idx.add(acl, this.lists);
    }
    for (let t = 0; t < 8; t++) {
      const idx = unchecked(this.byType[t]);
      if (idx != null) idx.prefixed.seal();
    }
  }

  /**
   * Kafka's Authorizer.authorizeByResourceType (StandardAuthorizer inherits it): may the
   * principal do `op` on SOME resource of this type? Allowed if it may on a resource named
   * "hardcode" (super users, the no-ACL default, wildcard ALLOWs); else denied by any
   * wildcard DENY; else allowed by an ALLOW whose pattern no DENY covers (a LITERAL DENY of
   * the same name, or a PREFIXED DENY of a prefix of it). Only `op` and ALL ACLs count.
   * (InitProducerId of an idempotent producer asks this for WRITE on topics.)
   */
  authorizeByResourceType(principal: string, host: string, resourceType: i32, op: i32): bool {
    if (this.authorize(principal, host, resourceType, "hardcode", op).allowed) return true;
    const deniedLiterals = new Set<string>();
    const deniedPrefixes = new Set<string>();
    const allowedLiterals = new Array<string>();
    const allowedPrefixes = new Array<string>();
    let allowedEvery = false;
    const acls = this.acls;
    for (let i = 0; i < acls.length; i++) {
      const acl = unchecked(acls[i]);
      if (<i32>acl.resourceType != resourceType) continue;
      if (acl.principal != WILDCARD_PRINCIPAL && acl.principal != principal) continue;
      if (!hostApplies(acl, host)) continue;
      if (<i32>acl.operation != op && acl.operation != AclOperation.All) continue;
      const literal = acl.patternType == PatternType.Literal;
      if (acl.permission == AclPermission.Deny) {
        if (literal && acl.resourceName == WILDCARD) return false;
        if (literal) deniedLiterals.add(acl.resourceName);
        else deniedPrefixes.add(acl.resourceName);
      } else if (literal && acl.resourceName == WILDCARD) {
        allowedEvery = true; // unless a wildcard DENY comes later
      } else if (literal) {
        allowedLiterals.push(acl.resourceName);
      } else {
        allowedPrefixes.push(acl.resourceName);
      }
    }
    if (allowedEvery) return true;
    for (let i = 0; i < allowedLiterals.length; i++) {
      const name = unchecked(allowedLiterals[i]);
      if (!deniedLiterals.has(name) && !hasDeniedPrefix(name, deniedPrefixes)) return true;
    }
    for (let i = 0; i < allowedPrefixes.length; i++) {
      if (!hasDeniedPrefix(unchecked(allowedPrefixes[i]), deniedPrefixes)) return true;
    }
    return false;
  }

  /**
   * May the principal do `op` on every resource of the type, whatever its name (one that does
   * not exist yet included)? A super user may; else no ACL about this principal and host may
   * deny `op` (or ALL) on any resource of the type, and an ALLOW covering `op` must name every
   * resource (LITERAL "*"), unless no ACL names any resource of the type and
   * allowEveryoneIfNoAclFound lets everyone. Not one of Kafka's questions: the filter asks it
   * where the broker behind it decides on every resource at once (a regular expression the
   * broker resolves against every topic).
   */
  mayOnEveryResource(principal: string, host: string, resourceType: i32, op: i32): bool {
    if (this.superUsers.has(principal)) return true;
    let any = false, allowedEvery = false;
    const acls = this.acls;
    for (let i = 0; i < acls.length; i++) {
      const acl = unchecked(acls[i]);
      if (<i32>acl.resourceType != resourceType) continue;
      any = true;
      if (!aclAppliesTo(acl, principal, host) || !aclCovers(acl, op)) continue;
      if (acl.permission == AclPermission.Deny) return false;
      if (acl.patternType == PatternType.Literal && acl.resourceName == WILDCARD) allowedEvery = true;
    }
    return allowedEvery || (!any && this.allowEveryoneIfNoAclFound);
  }

  /** Objects this authorizer holds, about (runtime/collect.ts paces collections by them): per ACL, it, its strings, its place in the index. */
  heldObjects(): i32 { return this.acls.length * 6; }

  /** The ACLs about this principal and host, as picked so far. */
  private clientAcls(principal: string, host: string): ClientAcls {
    const last = this.lastClient;
    if (last != null && last.principal == principal && last.host == host) return last;
    // A host has no NUL (an address): the key is the pair's alone.
    const key = host + "\0" + principal;
    let client: ClientAcls;
    if (this.clients.has(key)) {
      client = this.clients.get(key);
    } else {
      if (this.clients.size >= MAX_CLIENTS_KEPT) this.clients.clear();
      client = new ClientAcls(principal, host, this.lists.length);
      this.clients.set(key, client);
    }
    this.lastClient = client;
    return client;
  }

  /** Scans ACLs that apply to the resource: a DENY's index, or -1 (updating the scan state). */
  private scan(list: AclList, client: ClientAcls, op: i32): i32 {
    if (list.acls.length > 0) this.sawAcl = true;
    const about = client.about(list);
    for (let i = 0, n = about.length; i < n; i++) {
      const acl = unchecked(about[i]);
      if (!aclCovers(acl, op)) continue;
      if (acl.permission == AclPermission.Deny) return acl.index;
      if (this.allowIndex < 0 || acl.index < this.allowIndex) this.allowIndex = acl.index;
    }
    return -1;
  }

  /**
   * The decision, packed (see decisionAllowed/decisionReason/decisionAclIndex). Allocates only
   * the first time a client's ACLs of a pattern are picked (ClientAcls).
   */
  decide(principal: string, host: string, resourceType: i32, resourceName: string, operation: i32): i32 {
    if (this.superUsers.has(principal)) return pack(AuthzReason.SuperUser, -1);
    this.sawAcl = false;
    this.allowIndex = -1;
    const idx = <u32>resourceType < 8 ? unchecked(this.byType[resourceType]) : null;
    if (idx != null) {
      const client = this.clientAcls(principal, host);
      let deny = -1;
      const literal = idx.literal;
      if (literal.has(resourceName)) {
        deny = this.scan(literal.get(resourceName), client, operation);
        if (deny >= 0) return pack(AuthzReason.DenyAcl, deny);
      }
      const prefixed = idx.prefixed;
      const matched = prefixed.matching(resourceName);
      for (let i = 0, n = matched.length; i < n; i++) {
        deny = this.scan(unchecked(prefixed.groups[unchecked(matched[i])]).acls, client, operation);
        if (deny >= 0) return pack(AuthzReason.DenyAcl, deny);
      }
      deny = outOfWildcardReach(resourceName)
        ? denyIn(idx.wildcard, client, operation)
        : this.scan(idx.wildcard, client, operation);
      if (deny >= 0) return pack(AuthzReason.DenyAcl, deny);
    }
    if (this.allowIndex >= 0) return pack(AuthzReason.AllowAcl, this.allowIndex);
    if (!this.sawAcl) {
      return this.allowEveryoneIfNoAclFound ? pack(AuthzReason.NoAclAllowEveryone, -1) : pack(AuthzReason.NoAclDeny, -1);
    }
    return pack(AuthzReason.NoMatchingAllow, -1);
  }

  /**
   * Kafka's AuthHelper.authorizedOperations: bit `op` for each of `operations` that decide()
   * allows on the resource. The resource's ACLs are looked up, and those about this principal
   * and host picked, once, not once per operation (a DescribeTopicPartitions or Metadata
   * answer asks eight for every topic it shows).
   */
  allowedOperations(principal: string, host: string, resourceType: i32, resourceName: string, operations: StaticArray<i32>): i32 {
    let bits = 0;
    if (this.superUsers.has(principal)) {
      for (let i = 0; i < operations.length; i++) bits |= 1 << unchecked(operations[i]);
      return bits;
    }
    const about = this.about;
    about.length = 0;
    // As decide(): with no ACL on the resource at all, allowEveryoneIfNoAclFound decides.
    let sawAcl = false;
    const idx = <u32>resourceType < 8 ? unchecked(this.byType[resourceType]) : null;
    if (idx != null) {
      const client = this.clientAcls(principal, host);
      const literal = idx.literal;
      if (literal.has(resourceName)) sawAcl = pickAbout(literal.get(resourceName), client, about) || sawAcl;
      const prefixed = idx.prefixed;
      const matched = prefixed.matching(resourceName);
      for (let i = 0, n = matched.length; i < n; i++) {
        sawAcl = pickAbout(unchecked(prefixed.groups[unchecked(matched[i])]).acls, client, about) || sawAcl;
      }
      if (outOfWildcardReach(resourceName)) pickDenies(idx.wildcard, client, about);
      else sawAcl = pickAbout(idx.wildcard, client, about) || sawAcl;
    }
    for (let i = 0; i < operations.length; i++) {
      const op = unchecked(operations[i]);
      let allowed = !sawAcl && this.allowEveryoneIfNoAclFound;
      for (let j = 0, n = about.length; j < n; j++) {
        const acl = unchecked(about[j]);
        if (!aclCovers(acl, op)) continue;
        if (acl.permission == AclPermission.Deny) {
          allowed = false;
          break;
        }
        allowed = true;
      }
      if (allowed) bits |= 1 << op;
    }
    return bits;
  }

  /** The ACLs about one principal and host, picked by allowedOperations (reused). */
  private readonly about: Array<Acl> = new Array<Acl>();

  authorize(principal: string, host: string, resourceType: i32, resourceName: string, operation: i32): AuthzResult {
    const d = this.decide(principal, host, resourceType, resourceName, operation);
    return new AuthzResult(decisionAllowed(d), decisionReason(d), decisionAclIndex(d));
  }
}

function hasDeniedPrefix(name: string, deniedPrefixes: Set<string>): bool {
  for (let end = 1; end <= name.length; end++) {
    if (deniedPrefixes.has(name.substring(0, end))) return true;
  }
  return false;
}
