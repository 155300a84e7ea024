/** A `.`, a NUL or a leading `$`: what the replacements below take out. */
const NEEDS_REPLACING = /[.\0]|^\$/;

/**
 * Map keys built from data (box refIds, status codes) become field names in MongoDB, where `.`
 * means "nested", a leading `$` means "operator", and empty names or NUL bytes are refused.
 * The fold sanitises every key once, so every backend stores and returns the same names.
 * Replacements are the look-alike full-width forms, so a key stays readable.
 */
export function sanitizeKey(key: string): string {
  if (key === '') return '\u2205'; // ∅
  if (key === '__proto__') return '\uFF3F\uFF3Fproto\uFF3F\uFF3F'; // would rewrite a JS object's prototype
  if (!NEEDS_REPLACING.test(key)) return key; // the usual case, once per key per event
  return key.replace(/\./g, '\uFF0E').replace(/^\$/, '\uFF04').replace(/\0/g, '\uFFFD');
}
