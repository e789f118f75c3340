// The composition root of the filter: the shell (filter/: framing in both directions,
// in-flight order, Envoy's buffers; see filter/connection.ts) and the policy (enforce/), which
// meet only at filter/seam.ts, put together under the root contexts Envoy creates. The same
// module is also the "kafka_resume" filter (filter/resume.ts), needed in front of "kafka" only
// where requests wait for an external decision.

import { RootContext, Context, registerRootContext } from "@solo-io/proxy-runtime/assembly/runtime";
import { BufferTypeValues, readBuffer, info, warn, refreshLogLevel, nowNs } from "./runtime/host";
import { collectAtCallbackStart, setConfiguredObjects } from "./runtime/collect";
import { KafkaConnection, closeStalledConnections } from "./filter/connection";
import { KafkaHandler } from "./filter/seam";
import { applyShellSettings } from "./filter/settings";
import { ResumeRoot, RESUME_ROOT_ID } from "./filter/resume";
import { FilterConfig, loadConfig, refusingConfig } from "./enforce/config";
import { makeEnforcer } from "./enforce/handler";
import { setTopicStatsLimit, setPrincipalStatsLimit } from "./enforce/observe";
import { answered } from "./enforce/external";
import { endRefusalWindow } from "./enforce/refusal-log";
import { endLineWindows } from "./runtime/line-budget";

const ROOT_ID = "kafka";

/** Makes the handler of a new connection under the plugin configuration in force. */
export type HandlerFactory = (connectionId: u32, config: FilterConfig) => KafkaHandler;

let handlerFactory: HandlerFactory = makeEnforcer;

/** For test builds of this module only (filter/testing/entry.ts): another handler than the policy's. */
export function setHandlerFactory(f: HandlerFactory): void { handlerFactory = f; }

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
    applyShellSettings(c.settings);
    setConfiguredObjects(c.policy.authorizer.heldObjects());
    info("kafka filter configured: " + c.describe());
    return true;
  }

  onTick(): void {
    collectAtCallbackStart();
    // A level changed on a running Envoy (/logging) reaches long-lived connections within a tick.
    refreshLogLevel();
    const c = this.config;
    if (c == null) return;
    const now = nowNs();
    closeStalledConnections(now, <i64>c.settings.frameTimeoutMs * 1000000);
    endRefusalWindow(now);
    endLineWindows(now);
  }

  // Answers to external decision calls, which are made on behalf of this root.
  onHttpCallResponse(token: u32, headers: u32, body_size: u32, trailers: u32): void {
    answered(this.context_id, token, headers, body_size);
  }

  createContext(context_id: u32): Context {
    let c = this.config;
    if (c == null) c = refusingConfig();
    return KafkaConnection.create(context_id, this, c.settings, handlerFactory(context_id, c));
  }
}

/**
 * Registers the root contexts, at the first context Envoy creates (main.ts), after the hashes
 * are keyed (runtime/hash-seed.ts): the SDK keeps the factories in a map by root id.
 */
export function registerRoots(): void {
  registerRootContext((context_id: u32): RootContext => new KafkaRoot(context_id), ROOT_ID);
  registerRootContext((context_id: u32): RootContext => new ResumeRoot(context_id), RESUME_ROOT_ID);
}
