// Splits expanded text into words the way BuildKit's ProcessWords does: whitespace that came from the
// word itself or from a `$` expansion separates words; quoted text and escaped characters never do.

/** Go's unicode.IsSpace, so splitting agrees with BuildKit on non-ASCII whitespace. */
export function isSpace(code: number): boolean {
  if (code <= 0xff) return code === 0x20 || (code >= 0x09 && code <= 0x0d) || code === 0x85 || code === 0xa0;
  return code === 0x1680 || (code >= 0x2000 && code <= 0x200a) || code === 0x2028 || code === 0x2029 ||
    code === 0x202f || code === 0x205f || code === 0x3000;
}

export class WordSplitter {
  private word = '';
  private inWord = false;
  private readonly words: string[] = [];

  /** A character that splits words when it is whitespace. */
  addChar(ch: string): void {
    if (isSpace(ch.charCodeAt(0))) {
      // An empty quoted string leaves inWord set with no text; BuildKit then drops it, and so do we.
      if (this.inWord && this.word.length !== 0) {
        this.words.push(this.word);
        this.word = '';
        this.inWord = false;
      }
    } else {
      this.addRaw(ch);
    }
  }

  /** Text that is part of the current word whatever it contains (quoted, or escaped). */
  addRaw(text: string): void {
    this.word += text;
    this.inWord = true;
  }

  /** Expansion output: each whitespace character in it may end a word. */
  addSplittable(text: string): void {
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      if (!isSpace(text.charCodeAt(i))) continue;
      if (i > start) this.addRaw(text.slice(start, i));
      this.addChar(text[i]!);
      start = i + 1;
    }
    if (start < text.length) this.addRaw(start === 0 ? text : text.slice(start));
  }

  finish(): string[] {
    if (this.word.length > 0) {
      this.words.push(this.word);
      this.word = '';
      this.inWord = false;
    }
    return this.words;
  }
}
