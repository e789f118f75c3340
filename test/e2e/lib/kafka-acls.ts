// Kafka's own kafka-acls tool (kafka-tools 4.4's AclCommand, as kafka-acls.sh runs it).

import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { USERS, type UserName } from "./env";
import { CONSOLE_JARS, writeSaslProperties } from "./drivers";
import { run, type Proc } from "./proc";

/** kafka-acls `args` at `bootstrap`: as SASL/PLAIN user `user`, or with no credentials (null). */
export async function kafkaAcls(bootstrap: string, user: UserName | null, args: string[]): Promise<Proc> {
  const conn = ["--bootstrap-server", bootstrap];
  if (user !== null) {
    const f = join(mkdtempSync(join(tmpdir(), "e2e-acls-")), "client.properties");
    writeSaslProperties(f, "PLAIN", USERS[user].username, USERS[user].password);
    conn.push("--command-config", f);
  }
  return run("java", ["-Dorg.slf4j.simpleLogger.defaultLogLevel=error", "-cp", CONSOLE_JARS, "org.apache.kafka.tools.AclCommand", ...conn, ...args],
    { timeoutMs: 60_000 });
}
