// What the shell itself needs of the plugin configuration: frame and buffer limits, and
// whether requests may wait. The plugin configuration (enforce/config.ts) extends it; the
// shell knows nothing else of it.

import { heldBudget } from "./bytes";
import { setTickPeriod } from "../runtime/host";

export const DEFAULT_MAX_FRAME_BYTES: i32 = 104857600; // Kafka's socket.request.max.bytes
export const DEFAULT_MAX_IN_FLIGHT: i32 = 1024;
/**
 * Bytes of unfinished frames one VM (one Envoy worker) holds across all its connections. Wasm
 * memory never shrinks and a VM that cannot allocate dies with every connection on it, so the
 * default stays well below what V8 gives a module, with room for two maximal frames.
 */
export const DEFAULT_MAX_BUFFERED_BYTES: i64 = 256 * 1024 * 1024;
/** A client's request.timeout.ms default: a request still being sent after it is given up. */
export const DEFAULT_FRAME_TIMEOUT_MS: i32 = 30000;
/** Below this, copying a frame in costs less than the host calls that fetch parts of it. */
export const DEFAULT_IN_PLACE_FRAME_BYTES: i32 = 32768;

export class ShellSettings {
  maxFrameBytes: i32 = DEFAULT_MAX_FRAME_BYTES;
  maxInFlight: i32 = DEFAULT_MAX_IN_FLIGHT;
  maxBufferedBytes: i64 = DEFAULT_MAX_BUFFERED_BYTES;
  /** How long a request frame may stay incomplete before its connection is closed. */
  frameTimeoutMs: i32 = DEFAULT_FRAME_TIMEOUT_MS;
  /** Requests may wait for answers from outside (external decisions): a resume gate is needed. */
  requestsMayWait: bool = false;
  /**
   * A request frame at the start of Envoy's buffer that is not whole yet is left there until
   * it is, when it is at most this size (0: every frame is held in the VM as it arrives). It
   * must stay below the listener's per_connection_buffer_limit_bytes: Envoy stops reading a
   * connection whose buffer passes that limit, and the frame would never complete.
   */
  inEnvoyFrameBytes: i32 = 0;
  /**
   * A whole Produce request or Fetch response of at least this size at the start of Envoy's
   * buffer is decided in place: the VM reads its header, topic names, partition and batch
   * headers, not its records, and a passed one goes on from Envoy's buffer; a Fetch response of
   * this size that spans reads is read the same way as it arrives (0: every frame is read whole).
   */
  inPlaceFrameBytes: i32 = DEFAULT_IN_PLACE_FRAME_BYTES;
}

/** Puts `s` in force for the VM: the held-bytes budget and how often stalled frames are looked for. */
export function applyShellSettings(s: ShellSettings): void {
  heldBudget.limit = s.maxBufferedBytes;
  // Stalled frames are looked for a few times per timeout, at most once a second.
  setTickPeriod(<u32>min(1000, max(50, s.frameTimeoutMs / 4)));
}
