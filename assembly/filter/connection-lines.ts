// Lines a connection writes of itself: one when it closes (info; warn when the filter closed
// it), one when SASL names its principal (enforce/apis/connection.ts). A client can open and
// drop connections as fast as TCP's handshake allows, thousands a second from one host, each a
// line where Envoy itself writes none. So each VM writes at most CONNECTION_LINES_PER_SECOND of
// them a second (runtime/line-budget.ts); the rest are counted in
// kafka.connection_lines_not_logged and summed up by cause. Closes by the filter have a budget of
// their own: a busy cluster's ordinary churn must not crowd out the lines that say something is
// wrong, nor a flood of garbage hide the churn.

import { LineBudget } from "../runtime/line-budget";
import { LogLevelValues } from "../runtime/host";

const CONNECTION_LINES_PER_SECOND: i32 = 100;
const NOT_LOGGED = "kafka.connection_lines_not_logged";

/** A connection's close, and the principal SASL gave it. */
export const connectionLines = new LineBudget(LogLevelValues.info, CONNECTION_LINES_PER_SECOND, NOT_LOGGED,
  "connection lines", "kafka.connections counts every connection");

/** A close by the filter (a frame it would not pass, a limit, the policy). */
export const filterCloseLines = new LineBudget(LogLevelValues.warn, CONNECTION_LINES_PER_SECOND, NOT_LOGGED,
  "closes by the filter", "kafka.connections_closed_by_filter counts every one, and a counter for each cause");
