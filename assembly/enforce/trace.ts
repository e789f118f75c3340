// What the checks of one request asked and decided, recorded only when a RequestTrace is set
// on its RequestContext (`kafka-wasm policy explain --api`; the filter sets none).

/** One ACL question a check asked, with the authorizer's packed decision (see policy/acl.ts). */
export class AclCheck {
  constructor(
    readonly resourceType: i32,
    readonly resourceName: string,
    readonly operation: i32,
    readonly decision: i32,
    /** Asked of some resource of the type (Authorizer.authorizeByResourceType): decision is 1 or 0. */
    readonly onSomeResource: bool,
  ) {}
}

/** One refusal the filter would log and answer. */
export class TracedDenial {
  constructor(readonly resource: string, readonly reason: string, readonly error: string) {}
}

export class RequestTrace {
  readonly checks: Array<AclCheck> = new Array<AclCheck>();
  readonly denials: Array<TracedDenial> = new Array<TracedDenial>();
}
