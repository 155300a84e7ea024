/**
 * Reading Paccurate's answers. An upstream answer is not trusted: every reader takes `unknown`,
 * returns a safe value for missing or odd fields and never throws.
 */

import { sanitizeKey } from './keys';
import { isKeystem } from './schema';

const MAX_REASON_LENGTH = 500;

/** The bucket that box types beyond the limits are counted in; its name says so. */
export const OTHER_BOX_TYPES = '(other)';

/** How much of an answer's box types one request may record (BOX_TYPES_MAX, REFID_MAX_LENGTH). */
export interface BoxTypeLimits {
  /** distinct refIds kept per request; the boxes of any further ones count under OTHER_BOX_TYPES */
  maxBoxTypes: number;
  /** a longer refId counts under OTHER_BOX_TYPES */
  maxRefIdLength: number;
}

export const DEFAULT_BOX_TYPE_LIMITS: BoxTypeLimits = { maxBoxTypes: 100, maxRefIdLength: 64 };

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

/**
 * `usedKeyStem` when it is a keystem the API can read and delete (isKeystem), else
 * undefined: the request is then attributed as one without a keystem.
 */
export function usedKeyStemOf(answer: unknown): string | undefined {
  const v = field(answer, 'usedKeyStem');
  return isKeystem(v) ? v : undefined;
}

/**
 * refId of each box's type → number of boxes of that type; boxes without a refId are skipped.
 * refIds are the client's: names are sanitised as the stores keep them (so the answer shows
 * what is counted), and past the limits they fold into OTHER_BOX_TYPES, so one request cannot
 * grow every reader's answer.
 */
export function boxTypeCountsOf(
  answer: unknown,
  limits: BoxTypeLimits = DEFAULT_BOX_TYPE_LIMITS,
): Record<string, number> {
  const boxes = field(answer, 'boxes');
  const counts = new Map<string, number>();
  if (!Array.isArray(boxes)) return {};
  for (const entry of boxes) {
    const refId = field(field(field(entry, 'box'), 'boxType'), 'refId');
    if ((typeof refId !== 'number' || !Number.isFinite(refId)) && typeof refId !== 'string') continue;
    let key = sanitizeKey(String(refId));
    const known = counts.has(key);
    if (key.length > limits.maxRefIdLength || (!known && counts.size >= limits.maxBoxTypes)) {
      key = OTHER_BOX_TYPES;
    }
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
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
