// Keys the runtime's string hashes for this VM (AssemblyScript's Map and Set; the std library
// is patched for it: patches/assemblyscript+0.27.37.patch). Their buckets are walked key by key,
// so names a client chose to share a bucket made a request naming thousands of them cost the
// square of their count (a Metadata request of 80,000 such names held a VM 44 s). Keyed at the
// first context Envoy creates (main.ts), before anything puts a string in a map: Envoy allows
// no host call while the module initializes, and the clock is all the entropy a VM has.

import { hashedUnseeded, seedHashes } from "~lib/util/hash";
import { nowNs } from "./host";

let seeded = false;

/** MurmurHash3's 64-bit finalizer: every bit of `x` moves about half of the result's. */
export function mix64(x: u64): u64 {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccd;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53;
  return x ^ (x >> 33);
}

/** Keys the hashes once; false if a string was hashed before (a map holding it would lose it). */
export function seedHashesOnce(): bool {
  if (seeded) return true;
  seeded = true;
  const now = <u64>nowNs();
  seedHashes(mix64(now ^ 0x243f6a8885a308d3), mix64(now + 0x13198a2e03707344));
  return hashedUnseeded() == 0;
}
