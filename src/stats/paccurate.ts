/**
 * Reading Paccurate's answers. An upstream answer is not trusted: every reader takes `unknown`,
 * returns a safe value for missing or odd fields and never throws.
 */

/** Longest keystem accepted from an answer (Paccurate's are 10 characters). */
import type { BoxTypeSums } from './types';

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

/** `usedKeyStem` when it is a plausible keystem, else undefined. */
export function usedKeyStemOf(answer: unknown): string | undefined {
  const v = field(answer, 'usedKeyStem');
  return typeof v === 'string' && v !== '' && v.length <= MAX_KEYSTEM_LENGTH ? v : undefined;
}

const MAX_CHOICE_GOAL_LENGTH = 64;

/** The boxes of the answer with their type's refId as a key; boxes without a refId are skipped. */
function keyedBoxes(answer: unknown): { key: string; box: unknown }[] {
  const boxes = field(answer, 'boxes');
  if (!Array.isArray(boxes)) return [];
  return boxes.flatMap((entry) => {
    const box = field(entry, 'box');
    const refId = field(field(box, 'boxType'), 'refId');
    if ((typeof refId !== 'number' || !Number.isFinite(refId)) && typeof refId !== 'string') return [];
    return [{ key: String(refId), box }];
  });
}

/** refId of each box's type → number of boxes of that type. */
export function boxTypeCountsOf(answer: unknown): Record<string, number> {
  const counts = new Map<string, number>();
  for (const { key } of keyedBoxes(answer)) counts.set(key, (counts.get(key) ?? 0) + 1);
  // fromEntries defines own properties, so a refId such as "__proto__" stays a plain key
  return Object.fromEntries(counts);
}

/** refId of each box's type → sums of those boxes' `volumeUtilization` and `price`. */
export function boxTypeSumsOf(answer: unknown): Record<string, BoxTypeSums> {
  const sums = new Map<string, BoxTypeSums>();
  for (const { key, box } of keyedBoxes(answer)) {
    let s = sums.get(key);
    if (!s) sums.set(key, (s = { volumeUtilizationSum: 0, volumeUtilizationCount: 0, totalCost: 0 }));
    const utilization = amountField(box, 'volumeUtilization');
    if (utilization !== null) {
      s.volumeUtilizationSum += utilization;
      s.volumeUtilizationCount += 1;
    }
    s.totalCost += amountField(box, 'price') ?? 0;
  }
  return Object.fromEntries(sums);
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
