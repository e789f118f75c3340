// Test build of the filter (not shipped): the real filter plus a handler that exercises every
// verdict, chosen by the request's client id. Built by `make filter-smoke` into
// build/filter-test.wasm and driven through Envoy by smoke.mjs beside this file.
//
//   t-collect        requests are collected whole, then passed
//   t-replace        requests are replaced: client id rewritten to "replaced"
//   t-respond        requests are answered by the filter ("synthetic" body)
//   t-close          requests close the connection
//   t-aside          requests pass, after a request of the handler's own (ApiVersions v0,
//                    client id "aside", correlation id + 1000) whose answer it replaces
//                    (the client must see neither)
//   t-aside-respond  as t-respond, with the handler's own request standing in for it
//   t-resp-collect   responses are collected whole, then passed
//   t-resp-replace   responses are replaced with the correlation id + "rewritten"
//   t-resp-observe   responses go on as they arrive and are shown whole once in: each one
//                    that is the response as received counts in test.responses_observed, any
//                    other closes the connection

export * from "../../main";
import { KafkaHandler, RequestHeader, ResponseInfo, Verdict } from "../seam";
import { setHandlerFactory } from "../../root";
import { Writer } from "../../protocol/writer";
import { FilterConfig } from "../../enforce/config";
import { defineCounter, addCounter } from "../../runtime/host";

function utf8(s: string): Uint8Array { return Uint8Array.wrap(String.UTF8.encode(s)); }

class TestHandler extends KafkaHandler {
  wantsRequest(h: RequestHeader): bool {
    const c = h.clientId;
    return c != null && (c == "t-collect" || c == "t-replace" || c == "t-respond" || c == "t-close" ||
      c == "t-aside" || c == "t-aside-respond");
  }

  onRequest(frame: Uint8Array, h: RequestHeader): Verdict {
    const c = h.clientId!;
    if (c == "t-collect") return Verdict.pass();
    if (c == "t-close") return Verdict.close("test asked to close");
    if (c == "t-aside") return Verdict.pass().withAside(asideFor(h));
    const w = new Writer(64 + frame.length);
    if (c == "t-replace") {
      w.int16(h.apiKey);
      w.int16(h.apiVersion);
      w.int32(h.correlationId);
      w.string("replaced", false);
      w.raw(frame.subarray(h.clientIdEnd));
      return Verdict.replace(w.bytes());
    }
    w.int32(h.correlationId);
    w.raw(utf8("synthetic"));
    const answer = Verdict.respond(w.bytes());
    return c == "t-aside-respond" ? answer.withAside(asideFor(h)) : answer;
  }

  wantsResponse(info: ResponseInfo): bool {
    const c = info.request.clientId;
    return c != null && (c == "t-resp-collect" || c == "t-resp-replace" || (c == "t-aside" && info.correlationId >= 1000));
  }

  observesResponse(info: ResponseInfo): bool {
    const c = info.request.clientId;
    return c != null && c == "t-resp-observe";
  }

  observeResponse(frame: Uint8Array, info: ResponseInfo): Verdict {
    const corr = frame.length >= 4 ? (<i32>frame[0] << 24) | (<i32>frame[1] << 16) | (<i32>frame[2] << 8) | <i32>frame[3] : -1;
    if (frame.length != info.frameSize || corr != info.correlationId) return Verdict.close("observed frame is not the response received");
    if (observed == 0) observed = defineCounter("test.responses_observed");
    addCounter(observed, 1);
    return Verdict.pass();
  }

  onResponse(frame: Uint8Array, info: ResponseInfo): Verdict {
    if (info.request.clientId! == "t-resp-collect") return Verdict.pass();
    const w = new Writer(32);
    w.int32(info.correlationId);
    w.raw(utf8("rewritten"));
    return Verdict.replace(w.bytes());
  }
}

let observed: u32 = 0;

/** The handler's own request for `h`: ApiVersions v0, client id "aside", correlation id + 1000. */
function asideFor(h: RequestHeader): Uint8Array {
  const w = new Writer(32);
  w.int16(18);
  w.int16(0);
  w.int32(h.correlationId + 1000);
  w.string("aside", false);
  return w.bytes();
}

setHandlerFactory((id: u32, config: FilterConfig): KafkaHandler => new TestHandler());
