// TODO(helper): placeholder signatures; every function below must be implemented.

import { Verdict } from "../../filter/seam";
import { RequestContext } from "../context";

export function checkAlterShareGroupOffsets(ctx: RequestContext): Verdict { return Verdict.close("checkAlterShareGroupOffsets is not implemented yet"); }
export function checkConsumerGroupDescribe(ctx: RequestContext): Verdict { return Verdict.close("checkConsumerGroupDescribe is not implemented yet"); }
export function checkConsumerGroupHeartbeat(ctx: RequestContext): Verdict { return Verdict.close("checkConsumerGroupHeartbeat is not implemented yet"); }
export function checkDeleteGroups(ctx: RequestContext): Verdict { return Verdict.close("checkDeleteGroups is not implemented yet"); }
export function checkDeleteShareGroupOffsets(ctx: RequestContext): Verdict { return Verdict.close("checkDeleteShareGroupOffsets is not implemented yet"); }
export function checkDescribeGroups(ctx: RequestContext): Verdict { return Verdict.close("checkDescribeGroups is not implemented yet"); }
export function checkDescribeShareGroupOffsets(ctx: RequestContext): Verdict { return Verdict.close("checkDescribeShareGroupOffsets is not implemented yet"); }
export function checkFindCoordinator(ctx: RequestContext): Verdict { return Verdict.close("checkFindCoordinator is not implemented yet"); }
export function checkHeartbeat(ctx: RequestContext): Verdict { return Verdict.close("checkHeartbeat is not implemented yet"); }
export function checkJoinGroup(ctx: RequestContext): Verdict { return Verdict.close("checkJoinGroup is not implemented yet"); }
export function checkLeaveGroup(ctx: RequestContext): Verdict { return Verdict.close("checkLeaveGroup is not implemented yet"); }
export function checkListGroups(ctx: RequestContext): Verdict { return Verdict.close("checkListGroups is not implemented yet"); }
export function checkOffsetCommit(ctx: RequestContext): Verdict { return Verdict.close("checkOffsetCommit is not implemented yet"); }
export function checkOffsetDelete(ctx: RequestContext): Verdict { return Verdict.close("checkOffsetDelete is not implemented yet"); }
export function checkOffsetFetch(ctx: RequestContext): Verdict { return Verdict.close("checkOffsetFetch is not implemented yet"); }
export function checkShareAcknowledge(ctx: RequestContext): Verdict { return Verdict.close("checkShareAcknowledge is not implemented yet"); }
export function checkShareFetch(ctx: RequestContext): Verdict { return Verdict.close("checkShareFetch is not implemented yet"); }
export function checkShareGroupDescribe(ctx: RequestContext): Verdict { return Verdict.close("checkShareGroupDescribe is not implemented yet"); }
export function checkShareGroupHeartbeat(ctx: RequestContext): Verdict { return Verdict.close("checkShareGroupHeartbeat is not implemented yet"); }
export function checkStreamsGroupDescribe(ctx: RequestContext): Verdict { return Verdict.close("checkStreamsGroupDescribe is not implemented yet"); }
export function checkStreamsGroupHeartbeat(ctx: RequestContext): Verdict { return Verdict.close("checkStreamsGroupHeartbeat is not implemented yet"); }
export function checkStreamsGroupTopologyDescriptionUpdate(ctx: RequestContext): Verdict { return Verdict.close("checkStreamsGroupTopologyDescriptionUpdate is not implemented yet"); }
export function checkSyncGroup(ctx: RequestContext): Verdict { return Verdict.close("checkSyncGroup is not implemented yet"); }
