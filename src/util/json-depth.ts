const OPEN_OBJECT = 0x7b; // {
const OPEN_ARRAY = 0x5b; // [
const CLOSE_OBJECT = 0x7d; // }
const CLOSE_ARRAY = 0x5d; // ]
const QUOTE = 0x22; // "
const BACKSLASH = 0x5c; // \

/**
 * Whether JSON text nests objects and arrays deeper than `maxDepth`, found in one pass over the
 * bytes before anything parses them (brackets inside strings do not count). Parsing a deeply
 * nested body costs seconds and gigabytes, and recursive code over it (the cache key's
 * stringify) overflows the stack; with this check in front, nothing downstream sees more than
 * `maxDepth` levels. Text that is not JSON may pass: the parser refuses it next.
 * Every request and every answer goes through here, so strings are skipped with indexOf (native)
 * rather than byte by byte: answers carry long strings (SVG images).
 */
export function nestsDeeperThan(text: Buffer, maxDepth: number): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const byte = text[i];
    if (byte === QUOTE) {
      i = closingQuote(text, i);
      if (i < 0) return false;
    } else if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) {
      if (++depth > maxDepth) return true;
    } else if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) {
      depth--;
    }
  }
  return false;
}

/** Where the string opened at `open` ends: the next quote after an even run of backslashes; -1 if none. */
function closingQuote(text: Buffer, open: number): number {
  let at = open;
  for (;;) {
    at = text.indexOf(QUOTE, at + 1);
    if (at < 0) return -1;
    let before = at - 1;
    while (text[before] === BACKSLASH) before--;
    if ((at - before) % 2 === 1) return at;
  }
}
