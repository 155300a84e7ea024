/**
 * Reading Paccurate's answers. An upstream answer is not trusted: every reader takes `unknown`,
 * returns a safe value for missing or odd fields and never throws.
 */

import { sanitizeKey } from './keys';
import { isKeystem } from './schema';
import type { BoxTypeSums } from './types';

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

/** A finite number ≥ 0, or null (missing, or of the wrong type). */
export function amountField(answer: unknown, name: string): number | null {
  const v = field(answer, name);
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : null;
}

/** A whole number ≥ 0, or 0. */
export function countField(answer: unknown, name: string): number {
  const v = field(answer, name);
  return Number.isSafeInteger(v) && (v as number) >= 0 ? (v as number) : 0;
}

/**
 * `usedKeyStem` when it is a keystem the API can read and delete (isKeystem), else
 * undefined: the request is then attributed as one without a keystem.
 */
export function usedKeyStemOf(answer: unknown): string | undefined {
  const v = field(answer, 'usedKeyStem');
  return isKeystem(v) ? v : undefined;
}

const MAX_CHOICE_GOAL_LENGTH = 64;

/**
 * The boxes of the answer keyed by their type's refId; boxes without a refId are skipped.
 * refIds are the client's: names are sanitised as the stores keep them (so the answer shows
 * what is counted), and past the limits they fold into OTHER_BOX_TYPES, so one request cannot
 * grow every reader's answer.
 */
function keyedBoxes(answer: unknown, limits: BoxTypeLimits): { key: string; box: unknown }[] {
  const boxes = field(answer, 'boxes');
  if (!Array.isArray(boxes)) return [];
  const kept = new Set<string>();
  return boxes.flatMap((entry) => {
    // Paccurate wraps each box (`{box: {...}}`) and names its type twice (`box.boxType.refId`
    // and the box's own `refId`, both in its specification): an answer with either counts
    const box = field(entry, 'box') ?? entry;
    const refId = field(field(box, 'boxType'), 'refId') ?? field(box, 'refId');
    if ((typeof refId !== 'number' || !Number.isFinite(refId)) && typeof refId !== 'string') return [];
    let key = sanitizeKey(String(refId));
    if (key.length > limits.maxRefIdLength || (!kept.has(key) && kept.size >= limits.maxBoxTypes)) {
      key = OTHER_BOX_TYPES;
    } else kept.add(key);
    return [{ key, box }];
  });
}

/** An answer's box types, by refId as keyedBoxes names them. */
export interface BoxTypesOfAnswer {
  /** refId → number of boxes of that type */
  counts: Record<string, number>;
  /** refId → sums of those boxes' `volumeUtilization` and `price` */
  sums: Record<string, BoxTypeSums>;
}

/** The box types of an answer, counted and summed in one pass over its boxes. */
export function boxTypesOf(
  answer: unknown,
  limits: BoxTypeLimits = DEFAULT_BOX_TYPE_LIMITS,
): BoxTypesOfAnswer {
  const counts = new Map<string, number>();
  const sums = new Map<string, BoxTypeSums>();
  for (const { key, box } of keyedBoxes(answer, limits)) {
    counts.set(key, (counts.get(key) ?? 0) + 1);
    let s = sums.get(key);
    if (!s) sums.set(key, (s = { volumeUtilizationSum: 0, volumeUtilizationCount: 0, totalCost: 0 }));
    const utilization = amountField(box, 'volumeUtilization');
    if (utilization !== null) {
      s.volumeUtilizationSum += utilization;
      s.volumeUtilizationCount += 1;
    }
    s.totalCost += amountField(box, 'price') ?? 0;
  }
  // fromEntries defines own properties, so a refId such as "__proto__" stays a plain key
  return { counts: Object.fromEntries(counts), sums: Object.fromEntries(sums) };
}

/** `boxTypeChoiceGoalUsed` when it is a plausible goal name, else null. */
export function choiceGoalOf(answer: unknown): string | null {
  const v = field(answer, 'boxTypeChoiceGoalUsed');
  return typeof v === 'string' && v !== '' && v.length <= MAX_CHOICE_GOAL_LENGTH ? v : null;
}

/** How many warnings the answer carries (0 when `warnings` is missing or not an array). */
export function warningCountOf(answer: unknown): number {
  const v = field(answer, 'warnings');
  return Array.isArray(v) ? v.length : 0;
}

/** The reason an error answer gives (Paccurate says `{code, message}`), if it gives one. */
export function errorReasonOf(answer: unknown): string | undefined {
  for (const name of ['message', 'Message', 'error', 'detail']) {
    const v = field(answer, name);
    if (typeof v === 'string' && v.trim() !== '') return v.slice(0, MAX_REASON_LENGTH);
  }
  return undefined;
}
