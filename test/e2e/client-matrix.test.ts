// The client matrix (issue 7, item 6): mainstream Kafka clients, as users run them, through
// Envoy + the filter. Each cell (client x listener) runs one scenario with the client's own
// driver (test/e2e/clients/README.md) and checks what really happened:
//   produce       3 values to an allowed topic T
//   deny-produce  a produce the policy refuses ends with the client's TOPIC_AUTHORIZATION_FAILED
//   deny-fetch    a group consumer of a topic it may describe but not read: the same error
//   after         the producer that met the denials produces one more value to T
//   list          the client's topic listing shows T and leaves out a topic it may not describe
//   group         a consumer group reads the 4 values of T and commits; the broker holds offset 4
// PLAINTEXT (19092, User:ANONYMOUS): T = e2e.matrix.*, denied produce to e2e.readonly.*, denied
// fetch of e2e.writeonly.*, hidden secret.*. SASL/PLAIN (19093): alice writes T = orders.*; bob
// may read orders.* but not write them (deny-produce); alice may write but not read them
// (deny-fetch, she describes them through WRITE); bob lists (secret.* hidden) and reads.
// The table of all cells is printed at the end (and copied into README.md).

import assert from "node:assert/strict";
import { after } from "node:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Kafka, logLevel, Partitioners } from "kafkajs";
import { e2e, within, type Ctx } from "./lib/harness";
import { PLAINTEXT, SASL, ROOT, USERS, BROKER_INTERNAL, unique, type UserName } from "./lib/env";
import { errorTypes } from "./lib/kafkajs";
import { API, Wire, directAdmin, directKafka, ensureTopics, request, response, whileUnknownTopic } from "./lib/attack";
import { librdkafkaVersion } from "./lib/kcat";
import * as kcatLib from "./lib/kcat";
import { run, type Proc } from "./lib/proc";
import { CLIENTS_DIR, CONSOLE_JARS, PYTHON, STEP_TIMEOUT_MS, driver, writeSaslProperties, parseConn, stepArg, type Conn, type Outcome, type Step } from "./lib/drivers";

const CELL_TIMEOUT_MS = 120_000;

// ---------------------------------------------------------------------------------------
// Clients

type Listener = "PLAINTEXT" | "SASL/PLAIN";
const LISTENERS: Listener[] = ["PLAINTEXT", "SASL/PLAIN"];

interface MatrixClient {
  name: string;
  version: () => Promise<string>;
  /** Runs the steps in order, the same way for every cell; `env` for a driver (KIP_848_PROTOCOL). */
  run: (steps: Step[], env?: NodeJS.ProcessEnv) => Promise<Outcome[]>;
  /** The client's name for TOPIC_AUTHORIZATION_FAILED. */
  authError: RegExp;
  /**
   * A scenario the client itself cannot pass against any Kafka (its own bug or limit): when it
   * fails and `check` confirms the known cause from the outcomes, the scenario reads n.a. with
   * the reason instead of FAIL. Anything else still fails.
   */
  clientLimits?: Partial<Record<Scenario, { reason: string; check: (o: Outcome[], p: Plan) => boolean }>>;
  /** Why a listener does not apply (n.a.), checked before the cell runs; null when it does. */
  notApplicable?: (l: Listener) => Promise<string | null>;
}

const TAF = /^TOPIC_AUTHORIZATION_FAILED$/;

function javaClient(version: string): MatrixClient {
  const dir = join(CLIENTS_DIR, `java-${version}`);
  return {
    name: `kafka-clients ${version.split(".").slice(0, 2).join(".")} (Java)`,
    version: async () => version,
    run: (steps, env) => driver("java", ["-cp", `${dir}/classes:${dir}/*`, "Driver"], steps, env),
    authError: TAF,
  };
}

// KIP-848's consumer group protocol (group.protocol=consumer: ConsumerGroupHeartbeat, the
// broker assigns), for the clients that speak it; the drivers' consumers take it from
// MATRIX_GROUP_PROTOCOL. A cluster serves it once its feature group.version is 1 or more: Kafka
// 4.x's by default; Kafka 3.9's offer ConsumerGroupHeartbeat but leave the feature at 0.
const KIP_848_PROTOCOL = { MATRIX_GROUP_PROTOCOL: "consumer" };
async function withoutKip848(): Promise<string | null> {
  const w = await Wire.at(BROKER_INTERNAL);
  try {
    await w.send(await request(API.ApiVersions, 3, 1, { clientSoftwareName: "e2e-matrix", clientSoftwareVersion: "1" }));
    const frame = await w.next(5000);
    if (frame === null) return "the broker did not answer ApiVersions";
    const features = ((await response(frame, API.ApiVersions, 3)).finalizedFeatures ?? []) as Array<{ name: string; maxVersionLevel: number }>;
    const level = features.find((f) => f.name === "group.version")?.maxVersionLevel ?? 0;
    return level >= 1 ? null : `the cluster has not enabled the consumer group protocol (feature group.version at ${level})`;
  } finally {
    w.destroy();
  }
}

function kip848(client: MatrixClient): MatrixClient {
  return { ...client, name: `${client.name}, group.protocol=consumer`, run: (steps) => client.run(steps, KIP_848_PROTOCOL), notApplicable: withoutKip848 };
}

const pythonVersion = (mod: string, expr: string) => async () =>
  (await run(PYTHON, ["-c", `import ${mod}; print(${expr})`], { timeoutMs: 10_000 })).stdout.trim();

// Kafka's own console tools (kafka-tools 4.4.0: ConsoleProducer, ConsoleConsumer, TopicCommand),
// one JVM per step as a user runs them; errors are the client's log lines.
async function consoleTools(steps: Step[]): Promise<Outcome[]> {
  const tmp = mkdtempSync(join(tmpdir(), "matrix-console-"));
  const out: Outcome[] = [];
  try {
    for (const [i, s] of steps.entries()) {
      const c = parseConn(s.conn);
      const props = join(tmp, `${i}.properties`);
      if (c.mechanism === undefined) writeFileSync(props, "");
      else writeSaslProperties(props, c.mechanism, c.username!, c.password!);
      const java = (cls: string, args: string[], input?: string) => run("java",
        ["-Dorg.slf4j.simpleLogger.defaultLogLevel=error", "-cp", CONSOLE_JARS, cls,
          "--bootstrap-server", c.bootstrap, "--command-config", props, ...args], { timeoutMs: STEP_TIMEOUT_MS + 15_000, input });
      const failure = (r: Proc): Outcome | null => {
        const m = /(\w+(?:Authorization|Exception)\w*): ([^\n]*)/.exec(r.stderr) ?? /(ERROR)[^\n]*\n?([^\n]*)/.exec(r.stderr);
        if (m !== null) return { op: s.op, ok: false, error: m[1], message: m[2] };
        if (r.timedOut || r.code !== 0) return { op: s.op, ok: false, error: r.timedOut ? "TIMEOUT" : `exit ${r.code}`, message: r.stderr.slice(-500) };
        return null;
      };
      if (s.op === "produce") {
        const r = await java("org.apache.kafka.tools.ConsoleProducer", ["--topic", s.topic, "--command-property", "acks=all",
          "--command-property", `delivery.timeout.ms=${STEP_TIMEOUT_MS}`, "--command-property", "request.timeout.ms=10000"],
        s.values.map((v) => v + "\n").join(""));
        out.push(failure(r) ?? { op: s.op, ok: true });
      } else if (s.op === "consume") {
        const r = await java("org.apache.kafka.tools.consumer.ConsoleConsumer", ["--topic", s.topic, "--group", s.group,
          "--from-beginning", "--max-messages", String(s.count), "--timeout-ms", String(STEP_TIMEOUT_MS)]);
        const values = r.stdout.split("\n").filter((l) => l.length > 0);
        out.push(failure(r) ?? (values.length >= s.count ? { op: s.op, ok: true, values }
          : { op: s.op, ok: false, error: "TIMEOUT", message: `got ${values.length} of ${s.count}` }));
      } else {
        const r = await java("org.apache.kafka.tools.TopicCommand", ["--list"]);
        out.push(failure(r) ?? { op: s.op, ok: true, topics: r.stdout.split("\n").filter((l) => l.length > 0) });
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return out;
}

// kafkajs in this process (lib/kafkajs's settings: short retries), one producer per connection.
async function kafkajsSteps(steps: Step[]): Promise<Outcome[]> {
  const kafkas = new Map<Conn, Kafka>();
  const kafkaFor = (conn: Conn): Kafka => {
    let k = kafkas.get(conn);
    if (k === undefined) {
      const c = parseConn(conn);
      k = new Kafka({
        clientId: "e2e-matrix", brokers: [c.bootstrap], logLevel: logLevel.NOTHING, connectionTimeout: 3000,
        requestTimeout: 10_000, retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1000 },
        ...(c.mechanism === "PLAIN" ? { sasl: { mechanism: "plain", username: c.username!, password: c.password! } } : {}),
      });
      kafkas.set(conn, k);
    }
    return k;
  };
  const producers = new Map<Conn, ReturnType<Kafka["producer"]>>();
  const out: Outcome[] = [];
  const fail = (op: string, e: unknown): Outcome =>
    ({ op, ok: false, error: errorTypes(e)[0] ?? (e as Error).name, message: (e as Error).message });
  try {
    for (const s of steps) {
      try {
        if (s.op === "produce") {
          let p = producers.get(s.conn);
          if (p === undefined) {
            p = kafkaFor(s.conn).producer({ createPartitioner: Partitioners.DefaultPartitioner });
            producers.set(s.conn, p);
            await within(p.connect(), 10_000, "producer connect");
          }
          for (const v of s.values) await within(p.send({ topic: s.topic, acks: -1, messages: [{ value: v }] }), STEP_TIMEOUT_MS, "send");
          out.push({ op: s.op, ok: true });
        } else if (s.op === "consume") {
          out.push(await kafkajsConsume(kafkaFor(s.conn), s));
        } else {
          const a = kafkaFor(s.conn).admin();
          try {
            await a.connect();
            out.push({ op: s.op, ok: true, topics: await a.listTopics() });
          } finally {
            await a.disconnect();
          }
        }
      } catch (e) {
        out.push(fail(s.op, e));
      }
    }
  } finally {
    for (const p of producers.values()) await p.disconnect().catch(() => undefined);
  }
  return out;
}

async function kafkajsConsume(kafka: Kafka, s: Extract<Step, { op: "consume" }>): Promise<Outcome> {
  const cons = kafka.consumer({
    groupId: s.group, sessionTimeout: 10_000, heartbeatInterval: 1000, maxWaitTimeInMs: 300,
    retry: { retries: 1, initialRetryTime: 100, maxRetryTime: 500, restartOnFailure: async () => false },
  });
  const got: string[] = [];
  try {
    await within(cons.connect(), 10_000, "consumer connect");
    await cons.subscribe({ topics: [s.topic], fromBeginning: true });
    await within(new Promise<void>((resolve, reject) => {
      cons.on(cons.events.CRASH, (e) => reject(e.payload.error));
      void cons.run({
        autoCommit: false,
        eachMessage: async ({ topic, partition, message }) => {
          got.push(message.value?.toString() ?? "");
          if (got.length >= s.count) {
            await cons.commitOffsets([{ topic, partition, offset: (BigInt(message.offset) + 1n).toString() }]);
            resolve();
          }
        },
      }).catch(reject);
    }), STEP_TIMEOUT_MS, `got ${got.length} of ${s.count}`);
    return { op: s.op, ok: true, values: got };
  } finally {
    await cons.disconnect().catch(() => undefined);
  }
}

// kcat (librdkafka from Debian), one process per step: -P, -G (balanced consumer group, which
// commits what it read when it leaves), -L.
async function kcatSteps(steps: Step[]): Promise<Outcome[]> {
  const out: Outcome[] = [];
  for (const s of steps) {
    const c = parseConn(s.conn);
    const conn = ["-b", c.bootstrap, "-X", "socket.timeout.ms=10000",
      ...(c.mechanism === undefined ? [] : ["-X", "security.protocol=SASL_PLAINTEXT", "-X", `sasl.mechanism=${c.mechanism}`,
        "-X", `sasl.username=${c.username}`, "-X", `sasl.password=${c.password}`])];
    const failure = (r: kcatLib.KcatResult): Outcome | null => {
      const m = /(?:ERROR|failed)[^:]*: (?:Broker: )?([^\n]*)/.exec(r.stderr);
      if (m !== null) return { op: s.op, ok: false, error: m[1].trim(), message: r.stderr.slice(0, 500) };
      if (r.timedOut || r.code !== 0) return { op: s.op, ok: false, error: r.timedOut ? "TIMEOUT" : `exit ${r.code}`, message: r.stderr.slice(0, 500) };
      return null;
    };
    if (s.op === "produce") {
      const r = await kcatLib.kcat(["-P", ...conn, "-X", `message.timeout.ms=${STEP_TIMEOUT_MS}`, "-X", "acks=all", "-t", s.topic],
        { input: s.values.map((v) => v + "\n").join(""), timeoutMs: STEP_TIMEOUT_MS + 5000 });
      out.push(failure(r) ?? { op: s.op, ok: true });
    } else if (s.op === "consume") {
      const r = await kcatLib.kcat(["-G", s.group, ...conn, "-X", "auto.offset.reset=earliest", "-c", String(s.count), "-q", "-f", "%s\\n", s.topic],
        { timeoutMs: STEP_TIMEOUT_MS });
      const values = r.stdout.split("\n").filter((l) => l.length > 0);
      out.push(values.length >= s.count ? { op: s.op, ok: true, values } : failure(r) ??
        { op: s.op, ok: false, error: "TIMEOUT", message: `got ${values.length} of ${s.count}` });
    } else {
      const r = await kcatLib.kcat(["-L", ...conn, "-m", "10"], { timeoutMs: STEP_TIMEOUT_MS });
      out.push(failure(r) ?? { op: s.op, ok: true, topics: [...r.stdout.matchAll(/^\s*topic "([^"]+)"/gm)].map((m) => m[1]) });
    }
  }
  return out;
}

const CONFLUENT: MatrixClient = {
  name: "confluent-kafka (librdkafka)", version: pythonVersion("confluent_kafka", "confluent_kafka.__version__ + ' / librdkafka ' + confluent_kafka.libversion()[0]"),
  run: (steps, env) => driver(PYTHON, [join(ROOT, "test/e2e/clients/python/driver.py"), "confluent"], steps, env), authError: TAF,
};

const FRANZ_GO: MatrixClient = {
  name: "franz-go", version: async () => goVersion("franz-go", "github.com/twmb/franz-go"),
  run: (steps, env) => driver(join(CLIENTS_DIR, "franz-go"), [], steps, env), authError: TAF,
};

const CLIENTS: MatrixClient[] = [
  {
    name: "console tools (Kafka 4.4.0)", version: async () => "4.4.0", run: consoleTools,
    authError: /^(TopicAuthorizationException|TOPIC_AUTHORIZATION_FAILED)$/,
  },
  javaClient("4.4.0"),
  javaClient("3.9.1"),
  javaClient("2.8.2"),
  kip848(javaClient("4.4.0")),
  CONFLUENT,
  kip848(CONFLUENT),
  FRANZ_GO,
  kip848(FRANZ_GO),
  {
    name: "sarama", version: async () => goVersion("sarama", "github.com/IBM/sarama"),
    run: (steps) => driver(join(CLIENTS_DIR, "sarama"), [], steps), authError: TAF,
  },
  {
    name: "kafka-python", version: pythonVersion("kafka", "kafka.__version__"),
    run: (steps) => driver(PYTHON, [join(ROOT, "test/e2e/clients/python/driver.py"), "kafka-python"], steps), authError: TAF,
    clientLimits: {
      after: {
        reason: "kafka-python's idempotent producer (its default) takes any non-retriable produce error as fatal " +
          "(TransactionManager.classify_batch_error -> ERROR_CLASS_FATAL) and replays the denial on every later send; " +
          "the filter sees no later Produce",
        // the later send fails with the earlier denial's topic, not its own
        check: (o, p) => !o[3].ok && o[3].error === "TOPIC_AUTHORIZATION_FAILED" && !(o[3].message ?? "").includes(p.topic),
      },
    },
  },
  {
    name: "aiokafka", version: pythonVersion("aiokafka", "aiokafka.__version__"),
    run: (steps) => driver(PYTHON, [join(ROOT, "test/e2e/clients/python/driver.py"), "aiokafka"], steps), authError: TAF,
  },
  {
    name: "kafka-go", version: async () => goVersion("kafka-go", "github.com/segmentio/kafka-go"),
    run: (steps) => driver(join(CLIENTS_DIR, "kafka-go"), [], steps), authError: TAF,
  },
  {
    name: "rskafka (Rust)", version: async () => /name = "rskafka"\nversion = "([^"]+)"/.exec(readFileSync(join(ROOT, "test/e2e/clients/rskafka/Cargo.lock"), "utf8"))?.[1] ?? "?",
    run: (steps) => driver(join(CLIENTS_DIR, "rskafka"), [], steps), authError: TAF,
    clientLimits: {
      group: {
        reason: "rskafka has no consumer groups: its driver reads the partition by offset and commits nothing",
        // it read every value produced, with nothing committed
        check: (o) => o[5].ok && (o[5].values?.length ?? 0) > 0,
      },
    },
  },
  {
    name: "kafkajs", version: async () => (await import("kafkajs/package.json", { with: { type: "json" } })).default.version,
    run: kafkajsSteps, authError: TAF,
  },
  {
    name: "kcat (librdkafka)", version: async () => `librdkafka ${(await librdkafkaVersion()).join(".")}`,
    run: kcatSteps, authError: /(^|: )Topic authorization failed$/,
  },
];

function goVersion(dir: string, mod: string): string {
  const gomod = join(ROOT, "test/e2e/clients", dir, "go.mod");
  const m = new RegExp(`${mod.replace(/\./g, "\\.")} (v[\\w.-]+)`).exec(readFileSync(gomod, "utf8"));
  return m?.[1] ?? "?";
}

// ---------------------------------------------------------------------------------------
// The scenario

const SCENARIOS = ["produce", "deny-produce", "deny-fetch", "after", "list", "group"] as const;
type Scenario = (typeof SCENARIOS)[number];

interface Cell { status: "pass" | "FAIL" | "n.a."; scenarios: Partial<Record<Scenario, string>>; note?: string }
const table = new Map<string, { version: string; cells: Partial<Record<Listener, Cell>> }>();

const conn = (l: Listener, user?: UserName): Conn =>
  l === "PLAINTEXT" ? `@${PLAINTEXT}` : `PLAIN:${USERS[user!].username}:${USERS[user!].password}@${SASL}`;

interface Plan { steps: Step[]; topic: string; group: string; hidden: string }

async function plan(c: Ctx, l: Listener, tag: string): Promise<Plan> {
  const pt = l === "PLAINTEXT";
  const topic = unique(pt ? "e2e.matrix." : "orders.matrix-", tag);
  const hidden = unique("secret.matrix-", tag);
  const denyProduce = pt ? unique("e2e.readonly.matrix-", tag) : hidden;
  const denyFetch = pt ? unique("e2e.writeonly.matrix-", tag) : topic;
  const group = unique("e2e.group.matrix-", tag);
  // Made at the broker directly, named by it before use; the denied-fetch topic has a record to fetch.
  const admin = await directAdmin(c);
  await ensureTopics(admin, [...new Set([topic, denyProduce, denyFetch, hidden])]);
  if (pt) {
    const p = directKafka().producer({ createPartitioner: Partitioners.DefaultPartitioner });
    c.cleanup(() => p.disconnect());
    await p.connect();
    // On a cluster the leader may learn of a new partition after Metadata names it (3.9, CI).
    await whileUnknownTopic(() => p.send({ topic: denyFetch, messages: [{ value: "not for ANONYMOUS" }] }));
  }
  const writer = conn(l, "alice"), reader = conn(l, "bob");
  return {
    topic, group, hidden,
    steps: [
      { op: "produce", conn: writer, topic, values: ["m1", "m2", "m3"] },
      { op: "produce", conn: writer, topic: denyProduce, values: ["denied"] },
      { op: "consume", conn: writer, topic: denyFetch, group: unique("e2e.group.matrix-denied-", tag), count: 1 },
      { op: "produce", conn: writer, topic, values: ["m4"] },
      { op: "list", conn: reader },
      { op: "consume", conn: reader, topic, group, count: 4 },
    ],
  };
}

/** What each scenario's outcome says: null when it passed, else why not. */
async function judge(c: Ctx, cl: MatrixClient, p: Plan, o: Outcome[]): Promise<Record<Scenario, string | null>> {
  const shown = (x: Outcome) => JSON.stringify(x).slice(0, 400);
  const okStep = (x: Outcome) => (x.ok ? null : `${x.error}: ${x.message ?? ""}`.slice(0, 300));
  const denied = (x: Outcome) => (!x.ok && cl.authError.test(x.error ?? "") ? null
    : `expected ${cl.authError}, got ${shown(x)}`);
  // What was produced (m4 only if "after" succeeded) is what the group must read and commit.
  const produced = [...(o[0].ok ? ["m1", "m2", "m3"] : []), ...(o[3].ok ? ["m4"] : [])];
  let group = okStep(o[5]);
  if (group === null && JSON.stringify(o[5].values) !== JSON.stringify(produced)) group = `read ${shown(o[5])}`;
  if (group === null) {
    const offsets = await (await directAdmin(c)).fetchOffsets({ groupId: p.group, topics: [p.topic] });
    const committed = offsets[0]?.partitions[0]?.offset;
    if (committed !== String(produced.length)) group = `the broker holds committed offset ${committed} for ${p.group}, not ${produced.length}`;
  }
  let list = okStep(o[4]);
  if (list === null && !o[4].topics!.includes(p.topic)) list = `${p.topic} missing from the listing`;
  if (list === null && o[4].topics!.includes(p.hidden)) list = `${p.hidden} listed (must be hidden)`;
  return {
    produce: okStep(o[0]),
    "deny-produce": denied(o[1]),
    "deny-fetch": denied(o[2]),
    after: okStep(o[3]),
    list,
    group,
  };
}

for (const cl of CLIENTS) {
  for (const l of LISTENERS) {
    e2e(`client matrix: ${cl.name} over ${l}`, async (c) => {
      const row = table.get(cl.name) ?? { version: "?", cells: {} };
      table.set(cl.name, row);
      row.version = await cl.version().catch((e) => `? (${(e as Error).message})`);
      const na = (await cl.notApplicable?.(l)) ?? null;
      if (na !== null) {
        row.cells[l] = { status: "n.a.", scenarios: {}, note: na };
        c.t.skip(na);
        return;
      }
      const cell: Cell = { status: "FAIL", scenarios: {} };
      row.cells[l] = cell;
      const p = await plan(c, l, cl.name.replace(/[^a-z0-9]+/gi, "-").toLowerCase());
      // The group reads what was produced: 4 values, or 3 when "after" failed (then a second run).
      const outcomes = await cl.run(p.steps.slice(0, 5));
      const last = p.steps[5] as Extract<Step, { op: "consume" }>;
      if (!outcomes[3].ok) p.steps[5] = { ...last, count: outcomes[0].ok ? 3 : 1 };
      outcomes.push(...(await cl.run([p.steps[5]])));
      for (const [i, x] of outcomes.entries()) c.t.diagnostic(`${stepArg(p.steps[i]).replace(/:[^:@|]*-secret@/, ":***@")} -> ${JSON.stringify(x).slice(0, 300)}`);
      const verdict = await judge(c, cl, p, outcomes);
      const notes: string[] = [];
      for (const s of SCENARIOS) {
        const limit = cl.clientLimits?.[s];
        if (verdict[s] !== null && limit !== undefined && limit.check(outcomes, p)) {
          cell.scenarios[s] = "n.a.";
          notes.push(`${s} n.a.: ${limit.reason}`);
          verdict[s] = null;
        } else {
          cell.scenarios[s] = verdict[s] === null ? "pass" : "FAIL";
        }
      }
      const failed = SCENARIOS.filter((s) => verdict[s] !== null);
      cell.status = failed.length === 0 ? "pass" : "FAIL";
      notes.push(...failed.map((s) => `${s}: ${verdict[s]}`));
      if (notes.length > 0) cell.note = notes.join("; ");
      assert.deepEqual(failed.map((s) => `${s}: ${verdict[s]}`), [], `${cl.name} over ${l}`);
    }, CELL_TIMEOUT_MS);
  }
}

// ---------------------------------------------------------------------------------------
// The table

after(() => {
  const head = ["client", "version", ...LISTENERS.flatMap((l) => SCENARIOS.map((s) => `${l === "PLAINTEXT" ? "PT" : "SASL"} ${s}`))];
  const rows = [...table.entries()].map(([name, r]) => [name, r.version, ...LISTENERS.flatMap((l) => {
    const cell = r.cells[l];
    if (cell === undefined) return SCENARIOS.map(() => "not run");
    if (cell.status === "n.a.") return SCENARIOS.map(() => "n.a.");
    return SCENARIOS.map((s) => cell.scenarios[s] ?? "FAIL");
  })]);
  const lines = [`| ${head.join(" | ")} |`, `|${head.map(() => " --- ").join("|")}|`, ...rows.map((r) => `| ${r.join(" | ")} |`)];
  const notes = [...table.entries()].flatMap(([name, r]) => LISTENERS.flatMap((l) =>
    r.cells[l]?.note ? [`${name} over ${l}: ${r.cells[l]!.status} — ${r.cells[l]!.note}`] : []));
  // node's runner shows a test file's own output as TAP comments, so the counts are untouched.
  for (const line of ["client matrix (PT = PLAINTEXT 19092 as ANONYMOUS, SASL = SASL/PLAIN 19093 as alice/bob):", ...lines, ...notes]) {
    console.log(line);
  }
});

