// The e2e policy's ACLs (test/e2e/policy.json), for tests that compute what to expect from them.

import { readFileSync } from "node:fs";
import { POLICY_FILE } from "./env";

export interface PolicyAcl {
  principal: string; host?: string; resourceType: string; resourceName: string;
  resourcePatternType?: string; operation: string; permissionType: string;
}

export const POLICY_ACLS = (JSON.parse(readFileSync(POLICY_FILE, "utf8")) as { acls: PolicyAcl[] }).acls;

/** Does the ACL's resource pattern cover `name` (LITERAL: that name or "*"; PREFIXED: a prefix of it)? */
export function patternCovers(a: PolicyAcl, name: string): boolean {
  return (a.resourcePatternType ?? "LITERAL") === "PREFIXED" ? name.startsWith(a.resourceName) : a.resourceName === name || a.resourceName === "*";
}

/** Does the ACL apply to the tests' clients, which all connect from 127.0.0.1 (its host "*" or that)? */
export function fromLoopback(a: PolicyAcl): boolean {
  return a.host === undefined || a.host === "*" || a.host === "127.0.0.1";
}
