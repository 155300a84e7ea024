/**
 * Reading Paccurate's answers. An upstream answer is not trusted: every reader takes `unknown`,
 * returns a safe value for missing or odd fields and never throws.
 */

/** Longest keystem accepted from an answer (Paccurate's are 10 characters). */
const MAX_KEYSTEM_LENGTH = 64;
const MAX_REASON_LENGTH = 500;

function field(answer: unknown, name: string): unknown {
  return answer !== null && typeof answer === 'object'
    ? (answer as Record<string, unknown>)[name]
    : undefined;
}

/** A finite number, or 0. */
export function numberField(answer: unknown, name: string): number {
  const v = field(answer, name);
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

/** `usedKeyStem` when it is a plausible keystem, else undefined. */
export function usedKeyStemOf(answer: unknown): string | undefined {
  const v = field(answer, 'usedKeyStem');
  return typeof v === 'string' && v !== '' && v.length <= MAX_KEYSTEM_LENGTH ? v : undefined;
}

/** refId of each box's type → number of boxes of that type; boxes without a refId are skipped. */
export function boxTypeCountsOf(answer: unknown): Record<string, number> {
  const boxes = field(answer, 'boxes');
  const counts = new Map<string, number>();
  if (!Array.isArray(boxes)) return {};
  for (const entry of boxes) {
    const refId = field(field(field(entry, 'box'), 'boxType'), 'refId');
    if ((typeof refId !== 'number' || !Number.isFinite(refId)) && typeof refId !== 'string') continue;
    const key = String(refId);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  // fromEntries defines own properties, so a refId such as "__proto__" stays a plain key
  return Object.fromEntries(counts);
}

/** The reason an error answer gives (Paccurate says `{code, message}`), if it gives one. */
export function errorReasonOf(answer: unknown): string | undefined {
  for (const name of ['message', 'Message', 'error', 'detail']) {
    const v = field(answer, name);
    if (typeof v === 'string' && v.trim() !== '') return v.slice(0, MAX_REASON_LENGTH);
  }
  return undefined;
}
