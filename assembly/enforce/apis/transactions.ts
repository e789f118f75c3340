// TODO(helper): placeholder signatures; every function below must be implemented.

import { Verdict } from "../../filter/seam";
import { RequestContext } from "../context";

export function checkAddOffsetsToTxn(ctx: RequestContext): Verdict { return Verdict.close("checkAddOffsetsToTxn is not implemented yet"); }
export function checkAddPartitionsToTxn(ctx: RequestContext): Verdict { return Verdict.close("checkAddPartitionsToTxn is not implemented yet"); }
export function checkDescribeTransactions(ctx: RequestContext): Verdict { return Verdict.close("checkDescribeTransactions is not implemented yet"); }
export function checkEndTxn(ctx: RequestContext): Verdict { return Verdict.close("checkEndTxn is not implemented yet"); }
export function checkInitProducerId(ctx: RequestContext): Verdict { return Verdict.close("checkInitProducerId is not implemented yet"); }
export function checkListTransactions(ctx: RequestContext): Verdict { return Verdict.close("checkListTransactions is not implemented yet"); }
export function checkTxnOffsetCommit(ctx: RequestContext): Verdict { return Verdict.close("checkTxnOffsetCommit is not implemented yet"); }
