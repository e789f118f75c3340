// Kafka's own command-line tools (kafka-tools 4.4, as kafka-acls.sh, kafka-configs.sh, ... run
// them), against a listener as a user would point them at the proxy.

import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { USERS, type UserName } from "./env";
import { CONSOLE_JARS, writeSaslProperties } from "./drivers";
import { run, type Proc } from "./proc";

/**
 * Tool `className` (org.apache.kafka.tools.<className>: AclCommand, ConfigCommand, ...) with
 * `args` at `bootstrap`: as SASL/PLAIN user `user`, or with no credentials (null). A tool whose
 * subcommand must come before the connection options (kafka-cluster's) names it in `subcommand`.
 */
export async function kafkaTool(className: string, bootstrap: string, user: UserName | null, args: string[], subcommand?: string): Promise<Proc> {
  const conn = [...(subcommand !== undefined ? [subcommand] : []), "--bootstrap-server", bootstrap];
  if (user !== null) {
    const f = join(mkdtempSync(join(tmpdir(), "e2e-tool-")), "client.properties");
    writeSaslProperties(f, "PLAIN", USERS[user].username, USERS[user].password);
    conn.push("--command-config", f);
  }
  return run("java", ["-Dorg.slf4j.simpleLogger.defaultLogLevel=error", "-cp", CONSOLE_JARS, `org.apache.kafka.tools.${className}`, ...conn, ...args],
    { timeoutMs: 60_000 });
}
