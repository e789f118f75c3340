// What the checks of one request asked and decided, recorded only when a RequestTrace is set
// on its RequestContext (`kafka-wasm policy explain --api`; the filter sets none).

/** One ACL question a check asked, and the authorizer's answer. */
export class AclCheck {
  constructor(
    readonly resourceType: i32,
    /** "" when asked of some resource of the type (Authorizer.authorizeByResourceType). */
    readonly resourceName: string,
    readonly operation: i32,
    readonly allowed: bool,
    /** The packed decision with its reason and ACL (policy/acl.ts); 0 when asked of some resource. */
    readonly decision: i32,
  ) {}

  get onSomeResource(): bool { return this.decision == 0; }
}

/** One refusal the filter would log and answer. */
export class TracedDenial {
  constructor(readonly resource: string, readonly reason: string, readonly error: string) {}
}

export class RequestTrace {
  readonly checks: Array<AclCheck> = new Array<AclCheck>();
  readonly denials: Array<TracedDenial> = new Array<TracedDenial>();
}
