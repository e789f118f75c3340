// TODO(helper): placeholder signatures; every function below must be implemented.

import { Verdict } from "../../filter/seam";
import { RequestContext } from "../context";

export function checkAlterConfigs(ctx: RequestContext): Verdict { return Verdict.close("checkAlterConfigs is not implemented yet"); }
export function checkCreatePartitions(ctx: RequestContext): Verdict { return Verdict.close("checkCreatePartitions is not implemented yet"); }
export function checkCreateTopics(ctx: RequestContext): Verdict { return Verdict.close("checkCreateTopics is not implemented yet"); }
export function checkDeleteRecords(ctx: RequestContext): Verdict { return Verdict.close("checkDeleteRecords is not implemented yet"); }
export function checkDeleteTopics(ctx: RequestContext): Verdict { return Verdict.close("checkDeleteTopics is not implemented yet"); }
export function checkDescribeConfigs(ctx: RequestContext): Verdict { return Verdict.close("checkDescribeConfigs is not implemented yet"); }
export function checkDescribeProducers(ctx: RequestContext): Verdict { return Verdict.close("checkDescribeProducers is not implemented yet"); }
export function checkDescribeTopicPartitions(ctx: RequestContext): Verdict { return Verdict.close("checkDescribeTopicPartitions is not implemented yet"); }
export function checkFetch(ctx: RequestContext): Verdict { return Verdict.close("checkFetch is not implemented yet"); }
export function checkIncrementalAlterConfigs(ctx: RequestContext): Verdict { return Verdict.close("checkIncrementalAlterConfigs is not implemented yet"); }
export function checkListConfigResources(ctx: RequestContext): Verdict { return Verdict.close("checkListConfigResources is not implemented yet"); }
export function checkListOffsets(ctx: RequestContext): Verdict { return Verdict.close("checkListOffsets is not implemented yet"); }
export function checkMetadata(ctx: RequestContext): Verdict { return Verdict.close("checkMetadata is not implemented yet"); }
export function checkOffsetForLeaderEpoch(ctx: RequestContext): Verdict { return Verdict.close("checkOffsetForLeaderEpoch is not implemented yet"); }
