// Strings joined in one allocation. The module never calls Array<string>.join: at the
// shrinkLevel the filter is built with (asconfig.json), AssemblyScript 0.27 takes its general
// join, which appends the parts one at a time, each append copying all before it, and under
// the minimal runtime every intermediate string stays until the next collection. One
// client-chosen name of 32,760 control characters, quoted for a policy service, grew the VM past
// 4 GiB and trapped it (assembly/filter/testing/external-escapes.mjs). tools/imports.ts
// refuses `.join(` anywhere else in assembly/.

/** `parts` with `separator` between them, in one allocation: linear in the joined length. */
export function join(parts: Array<string>, separator: string = ""): string {
  const n = parts.length;
  if (n == 0) return "";
  const sep = <usize>separator.length << 1;
  let bytes: usize = sep * <usize>(n - 1);
  for (let i = 0; i < n; i++) bytes += <usize>unchecked(parts[i]).length << 1;
  const out = changetype<string>(__new(bytes, idof<string>()));
  let at = changetype<usize>(out);
  for (let i = 0; i < n; i++) {
    if (i > 0 && sep > 0) {
      memory.copy(at, changetype<usize>(separator), sep);
      at += sep;
    }
    const part = unchecked(parts[i]);
    const len = <usize>part.length << 1;
    memory.copy(at, changetype<usize>(part), len);
    at += len;
  }
  return out;
}
