// Values the generated samples share.

/** A few bytes that differ by seed, so a swapped field shows. */
export function sampleBytes(seed: i32): Uint8Array {
  const b = new Uint8Array(3 + (seed % 4));
  for (let i = 0; i < b.length; i++) b[i] = <u8>(seed * 13 + i);
  return b;
}
