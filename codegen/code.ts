// A tiny indented-source builder shared by the generators.

export class Code {
  private lines: string[] = [];
  private depth = 0;

  line(text: string): void {
    for (const l of text.split("\n")) this.lines.push(l === "" ? "" : "  ".repeat(this.depth) + l);
  }

  blank(): void { this.lines.push(""); }

  indent(body: () => void): void {
    this.depth++;
    body();
    this.depth--;
  }

  /** `if (cond) { body }`; a condition that is always true keeps only the braces (for scoping). */
  block(cond: string, body: () => void): void {
    if (cond === "false") return;
    this.line(cond === "true" ? "{" : `if (${cond}) {`);
    this.indent(body);
    this.line("}");
  }

  toString(): string { return this.lines.join("\n") + "\n"; }
}
