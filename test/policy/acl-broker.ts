// A throwaway single-node KRaft broker with Kafka's StandardAuthorizer, for checking the
// filter's ACL decisions against the broker's own. Not the e2e stack (which has no
// authorizer): its own free ports, its own storage in a temporary directory, stopped by stop().
// Kafka's jars come from `make kafka`, kafka-acls' (AclCommand) from `make clients`.

import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync, existsSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import net from "node:net";
import { join, resolve } from "node:path";
import assert from "node:assert/strict";
import { Conn } from "../bench/lib/wire";

const ROOT = resolve(import.meta.dirname, "..", "..");
/** The Kafka release the project is pinned to (the Makefile's KAFKA_PIN): this broker runs it. */
export const KAFKA_PIN = pinnedKafka();

function pinnedKafka(): string {
  const pin = /^KAFKA_PIN\s*:=\s*(\S+)/m.exec(readFileSync(join(ROOT, "Makefile"), "utf8"))?.[1];
  if (pin === undefined) throw new Error("the Makefile names no KAFKA_PIN");
  return pin;
}
const KAFKA_LIBS = join(ROOT, ".cache", "kafka", KAFKA_PIN, "libs");
const CONSOLE_LIBS = join(ROOT, ".cache", "clients", "console-4.4.0");
const LOG4J = join(ROOT, "test", "e2e", "kafka", "log4j2.properties");
const CLUSTER_ID = "YWNsLWJyb2tlci10ZXN0MQ";
/** SASL/PLAIN users of this broker; each password is `<name>-secret`. */
export const USERS = ["admin", "alice", "bob", "carol", "dave"];
// Small JVMs: the broker and each kafka-acls run share CI's two cores with the other suites.
const JVM = ["-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Djava.awt.headless=true", `-Dlog4j2.configurationFile=${LOG4J}`];

export function jarsPresent(): string | null {
  if (!existsSync(join(KAFKA_LIBS, `kafka_2.13-${KAFKA_PIN}.jar`))) return `no broker jars in ${KAFKA_LIBS} (make kafka)`;
  if (!existsSync(join(CONSOLE_LIBS, "kafka-tools-4.4.0.jar"))) return `no kafka-tools jar in ${CONSOLE_LIBS} (make clients)`;
  return null;
}

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = net.createServer();
    s.once("error", rej);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => res(port));
    });
  });
}

const plainJaas = (user: string) =>
  `org.apache.kafka.common.security.plain.PlainLoginModule required username="${user}" password="${user}-secret"`;

export class AclBroker {
  private constructor(readonly dir: string, readonly port: number, private readonly proc: ChildProcess) {}

  get bootstrap(): string { return `127.0.0.1:${this.port}`; }

  /**
   * `allowEveryoneIfNoAclFound`: Kafka's allow.everyone.if.no.acl.found (true here by default:
   * resources no ACL names are open, so the default gets probed too).
   */
  static async start(timeoutMs = 90000, allowEveryoneIfNoAclFound = true): Promise<AclBroker> {
    const dir = mkdtempSync(join(tmpdir(), "acl-broker-"));
    const [port, controllerPort] = [await freePort(), await freePort()];
    const props = join(dir, "server.properties");
    writeFileSync(props, [
      "process.roles=broker,controller", "node.id=1",
      `controller.quorum.voters=1@127.0.0.1:${controllerPort}`, "controller.listener.names=CONTROLLER",
      `listeners=SASL_PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
      `advertised.listeners=SASL_PLAINTEXT://127.0.0.1:${port}`,
      "listener.security.protocol.map=SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT",
      "inter.broker.listener.name=SASL_PLAINTEXT", "sasl.enabled.mechanisms=PLAIN", "sasl.mechanism.inter.broker.protocol=PLAIN",
      `listener.name.sasl_plaintext.plain.sasl.jaas.config=${plainJaas("admin")} ${USERS.map((u) => `user_${u}="${u}-secret"`).join(" ")};`,
      "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer",
      // admin for the setup; ANONYMOUS is the broker itself on the controller listener.
      "super.users=User:admin;User:ANONYMOUS",
      `allow.everyone.if.no.acl.found=${allowEveryoneIfNoAclFound}`,
      `log.dirs=${join(dir, "data")}`,
      "num.partitions=1", "default.replication.factor=1", "offsets.topic.replication.factor=1", "offsets.topic.num.partitions=1",
      "transaction.state.log.replication.factor=1", "transaction.state.log.min.isr=1", "transaction.state.log.num.partitions=1",
      "share.coordinator.state.topic.replication.factor=1", "share.coordinator.state.topic.min.isr=1",
      "group.initial.rebalance.delay.ms=0", "num.network.threads=1", "num.io.threads=2", "",
    ].join("\n"));
    const java = (args: string[], heap: string) => ["-Xmx" + heap, ...JVM, `-Dkafka.logs.dir=${dir}`, "-cp", `${KAFKA_LIBS}/*`, ...args];
    const format = spawnSync("java", java(["kafka.tools.StorageTool", "format", "--config", props, "--cluster-id", CLUSTER_ID], "256m"), { encoding: "utf8" });
    if (format.status !== 0) throw new Error(`formatting the ACL broker's storage failed: ${format.stdout}${format.stderr}`);
    const log = join(dir, "server.log");
    const proc = spawn("sh", ["-c", 'exec "$@" >"$0" 2>&1', log, "java", ...java(["kafka.Kafka", props], "384m")], { stdio: "ignore" });
    const broker = new AclBroker(dir, port, proc);
    const t0 = Date.now();
    while (!(existsSync(log) && readFileSync(log, "utf8").includes("Kafka Server started"))) {
      if (proc.exitCode !== null || Date.now() - t0 > timeoutMs) {
        const tail = existsSync(log) ? readFileSync(log, "utf8").split("\n").slice(-20).join("\n") : "";
        await broker.stop();
        throw new Error(`the ACL broker did not start (exit ${proc.exitCode}):\n${tail}`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    return broker;
  }

  /** kafka-acls.sh with these arguments, as admin; its stdout. */
  kafkaAcls(args: string[]): Promise<string> {
    const config = join(this.dir, "admin.properties");
    writeFileSync(config, `security.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\nsasl.jaas.config=${plainJaas("admin")};\n`);
    return new Promise((res, rej) => {
      const p = spawn("java", ["-Xmx96m", ...JVM, "-cp", `${CONSOLE_LIBS}/*`, "org.apache.kafka.tools.AclCommand",
        "--bootstrap-server", this.bootstrap, "--command-config", config, ...args]);
      let out = "";
      let err = "";
      p.stdout.on("data", (d) => (out += d));
      p.stderr.on("data", (d) => (err += d));
      p.on("close", (code) => (code === 0 ? res(out) : rej(new Error(`kafka-acls ${args.join(" ")}: exit ${code}\n${err.slice(-2000)}`))));
    });
  }

  /** Stops the broker (TERM, then KILL after 20 s) and removes its directory. */
  async stop(): Promise<void> {
    const p = this.proc;
    if (p.exitCode === null && p.signalCode === null) {
      const exited = new Promise((r) => p.once("exit", r));
      p.kill("SIGTERM");
      const timer = setTimeout(() => p.kill("SIGKILL"), 20000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A raw connection to the broker, signed in over SASL/PLAIN as one of its USERS. */
export class AclClient {
  private constructor(readonly conn: Conn) {}

  /** `user` from `host` (the client's own address: 127.0.0.2 for ACLs of another host). */
  static async signIn(bootstrap: string, user: string, host = "127.0.0.1"): Promise<AclClient> {
    const c = new AclClient(await Conn.connect(bootstrap, host));
    const hs = await c.call(17, 1, { mechanism: "PLAIN" });
    assert.equal(hs.errorCode, 0, `SaslHandshake as ${user}`);
    const auth = await c.call(36, 2, { authBytes: Buffer.from(`\0${user}\0${user}-secret`).toString("base64") });
    assert.equal(auth.errorCode, 0, `SaslAuthenticate as ${user}: ${auth.errorMessage}`);
    return c;
  }

  /** `body` as request `apiKey` v`version`; the answer's body, decoded. */
  call(apiKey: number, version: number, body: unknown): Promise<any> { return this.conn.call(apiKey, version, body, "acl-probe"); }

  get closed(): boolean { return this.conn.closed; }

  close(): void { this.conn.close(); }
}
