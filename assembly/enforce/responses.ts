// What every response teaches the filter, whatever the policy did with its request: topic ids
// (for APIs that name topics by id) and fetched bytes and records per topic. (SASL outcomes
// are notes on their own requests: apis/connection.ts.)

import { Message } from "../protocol/message";
import { summarizeBatches } from "../protocol/records";
import { MetadataResponseData } from "../messages/MetadataResponse";
import { DescribeTopicPartitionsResponseData } from "../messages/DescribeTopicPartitionsResponse";
import { CreateTopicsResponseData } from "../messages/CreateTopicsResponse";
import { FetchResponseData } from "../messages/FetchResponse";
import { Session } from "./session";
import { learnTopicId, topicName } from "./topic-ids";
import { countFetched } from "./observe";

/** Whether responses of this API carry something observeResponse learns from. */
export function hasLessons(apiKey: i16): bool {
  return apiKey == 1 || apiKey == 3 || apiKey == 19 || apiKey == 75;
}

export function observeResponse(session: Session, apiKey: i16, version: i16, body: Message): void {
  switch (apiKey) {
    case 1: {
      const f = changetype<FetchResponseData>(body);
      if (version >= 7 && f.errorCode == 0) session.rememberFetchSession(f.sessionId);
      countFetchResponse(f, version);
      break;
    }
    case 3: {
      const m = changetype<MetadataResponseData>(body);
      for (let i = 0; i < m.topics.length; i++) learnTopicId(unchecked(m.topics[i]).topicId, unchecked(m.topics[i]).name);
      break;
    }
    case 19: {
      const c = changetype<CreateTopicsResponseData>(body);
      for (let i = 0; i < c.topics.length; i++) learnTopicId(unchecked(c.topics[i]).topicId, unchecked(c.topics[i]).name);
      break;
    }
    case 75: {
      const d = changetype<DescribeTopicPartitionsResponseData>(body);
      for (let i = 0; i < d.topics.length; i++) learnTopicId(unchecked(d.topics[i]).topicId, unchecked(d.topics[i]).name);
      break;
    }
  }
}

function countFetchResponse(f: FetchResponseData, version: i16): void {
  for (let t = 0; t < f.responses.length; t++) {
    const topic = unchecked(f.responses[t]);
    const name = version >= 13 ? topicName(topic.topicId) : topic.topic;
    if (name == null) continue;
    let bytes: i64 = 0, records: i64 = 0;
    for (let p = 0; p < topic.partitions.length; p++) {
      const s = summarizeBatches(unchecked(topic.partitions[p]).records);
      bytes += s.bytes;
      records += s.records;
    }
    countFetched(name, bytes, records);
  }
}
