// Warnings a client can set off once per request: a request (or its answer) the codecs cannot
// read, passed on under "onDecodeError": "pass"; a policy service's failed answer to a question
// the client made new. As with refusals (refusal-log.ts), a client must not turn them into a log
// flood: each VM writes at most WARNINGS_PER_SECOND of them in a second (runtime/line-budget.ts).
// Past that they are counted in kafka.warnings_not_logged (their own counters,
// kafka.request_decode_errors, kafka.external.failures, ..., count every one), and one line says
// how many were not written and what the last of them said.

import { LineBudget } from "../runtime/line-budget";
import { LogLevelValues } from "../runtime/host";

const WARNINGS_PER_SECOND: i32 = 100;

const warnings = new LineBudget(LogLevelValues.warn, WARNINGS_PER_SECOND, "kafka.warnings_not_logged",
  "warnings", "their counters count them");

/** Defines the counter with the VM's first connection, so that dashboards find it at 0. */
export function defineWarningsCounter(): void { warnings.define(); }

/** Writes `message` (already escaped where it quotes the wire) at warn level, within the VM's budget. */
export function warnBounded(message: string): void { warnings.write(message); }
