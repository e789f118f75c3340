// Emits assembly/messages/refusals.ts: per API, the response that refuses a whole request
// with one error, as the broker would answer it had it refused every entity the request names
// (Kafka's AbstractRequest.getErrorResponse, which Kafka writes by hand per request class).
//
// The shape comes from the definitions: every "ErrorCode" of the response gets the code (and
// the "ErrorMessage" beside it the message); each list of the response whose elements are
// keyed by an entity (a topic name or id, a group, a transactional id, a partition, a config
// resource) answers the request's list keyed by the same kind of entity, one element per
// requested one with its keys copied. A response that can carry the code nowhere (no
// top-level error and nothing named) gives null: the caller closes the connection.

import { FieldSpec, FieldType, StructSpec, Versions } from "./model";
import { Api, switchOnKey } from "./emit-apis";
import { Code } from "./code";
import { canBeNull, propertyName, versionCheck } from "./emit-messages";

/**
 * Values Kafka's own error responses give fields whose definition default would read as a
 * real answer (an offset of 0, node 0): the "invalid" constants of the response classes.
 */
const REFUSAL_VALUES: Record<string, string> = {
  "ProduceResponse.BaseOffset": "-1",
  "FetchResponse.HighWatermark": "-1", // FetchResponse.INVALID_HIGH_WATERMARK
  "OffsetFetchResponse.CommittedOffset": "-1", // OffsetFetchResponse.INVALID_OFFSET
  "DeleteRecordsResponse.LowWatermark": "-1", // DeleteRecordsResponse.INVALID_LOW_WATERMARK
  "DescribeShareGroupOffsetsResponse.StartOffset": "-1",
  "FindCoordinatorResponse.NodeId": "-1",
  "FindCoordinatorResponse.Port": "-1",
  "InitProducerIdResponse.ProducerId": "-1",
  "InitProducerIdResponse.ProducerEpoch": "-1",
};

/**
 * Lists answered in order rather than by key, where the definitions name no entity: the
 * response list -> the request lists it answers, one element each (Kafka's getErrorResponse
 * of these requests).
 */
const IN_ORDER: Record<string, string[]> = {
  "CreateAclsResponse.Results": ["Creations"],
  "DeleteAclsResponse.FilterResults": ["Filters"],
  "AlterClientQuotasResponse.Entries": ["Entries"],
  "AlterClientQuotasResponse.Entity": ["Entity"],
  "AlterUserScramCredentialsResponse.Results": ["Deletions", "Upsertions"],
  "FindCoordinatorResponse.Coordinators": ["CoordinatorKeys"],
};

/** Response fields that take a request field of another name in an in-order answer ("" : the element itself). */
const IN_ORDER_KEYS: Record<string, string> = {
  "AlterUserScramCredentialsResponse.User": "Name",
  "FindCoordinatorResponse.Key": "",
};

/** In-order answers given once per value of this field (one result per user, as Kafka's). */
const DISTINCT: Record<string, string> = {
  "AlterUserScramCredentialsResponse.Results": "User",
};

/** The error codes an answer sets: every entity's own ("PartitionErrorCode" in AddPartitionsToTxn v0-3). */
const ERROR_CODES = new Set(["ErrorCode", "PartitionErrorCode"]);

const PARTITION_KEYS = new Set(["Partition", "PartitionIndex", "Index", "PartitionId"]);
const RESOURCE_KEYS = new Set(["ResourceType", "ResourceName"]);

const TABLES: Record<string, unknown>[] = [REFUSAL_VALUES, IN_ORDER, IN_ORDER_KEYS, DISTINCT];
/** Table entries some response field matched: the others name what a Kafka release renamed. */
const used = new Set<string>();

function isPrimitive(t: FieldType, name: string): boolean { return t.kind === "primitive" && t.name === name; }

/**
 * The kind of entity a field keys, or null: `container` is the name of the list the field's
 * struct is an element of ("" at the top level), as partitions are lists named Partition*.
 */
function keyKind(f: FieldSpec, container: string): string | null {
  if (f.entityType === "topicName" || f.entityType === "groupId" || f.entityType === "transactionalId") return f.entityType;
  const t = f.type.kind === "array" ? f.type.element : f.type;
  if (f.name === "TopicId" && isPrimitive(t, "uuid")) return "topicId";
  if (isPrimitive(t, "int32") && container.includes("Partition") && PARTITION_KEYS.has(f.name)) return "partition";
  if (isPrimitive(t, "int32") && f.type.kind === "array" && f.name.startsWith("Partition")) return "partition";
  if (RESOURCE_KEYS.has(f.name) && container !== "") return f.name;
  return null;
}

/** The key kinds of a list's elements: its struct's key fields, or the primitive itself. */
function keysOf(list: FieldSpec): Map<string, FieldSpec | null> {
  const keys = new Map<string, FieldSpec | null>();
  if (list.type.kind !== "array") return keys;
  const e = list.type.element;
  if (e.kind === "struct") {
    for (const f of e.struct.fields) {
      if (f.type.kind === "array") continue;
      const k = keyKind(f, list.name);
      if (k !== null && !keys.has(k)) keys.set(k, f);
    }
  } else {
    const k = keyKind(list, "");
    if (k !== null) keys.set(k, null); // null: the element itself
  }
  return keys;
}

function structOf(f: FieldSpec): StructSpec | null {
  return f.type.kind === "array" && f.type.element.kind === "struct" ? f.type.element.struct : null;
}

/** The AssemblyScript type of a list's element in a namespace-imported message. */
function elementType(msg: string, list: FieldSpec): string {
  const e = (list.type as { element: FieldType }).element;
  if (e.kind === "struct") return `${msg}.${e.struct.name}`;
  if (isPrimitive(e, "string")) return "string";
  if (isPrimitive(e, "int32")) return "i32";
  throw new Error(`${msg}.${list.name}: a list of ${JSON.stringify(e)} cannot be answered`);
}

/** A top-level request list of entities, the response list answering it, and the answer to one element. */
interface SplitList {
  request: FieldSpec;
  response: FieldSpec;
  answer: string;
  /** The versions both lists exist in. */
  within: Versions;
}

const NAME_KINDS = new Set(["topicName", "groupId", "transactionalId"]);

/**
 * How an entity list's element names its entity: the field holding its name (null: the
 * element is the name) and the field holding its topic id (or undefined); null when the
 * elements name no topic, group or transactional id.
 */
function entityKeys(list: FieldSpec): { name: FieldSpec | null | undefined; id: FieldSpec | undefined } | null {
  const keys = keysOf(list);
  let name: FieldSpec | null | undefined = undefined;
  for (const [kind, field] of keys) if (NAME_KINDS.has(kind)) name = field;
  const id = keys.get("topicId") ?? undefined;
  return name === undefined && id === undefined ? null : { name, id };
}

/** Declares `name` as the response list `target` (of `cls` elements), created when the list may be null. */
function declareAnswers(c: Code, name: string, target: string, list: FieldSpec, cls: string): void {
  if (canBeNull(list)) {
    c.line(`let ${name} = ${target};`);
    c.line(`if (${name} == null) { ${name} = new Array<${cls}>(); ${target} = ${name}; }`);
  } else c.line(`const ${name} = ${target};`);
}

class RefusalEmitter {
  private c = new Code();
  private depth = 0;
  /** The exported answers to one element of each of the request's top-level lists. */
  private readonly elementAnswers: string[] = [];
  /** The top-level request lists of names (groups, transactional ids, coordinator keys), with their versions. */
  readonly namedLists: [string, Versions][] = [];
  /** The top-level request lists of entities a check may split: each with the response list answering it. */
  readonly splits: SplitList[] = [];

  /** The versions the code being emitted runs for: narrowed inside each versioned list. */
  private within: Versions;

  constructor(private readonly api: Api) {
    this.within = api.response.validVersions;
  }

  emit(): string {
    const { request, response } = this.api;
    const c = this.c;
    c.line(`function refuse${this.api.name}(request: ${request.name}.${request.name}Data, version: i16, code: i16, message: string | null): ${response.name}.${response.name}Data | null {`);
    c.indent(() => {
      c.line(`const to = new ${response.name}.${response.name}Data();`);
      c.line("carried = 0;");
      this.fill(request.root, "request", response.root, "to", "");
      c.line("return carried > 0 ? to : null;");
    });
    c.line("}");
    return [c.toString(), ...this.elementAnswers].join("\n");
  }

  /**
   * `answer<Api><List>`: the response's element answering one element of a top-level request
   * list, for the checks that refuse some entities and let the others through.
   */
  private emitElementAnswer(name: string, list: FieldSpec, pair: FieldSpec, inOrder: boolean): void {
    const { request, response } = this.api;
    const element = structOf(list)!;
    const outer = { c: this.c, depth: this.depth, within: this.within };
    this.c = new Code();
    this.depth = 1;
    this.within = outer.within.intersect(list.versions);
    const c = this.c;
    c.line(`/** ${response.name}.${element.name} answering one of ${request.name}.${pair.name} with \`code\`. */`);
    c.line(`export function ${name}(item: ${elementType(request.name, pair)}, version: i16, code: i16, message: string | null): ${response.name}.${element.name} {`);
    c.indent(() => {
      c.line(`const answer = new ${response.name}.${element.name}();`);
      if (inOrder) this.copyInOrder(element, pair, "item", "answer");
      else this.copyKeys(list, pair, "item", "answer");
      this.fill(structOf(pair), "item", element, "answer", list.name);
      c.line("return answer;");
    });
    c.line("}");
    c.blank();
    const respType = `${response.name}.${response.name}Data`;
    const itemType = elementType(request.name, pair);
    const target = `response.${propertyName(list)}`;
    c.line(`/** Adds to \`response\` the answer to each of \`items\` (of ${request.name}.${pair.name}) with its code. */`);
    c.line(`export function add${name.slice("answer".length)}Answers(response: ${respType}, items: Array<${itemType}>, codes: Array<i16>, version: i16, message: string | null): void {`);
    c.indent(() => {
      declareAnswers(c, "answers", target, list, `${response.name}.${element.name}`);
      c.line(`for (let i = 0; i < items.length; i++) answers.push(${name}(unchecked(items[i]), version, unchecked(codes[i]), message));`);
    });
    c.line("}");
    if (itemType === "string") this.namedLists.push([name.slice("answer".length), pair.versions]);
    this.elementAnswers.push(c.toString());
    this.c = outer.c;
    this.depth = outer.depth;
    this.within = outer.within;
  }

  /** Fills response struct `out` (variable `to`) answering request struct `from` (variable `src`). */
  private fill(from: StructSpec | null, src: string, out: StructSpec, to: string, container: string): void {
    const c = this.c;
    for (const f of out.fields) {
      const when = versionCheck(f.versions, this.within);
      if (when === "false") continue;
      const p = `${to}.${propertyName(f)}`;
      const key = `${this.api.response.name}.${f.name}`;
      if (TABLES.some((table) => table[key] !== undefined)) used.add(key);
      const fixed = REFUSAL_VALUES[key];
      if (ERROR_CODES.has(f.name) && isPrimitive(f.type, "int16")) {
        this.statement(when, `${p} = carry(code);`);
      } else if (f.name === "ErrorMessage" && isPrimitive(f.type, "string")) {
        this.statement(when, `${p} = ${this.messageValue(f)};`);
      } else if (fixed !== undefined) {
        this.statement(when, `${p} = ${fixed};`);
      } else if (isPrimitive(f.type, "records")) {
        // As Kafka's answers (MemoryRecords.EMPTY): some versions' records cannot be null.
        this.statement(when, `${p} = new Uint8Array(0);`);
      } else if (f.type.kind === "array" && from !== null) {
        const inOrder = IN_ORDER[key];
        if (inOrder !== undefined) {
          for (const name of inOrder) {
            const pair = from.fields.find((g) => g.name === name);
            if (!pair) throw new Error(`IN_ORDER ${this.api.response.name}.${f.name}: the request has no list ${name}`);
            this.answerList(f, [pair], src, p, when, true);
          }
        } else {
          for (const pair of this.pairsOf(f, from)) this.answerList(f, pair, src, p, when, false);
        }
      }
    }
  }

  /**
   * The request lists answered by response list `list`: those keyed by the same kind of entity,
   * the one of the same name first, then others only for versions it does not cover (DeleteTopics'
   * TopicNames before v6, Topics after; not Fetch's ForgottenTopicsData beside its Topics).
   * Entities the request groups under a list of no entity (AlterReplicaLogDirs' Dirs) are
   * answered from every group: a path of two lists.
   */
  private pairsOf(list: FieldSpec, from: StructSpec): FieldSpec[][] {
    const wanted = keysOf(list);
    if (wanted.size === 0 || structOf(list) === null) return [];
    const keyedAlike = (g: FieldSpec): boolean => g.type.kind === "array" && [...keysOf(g).keys()].some((k) => wanted.has(k));
    let candidates = from.fields.filter(keyedAlike).map((g) => [g]);
    if (candidates.length === 0) {
      for (const group of from.fields.filter((g) => structOf(g) !== null && keysOf(g).size === 0)) {
        for (const g of structOf(group)!.fields.filter(keyedAlike)) candidates.push([group, g]);
      }
    }
    const last = (path: FieldSpec[]): FieldSpec => path[path.length - 1];
    candidates.sort((a, b) => Number(last(b).name === list.name) - Number(last(a).name === list.name));
    const chosen: FieldSpec[][] = [];
    for (const path of candidates) if (chosen.every((h) => last(h).versions.intersect(last(path).versions).empty)) chosen.push(path);
    return chosen;
  }

  private answerList(list: FieldSpec, path: FieldSpec[], src: string, p: string, when: string, inOrder: boolean): void {
    const c = this.c;
    const pair = path[path.length - 1];
    const element = structOf(list)!;
    const cls = `${this.api.response.name}.${element.name}`;
    const requestElement = structOf(pair);
    const d = this.depth++;
    const items = `items${d}`, item = `item${d}`, answer = `answer${d}`, answers = `answers${d}`;
    const outer = this.within;
    this.within = outer.intersect(list.versions);
    c.block(when, () => {
      declareAnswers(c, answers, p, list, cls);
      const answerEach = (from: string): void => {
        c.line(`const ${items} = ${from}.${propertyName(pair)};`);
        const distinct = DISTINCT[`${this.api.response.name}.${list.name}`];
        const distinctKey = distinct === undefined ? null : element.fields.find((f) => f.name === distinct)!;
        if (distinctKey !== null && !isPrimitive(distinctKey.type, "string")) throw new Error(`${list.name}: distinct by ${distinct}, not a string`);
        const each = (): void => {
          // Answers already there (another list's) keep their keys: a set, not a scan per answer.
          if (distinctKey !== null) {
            c.line(`const seen${d} = new Set<string>();`);
            c.line(`for (let j${d} = 0; j${d} < ${answers}.length; j${d}++) seen${d}.add(unchecked(${answers}[j${d}]).${propertyName(distinctKey)});`);
          }
          c.line(`for (let i${d} = 0; i${d} < ${items}.length; i${d}++) {`);
          c.indent(() => {
            c.line(`const ${item} = unchecked(${items}[i${d}]);`);
            if (src === "request") {
              const name = `answer${this.api.name}${pair.name}`;
              this.emitElementAnswer(name, list, pair, inOrder);
              if (path.length === 1 && !inOrder && entityKeys(pair) !== null) {
                this.splits.push({ request: pair, response: list, answer: name, within: this.within });
              }
              c.line(`const ${answer} = ${name}(${item}, version, code, message);`);
            } else {
              c.line(`const ${answer} = new ${cls}();`);
              if (inOrder) this.copyInOrder(element, pair, item, answer);
              else this.copyKeys(list, pair, item, answer);
              this.fill(requestElement, item, element, answer, list.name);
            }
            if (distinctKey === null) c.line(`${answers}.push(${answer});`);
            else {
              const key = `${answer}.${propertyName(distinctKey)}`;
              c.line(`if (!seen${d}.has(${key})) {`);
              c.indent(() => {
                c.line(`seen${d}.add(${key});`);
                c.line(`${answers}.push(${answer});`);
              });
              c.line("}");
            }
          });
          c.line("}");
        };
        if (canBeNull(pair)) c.block(`${items} != null`, each);
        else each();
      };
      if (path.length === 1) answerEach(src);
      else {
        const groups = `groups${d}`;
        c.line(`const ${groups} = ${src}.${propertyName(path[0])};`);
        c.line(`for (let g${d} = 0; g${d} < ${groups}.length; g${d}++) {`);
        c.indent(() => answerEach(`unchecked(${groups}[g${d}])`));
        c.line("}");
      }
    });
    this.within = outer;
  }

  /** An in-order answer takes the request element's fields of the same name and type (or IN_ORDER_KEYS). */
  private copyInOrder(element: StructSpec, pair: FieldSpec, item: string, answer: string): void {
    const requestElement = structOf(pair);
    for (const f of element.fields) {
      if (f.type.kind !== "primitive") continue;
      const alias = IN_ORDER_KEYS[`${this.api.response.name}.${f.name}`];
      let value: string | null = null;
      if (alias === "") value = item;
      else {
        const source = requestElement?.fields.find((g) => g.name === (alias ?? f.name) && g.type.kind === "primitive" && g.type.name === (f.type as { name: string }).name);
        if (source) value = `${item}.${propertyName(source)}`;
      }
      if (value !== null) this.statement(versionCheck(f.versions, this.within), `${answer}.${propertyName(f)} = ${value};`);
    }
  }

  /** Copies each key of the request's element into the answer's field keyed by the same kind. */
  private copyKeys(list: FieldSpec, pair: FieldSpec, item: string, answer: string): void {
    const given = keysOf(pair);
    for (const [kind, field] of keysOf(list)) {
      if (!given.has(kind)) continue;
      const source = given.get(kind)!;
      const value = source === null ? item : `${item}.${propertyName(source)}`;
      const f = field!;
      // Kafka's lists hold no null elements; a struct's key field may be nullable.
      const nullable = source !== null && canBeNull(source);
      const when = versionCheck(f.versions, this.within);
      const assign = nullable && !canBeNull(f) ? `${value} != null ? ${value}! : ""` : value;
      this.statement(when, `${answer}.${propertyName(f)} = ${assign};`);
    }
  }

  private statement(when: string, text: string): void {
    if (when === "true") this.c.line(text);
    else if (when !== "false") this.c.line(`if (${when}) ${text}`);
  }

  /** The message where the field may hold it; "" where this version's field cannot be null. */
  private messageValue(f: FieldSpec): string {
    if (!canBeNull(f)) return `message != null ? message! : ""`;
    const nullable = versionCheck(f.nullableVersions.intersect(f.versions), this.within);
    if (nullable === "true" || f.nullableVersions.lo <= f.versions.lo && f.nullableVersions.hi >= f.versions.hi) return "message";
    return `message != null ? message : (${nullable} ? null : "")`;
  }
}

/**
 * `<Api>Split`: cuts the request's entity list to the entities `check` keeps and answers each
 * refused one (its answer kept until the broker's response, or an empty one, is at hand).
 */
function emitSplit(c: Code, api: Api, splits: SplitList[]): void {
  const { request, response } = api;
  for (let i = 0; i < splits.length; i++) {
    for (let j = i + 1; j < splits.length; j++) {
      if (!splits[i].request.versions.intersect(splits[j].request.versions).empty) {
        throw new Error(`${request.name}: entity lists ${splits[i].request.name} and ${splits[j].request.name} share versions`);
      }
    }
  }
  const answersOf = (s: SplitList): string => `answers${s.request.name}`;
  c.line(`class ${api.name}Split extends EntitySplit {`);
  c.indent(() => {
    for (const s of splits) {
      const t = `Array<${response.name}.${structOf(s.response)!.name}>`;
      c.line(`private readonly ${answersOf(s)}: ${t} = new ${t}();`);
    }
    c.blank();
    c.line("listedKind(version: i16): EntityKind {");
    c.indent(() => {
      for (const s of splits) {
        const keys = keysOf(s.request);
        const kind = keys.has("topicName") || keys.has("topicId") ? "TopicName" : keys.has("groupId") ? "GroupId" : "TransactionalId";
        const when = versionCheck(s.request.versions, request.validVersions);
        c.line(when === "true" ? `return EntityKind.${kind};` : `if (${when}) return EntityKind.${kind};`);
      }
      if (splits.every((s) => versionCheck(s.request.versions, request.validVersions) !== "true")) c.line("return EntityKind.None;");
    });
    c.line("}");
    c.blank();
    c.line("split(request: Message, version: i16, check: EntityCheck): void {");
    c.indent(() => {
      c.line(`const req = changetype<${request.name}.${request.name}Data>(request);`);
      for (const s of splits) {
        const within = request.validVersions;
        c.block(versionCheck(s.request.versions, within), () => {
          const keys = entityKeys(s.request)!;
          const itemType = elementType(request.name, s.request);
          const p = `req.${propertyName(s.request)}`;
          const each = (): void => {
            c.line(`const kept = new Array<${itemType}>();`);
            c.line("for (let i = 0; i < items.length; i++) {");
            c.indent(() => {
              c.line("const item = unchecked(items[i]);");
              const inList = within.intersect(s.request.versions);
              const valued = (f: FieldSpec, value: string, absent: string): string => {
                const when = versionCheck(f.versions, inList);
                return when === "true" ? value : when === "false" ? absent : `${when} ? ${value} : ${absent}`;
              };
              const name = keys.name === undefined ? "null" : keys.name === null ? "item" : valued(keys.name, `item.${propertyName(keys.name)}`, "null");
              const id = keys.id === undefined ? "Uuid.ZERO" : valued(keys.id, `item.${propertyName(keys.id)}`, "Uuid.ZERO");
              c.line(`const code = check.code(${name}, ${id});`);
              c.line("if (code == 0) kept.push(item);");
              c.line(`else this.${answersOf(s)}.push(${s.answer}(item, version, code, check.message));`);
            });
            c.line("}");
            c.line(`this.kept += kept.length;`);
            c.line(`this.refused += items.length - kept.length;`);
            c.line(`${p} = kept;`);
          };
          c.line(`const items = ${p};`);
          if (canBeNull(s.request)) c.block("items != null", each);
          else each();
        });
      }
    });
    c.line("}");
    c.blank();
    c.line("addAnswers(response: Message, version: i16): void {");
    c.indent(() => {
      c.line(`const r = changetype<${response.name}.${response.name}Data>(response);`);
      for (const s of splits) {
        const target = `r.${propertyName(s.response)}`;
        const cls = `${response.name}.${structOf(s.response)!.name}`;
        c.block(versionCheck(s.within, response.validVersions), () => {
          declareAnswers(c, "answers", target, s.response, cls);
          c.line(`for (let i = 0; i < this.${answersOf(s)}.length; i++) answers.push(unchecked(this.${answersOf(s)}[i]));`);
        });
      }
    });
    c.line("}");
  });
  c.line("}");
  c.blank();
  // A function per API, not a switch over all: filter.wasm compiles in only the splits its table names.
  c.line(`/** A fresh split of a ${request.name}'s entity list. */`);
  c.line(`export function new${api.name}Split(): EntitySplit { return new ${api.name}Split(); }`);
  c.blank();
}

export function emitRefusals(apis: Api[]): string {
  const c = new Code();
  c.line("// Generated by codegen/emit-refusals.ts from Kafka's message definitions. Do not edit.");
  c.line("// Per API, the response refusing a whole request with one error on everything it names.");
  c.blank();
  c.line('import { Message } from "../protocol/message";');
  c.line('import { Uuid } from "../protocol/uuid";');
  c.line('import { EntityKind } from "../protocol/walk";');
  // Namespaces: struct names repeat across APIs ("DescribedGroup").
  for (const a of apis) {
    c.line(`import * as ${a.request.name} from "./${a.request.name}";`);
    c.line(`import * as ${a.response.name} from "./${a.response.name}";`);
  }
  c.blank();
  c.line("/** How many error codes the response being built carries. */");
  c.line("let carried = 0;");
  c.blank();
  c.line("function carry(code: i16): i16 {");
  c.line("  carried++;");
  c.line("  return code;");
  c.line("}");
  c.blank();
  c.line("/** The decision on one entity a request lists: 0 keeps it, else the error it is refused with. */");
  c.line("export abstract class EntityCheck {");
  c.line("  /** The message the answer to the last refused entity carries (null: none). */");
  c.line("  message: string | null = null;");
  c.blank();
  c.line("  /** `name` null when the entity is given by topic id alone; `id` zero when by name alone. */");
  c.line("  abstract code(name: string | null, id: Uuid): i16;");
  c.line("}");
  c.blank();
  c.line("/**");
  c.line(" * One request's entity list (topics, groups, transactional ids) split by an EntityCheck: the");
  c.line(" * request keeps what was kept, and the answers to the others wait for the response.");
  c.line(" */");
  c.line("export abstract class EntitySplit {");
  c.line("  kept: i32 = 0;");
  c.line("  refused: i32 = 0;");
  c.blank();
  c.line("  /** The kind of entity the list names at `version` (topics by name or id: TopicName). */");
  c.line("  abstract listedKind(version: i16): EntityKind;");
  c.blank();
  c.line("  /** Cuts `request`'s list to the entities `check` keeps; answers the others. */");
  c.line("  abstract split(request: Message, version: i16, check: EntityCheck): void;");
  c.blank();
  c.line("  /** Adds the answers to the refused entities to `response` (the broker's, or an empty one). */");
  c.line("  abstract addAnswers(response: Message, version: i16): void;");
  c.line("}");
  c.blank();
  const named: [Api, [string, Versions][]][] = [];
  for (const a of apis) {
    const e = new RefusalEmitter(a);
    c.line(e.emit().trimEnd());
    c.blank();
    if (e.namedLists.length > 0) named.push([a, e.namedLists]);
    if (e.splits.length > 0) {
      emitSplit(c, a, e.splits);
    }
  }

  c.line("/**");
  c.line(" * Adds to `response` (of an `apiKey` request that lists names: groups, transactional ids,");
  c.line(" * coordinator keys) the answer to each of `names` with its code; false for other APIs.");
  c.line(" */");
  const signature = "addNamedAnswers(apiKey: i16, response: Message, names: Array<string>, codes: Array<i16>, version: i16, message: string | null): bool";
  switchOnKey(c, signature, named.map(([a]) => a), (a) => {
    const lists = named.find(([n]) => n === a)![1];
    // Only the list the request's version has (DeleteTopics lists names before v6 only).
    for (const [list, versions] of lists) {
      const answer = `add${list}Answers(changetype<${a.response.name}.${a.response.name}Data>(response), names, codes, version, message);`;
      const when = versionCheck(versions, a.request.validVersions);
      const add = (): void => { c.line(answer); c.line("return true;"); };
      if (when === "true") add();
      else c.block(when, add);
    }
    if (lists.every(([, v]) => versionCheck(v, a.request.validVersions) !== "true")) c.line("return false;");
  }, "false");
  for (const table of TABLES) {
    for (const key of Object.keys(table)) if (!used.has(key)) throw new Error(`emit-refusals: no response field ${key}`);
  }
  c.line("/**");
  c.line(" * The response refusing `request` (an `apiKey` request at `version`) as a whole with `code`,");
  c.line(" * `message` in its error messages; null when the response has nowhere to carry the code.");
  c.line(" */");
  const refuse = "refuseAll(apiKey: i16, request: Message, version: i16, code: i16, message: string | null): Message | null";
  switchOnKey(c, refuse, apis, (a) => c.line(`return refuse${a.name}(changetype<${a.request.name}.${a.request.name}Data>(request), version, code, message);`), "null");
  return c.toString().replace(/\n\n$/, "\n");
}
