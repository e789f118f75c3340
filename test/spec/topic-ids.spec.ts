// The topic ids a VM learns from the broker's answers (assembly/enforce/topic-ids.ts): a table
// outside the collector's reach, which must keep every id of a large cluster, and the last name
// the broker gave each.

import { Uuid } from "../../assembly/protocol/uuid";
import { learnTopicId, learnTopicIdFrom, topicName, topicNameOf } from "../../assembly/enforce/topic-ids";

/** The i-th id of a cluster, its halves spread as a UUID's are. */
function idOf(i: i32): Uuid { return new Uuid(<i64>i * 0x9E3779B97F4A7C15 + 1, <i64>i * 0x632BE59BD9B4E019); }

describe("topic ids learnt from the broker (enforce/topic-ids.ts)", () => {
  it("keeps the name of every id of a large cluster, and knows no other", () => {
    for (let i = 0; i < 30000; i++) learnTopicId(idOf(i), "topic." + i.toString());
    let wrong = 0;
    for (let i = 0; i < 30000; i++) {
      const name = topicName(idOf(i));
      if (name == null || name != "topic." + i.toString()) wrong++;
    }
    expect(wrong).toBe(0);
    expect(topicName(idOf(30000))).toBeNull();
    expect(topicName(new Uuid(7, 7))).toBeNull();
    expect(topicNameOf(0, 0)).toBeNull(); // what a free slot holds
    learnTopicId(Uuid.ZERO, "zero");
    expect(topicNameOf(0, 0)).toBeNull();
  });

  it("takes the broker's new name for an id, and none for a null one", () => {
    learnTopicId(idOf(5), "renamed");
    expect(topicName(idOf(5))).toBe("renamed");
    learnTopicId(idOf(5), null);
    expect(topicName(idOf(5))).toBe("renamed");
    expect(topicName(idOf(6))).toBe("topic.6");
  });

  it("keeps names given as the bytes of an answer, any UTF-8 included", () => {
    const bytes = String.UTF8.encode("zamówienia.eu");
    learnTopicIdFrom(42, 43, changetype<usize>(bytes), bytes.byteLength);
    expect(topicNameOf(42, 43)).toBe("zamówienia.eu");
    learnTopicIdFrom(44, 45, changetype<usize>(bytes), -1); // a null name: nothing learnt
    expect(topicNameOf(44, 45)).toBeNull();
  });

  it("learns no name longer than Kafka's 249 bytes (no such topic exists; a broker's answer cannot fill the VM)", () => {
    learnTopicId(new Uuid(46, 47), "t".repeat(249));
    expect(topicNameOf(46, 47)).toBe("t".repeat(249));
    learnTopicId(new Uuid(48, 49), "t".repeat(250));
    expect(topicNameOf(48, 49)).toBeNull();
    learnTopicId(new Uuid(46, 47), "u".repeat(100000)); // renamed past the bound: the last valid name stays
    expect(topicNameOf(46, 47)).toBe("t".repeat(249));
  });

  it("an id renamed over and over (its old names dropped from the store) keeps the last, the others theirs", () => {
    for (let n = 0; n < 20000; n++) learnTopicId(idOf(7), "renamed-" + n.toString() + "-" + "x".repeat(n % 230));
    expect(topicName(idOf(7))).toBe("renamed-19999-" + "x".repeat(19999 % 230));
    expect(topicName(idOf(8))).toBe("topic.8");
    expect(topicName(idOf(29999))).toBe("topic.29999");
    expect(topicName(idOf(5))).toBe("renamed");
  });

  // Last: it empties the table the tests above filled.
  it("a table filled to its bound starts over, and keeps learning: ids learnt after it are known", () => {
    // 249-byte names: the bound on their bytes (16 MiB) comes before the one on their count.
    const pad = "p".repeat(240);
    for (let i = 0; i < 120000; i++) learnTopicId(new Uuid(1000000 + <i64>i, 77), pad + i.toString());
    expect(topicNameOf(1000000 + 119999, 77)).toBe(pad + "119999");
    learnTopicId(new Uuid(99, 98), "created.later");
    expect(topicNameOf(99, 98)).toBe("created.later");
  });
});
