// A tagged field kept as raw bytes: the ones a codec does not know are carried through
// and re-emitted, so a proxy never drops what a newer client or broker sent.

export class RawTaggedField {
  constructor(public tag: u32, public data: Uint8Array) {}
}
