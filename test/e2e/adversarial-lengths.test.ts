// Adversarial: a string the filter writes again must keep the length it says (a review
// session's finding; mock-host twin: assembly/filter/testing/wrapped-lengths.mjs). The filter
// reads a client id as text, each invalid UTF-8 byte as U+FFFD, and wrote it again, in a request
// it rewrites, as three bytes under an int16 length that wrapped: Kafka read the client id as
// null and the id's own bytes as the request's body. Here ANONYMOUS may create e2e* topics and
// not secret.*; it asks CreateTopics [e2e.…, secret.…] under a client id holding a CreateTopics
// of the secret one. The filter refuses secret.… and would send the rest on rewritten: before
// the fix the broker created secret.….

import assert from "node:assert/strict";
import { e2e } from "./lib/harness";
import { unique } from "./lib/env";
import { closeLines, directAdmin, afterAttack, Wire } from "./lib/attack";
import { int16, int32, uvarint, compactString } from "./lib/bytes";

/** CreateTopics v5's entry for `name`: one partition, replication factor 1, no assignments or configs. */
const topicEntry = (name: string): Buffer => Buffer.concat([compactString(name), int32(1), int16(1), uvarint(1), uvarint(1), uvarint(0)]);
/** CreateTopics v5's body of `names` (every byte of it ASCII, so that it reads as UTF-8 unchanged). */
const createBody = (names: string[]): Buffer => Buffer.concat([uvarint(names.length + 1), ...names.map(topicEntry), int32(30_000), Buffer.from([0]), uvarint(0)]);

/** CreateTopics v5 (header v2) of `names` under the raw client id `clientId`. */
function createTopics(corr: number, clientId: Buffer, names: string[]): Buffer {
  const frame = Buffer.concat([int16(19), int16(5), int32(corr), int16(clientId.length), clientId, uvarint(0), createBody(names)]);
  return Buffer.concat([int32(frame.length), frame]);
}

e2e("[plaintext] a client id that grows past an int16 length when written again does not carry a refused CreateTopics to the broker", async (c) => {
  const allowed = unique("e2e.wrap-ok-", "x");
  const secret = unique("secret.wrap-", "x");
  // Read by Kafka after a null client id: the header's tags (none), a CreateTopics body of the
  // secret topic, whose one tagged field swallows the rest of the frame: its size a 3-byte
  // uvarint that is valid UTF-8 ([C2..DF][80..BF][00..7F]), padded until one is.
  const smuggledBody = createBody([secret]);
  const head = Buffer.concat([uvarint(0), smuggledBody.subarray(0, smuggledBody.length - 1), uvarint(1), uvarint(0)]);
  const invalid = 11_000;
  let pad = 0;
  let rest = 0;
  for (; pad < 256; pad++) {
    // After the size: the rest of the id as written again (U+FFFD: 3 bytes each), the header's
    // tags and the rewritten body (the allowed topic alone).
    rest = invalid * 3 + pad + 1 + createBody([allowed]).length;
    if (rest % 128 >= 0x42 && rest % 128 <= 0x5f && Math.floor(rest / 128) % 128 < 0x40) break;
  }
  const size = Buffer.from([0x80 | (rest % 128), 0x80 | (Math.floor(rest / 128) % 128), Math.floor(rest / 16384)]);
  const clientId = Buffer.concat([head, size, Buffer.alloc(invalid, 0xff), Buffer.alloc(pad, 0x41)]);

  const w = await Wire.for(c, "plaintext");
  await w.send(createTopics(1, clientId, [allowed, secret]));
  const { frames, closed } = await w.drain(5000);
  c.t.diagnostic(`answered ${frames.length} frame(s), closed ${closed}`);
  assert.ok(closed, "the filter closes the connection: the request cannot be sent on as the client wrote it");
  assert.ok(closeLines(c.mark).some((l) => l.includes("do not fit an int16 length")), "saying why");

  await new Promise((r) => setTimeout(r, 1500)); // a creation the broker took would show by now
  const topics = await (await directAdmin(c)).listTopics();
  assert.ok(!topics.includes(secret), `${secret}, refused by the filter, was not created`);
  await afterAttack(c, "plaintext");
});
