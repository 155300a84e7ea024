/**
 * The one way a process stops: a list of steps run in order, each under its own deadline inside
 * one overall deadline. A step that fails or does not finish in time is abandoned and the next
 * one runs anyway, so a dead Redis or a locked store never keeps the rest from closing.
 */

export interface ShutdownStep {
  /** what the step closes, as the exit line names it ("open batches", "leases") */
  name: string;
  run(): Promise<void>;
  /** at most this long (ms); default: whatever is left of the overall deadline */
  timeoutMs?: number;
}

export interface AbandonedStep {
  name: string;
  /** "timed out after 2000 ms", or the error's message */
  why: string;
}

export interface ShutdownReport {
  abandoned: AbandonedStep[];
}

/** A step that cannot finish cleanly throws this: it is reported without a stack. */
export class StepIncompleteError extends Error {
  readonly code = 'PACPROXY_ERR_STOP_INCOMPLETE';
  constructor(message: string) {
    super(message);
    this.name = 'StepIncompleteError';
  }
}

/** Runs every step in order within `totalMs`; answers which were abandoned and why. */
export async function runShutdown(steps: readonly ShutdownStep[], totalMs: number): Promise<ShutdownReport> {
  // on the monotonic clock: a wall clock stepped forward would skip the steps still to run
  const deadline = performance.now() + totalMs;
  const abandoned: AbandonedStep[] = [];
  let timeIsUp = false;
  for (const step of steps) {
    const left = deadline - performance.now();
    const budget = Math.min(step.timeoutMs ?? Infinity, left);
    if (timeIsUp || budget < 1) {
      abandoned.push({ name: step.name, why: 'no time left' });
      continue;
    }
    const result = await outcome(step, budget);
    if (result === null) continue;
    abandoned.push({ name: step.name, why: result.why });
    // a step cut off by the overall deadline used it up, whatever a timer's granularity left
    // over (timers count whole milliseconds from the loop's millisecond clock: one set for
    // 99.9 ms may fire up to 2 ms early by performance.now())
    if (result.late && budget === left) timeIsUp = true;
  }
  return { abandoned };
}

/** null when the step finished within `ms`, else why it did not (`late`: it ran out of time). */
async function outcome(step: ShutdownStep, ms: number): Promise<{ why: string; late: boolean } | null> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<{ why: string; late: boolean }>((resolve) => {
    timer = setTimeout(() => resolve({ why: `timed out after ${Math.round(ms)} ms`, late: true }), ms);
  });
  try {
    return await Promise.race([
      step.run().then(
        () => null,
        (err: unknown) => ({ why: err instanceof Error ? err.message : String(err), late: false }),
      ),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** The one line a stop that abandoned something prints: "a (why), b (why)". */
export function describeAbandoned(report: ShutdownReport): string {
  return report.abandoned.map((a) => `${a.name} (${a.why})`).join(', ');
}
