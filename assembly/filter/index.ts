// Entry point of build/filter.wasm: a proxy-wasm network filter (root_id "kafka") that frames
// the Kafka protocol in both directions of each connection. See connection.ts for how bytes
// move through Envoy, seam.ts for where message codecs and policy plug in. The same module is
// also the "kafka_resume" filter (resume.ts), needed in front of "kafka" only where requests
// wait for an external decision.

export * from "@solo-io/proxy-runtime/assembly/proxy"; // the proxy_* exports and malloc Envoy calls
import { RootContext, Context, registerRootContext } from "@solo-io/proxy-runtime/assembly/runtime";
import { BufferTypeValues, readBuffer, info, warn, refreshLogLevel, setTickPeriod, nowNs } from "../runtime/host";
import { FilterConfig, loadConfig, refusingConfig } from "./config";
import { KafkaConnection, closeStalledConnections } from "./connection";
import { heldBudget } from "./bytes";
import { ResumeRoot, RESUME_ROOT_ID } from "./resume";
// The policy plugs in through the seam: its module registers the per-connection Enforcer.
import "../enforce/handler";
import { setTopicStatsLimit, setPrincipalStatsLimit } from "../enforce/observe";
import { answered } from "../enforce/external";

const ROOT_ID = "kafka";

class KafkaRoot extends RootContext {
  // Until a configuration loads, the root refuses it and Envoy creates no connections.
  config: FilterConfig | null = null;

  onConfigure(configuration_size: u32): bool {
    refreshLogLevel();
    let raw = "";
    if (configuration_size > 0) {
      const b = readBuffer(BufferTypeValues.PluginConfiguration, configuration_size);
      if (b == null) {
        warn("kafka filter: plugin configuration unavailable");
        return false;
      }
      raw = String.UTF8.decodeUnsafe(b.dataStart, <usize>b.length);
    }
    const loaded = loadConfig(raw);
    if (loaded.config == null) {
      // A refused configuration leaves the one in force (if any) unchanged.
      warn("kafka filter: configuration refused: " + loaded.error + (this.config != null ? " (keeping the previous one)" : ""));
      return false;
    }
    const c = loaded.config!;
    const external = c.external;
    if (external != null) external.rootContextId = this.context_id;
    this.config = c;
    setTopicStatsLimit(c.settings.topicStatsLimit);
    setPrincipalStatsLimit(c.settings.principalStatsLimit);
    heldBudget.limit = c.settings.maxBufferedBytes;
    // Stalled frames are looked for a few times per timeout, at most once a second.
    setTickPeriod(<u32>min(1000, max(50, c.settings.frameTimeoutMs / 4)));
    info("kafka filter configured: " + c.describe());
    return true;
  }

  onTick(): void {
    const c = this.config;
    if (c == null) return;
    closeStalledConnections(nowNs(), <i64>c.settings.frameTimeoutMs * 1000000);
  }

  // Answers to external decision calls, which are made on behalf of this root.
  onHttpCallResponse(token: u32, headers: u32, body_size: u32, trailers: u32): void {
    answered(this.context_id, token, headers, body_size);
  }

  createContext(context_id: u32): Context {
    let c = this.config;
    if (c == null) c = refusingConfig();
    return KafkaConnection.create(context_id, this, c);
  }
}

registerRootContext((context_id: u32): RootContext => new KafkaRoot(context_id), ROOT_ID);
registerRootContext((context_id: u32): RootContext => new ResumeRoot(context_id), RESUME_ROOT_ID);
