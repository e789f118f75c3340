// Entry point of build/filter.wasm: a proxy-wasm network filter (root_id "kafka") that frames
// the Kafka protocol in both directions of each connection. See connection.ts for how bytes
// move through Envoy, seam.ts for where message codecs and policy plug in.

export * from "@solo-io/proxy-runtime/assembly/proxy"; // the proxy_* exports and malloc Envoy calls
import { RootContext, Context, registerRootContext } from "@solo-io/proxy-runtime/assembly/runtime";
import { BufferTypeValues, readBuffer, info, warn, refreshLogLevel } from "../runtime/host";
import { FilterConfig, parseConfig } from "./config";
import { KafkaConnection } from "./connection";

// Policy plugs in here: a module whose top level calls setHandlerFactory (see seam.ts),
// imported for its side effect, e.g.  import "../policy/handler";

const ROOT_ID = "kafka";

class KafkaRoot extends RootContext {
  config: FilterConfig = new FilterConfig();

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
    const c = parseConfig(raw);
    if (c.error.length > 0) {
      warn("kafka filter: invalid configuration: " + c.error);
      return false;
    }
    this.config = c;
    info("kafka filter configured: " + c.describe());
    return true;
  }

  createContext(context_id: u32): Context {
    return KafkaConnection.create(context_id, this, this.config);
  }
}

registerRootContext((context_id: u32): RootContext => new KafkaRoot(context_id), ROOT_ID);
