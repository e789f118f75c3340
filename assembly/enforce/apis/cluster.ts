// TODO(helper): placeholder signatures; every function below must be implemented.

import { Verdict } from "../../filter/seam";
import { RequestContext } from "../context";
export function checkClusterOperation(ctx: RequestContext, operation: i32): Verdict { return Verdict.close("checkClusterOperation is not implemented yet"); }
export function checkCreateAcls(ctx: RequestContext): Verdict { return Verdict.close("checkCreateAcls is not implemented yet"); }
export function checkDelegationToken(ctx: RequestContext): Verdict { return Verdict.close("checkDelegationToken is not implemented yet"); }
export function checkDeleteAcls(ctx: RequestContext): Verdict { return Verdict.close("checkDeleteAcls is not implemented yet"); }
export function checkDescribeAcls(ctx: RequestContext): Verdict { return Verdict.close("checkDescribeAcls is not implemented yet"); }
export function checkDescribeCluster(ctx: RequestContext): Verdict { return Verdict.close("checkDescribeCluster is not implemented yet"); }
