import type { Logger } from '../log/logger';
import { describeAbandoned, runShutdown, type ShutdownStep } from './shutdown';

/** Exit codes of every Pacproxy process (README, "Stopping"). */
export const EXIT = {
  /** stopped cleanly: every step of the stop finished */
  clean: 0,
  /** did not start (bad configuration, no Redis, a port taken) */
  startFailed: 1,
  /** stopped within SHUTDOWN_TIMEOUT_MS with something abandoned (named on stderr), or a second signal */
  incomplete: 2,
} as const;

export interface StopOnSignalOptions {
  /** names the process on its exit line ("pacproxy", "pacproxy worker") */
  name: string;
  logger: Logger;
  /** SHUTDOWN_TIMEOUT_MS: the whole stop fits in it */
  timeoutMs: number;
  /** read when the signal comes: installed before the start, a part adds its steps once it runs */
  steps: () => readonly ShutdownStep[];
}

/**
 * One Ctrl-C can arrive twice: the terminal signals the whole foreground process group, and npm
 * (`npm start`) relays its own copy to node. Repeats this soon after the first are that echo,
 * not a second request.
 */
const SIGNAL_ECHO_MS = 1000;

/**
 * On the first SIGTERM or SIGINT runs the steps (src/lifecycle/shutdown.ts), then exits: 0 when
 * all finished, 2 with one stderr line naming what was abandoned. A second signal, more than
 * SIGNAL_ECHO_MS after the first, exits 2 at once.
 */
export function stopOnSignal(options: StopOnSignalOptions): void {
  const { name, logger } = options;
  let firstAt: number | null = null;
  const handle = (signal: NodeJS.Signals) => {
    if (firstAt !== null) {
      if (performance.now() - firstAt <= SIGNAL_ECHO_MS) return;
      process.stderr.write(`${name}: second ${signal}: exiting now, the stop abandoned\n`);
      process.exit(EXIT.incomplete);
    }
    firstAt = performance.now();
    logger.info({ signal, timeoutMs: options.timeoutMs }, 'stopping');
    // a signal handler cannot await; runShutdown never rejects (each step's failure is reported)
    void runShutdown(options.steps(), options.timeoutMs).then((report) => {
      if (report.abandoned.length === 0) {
        logger.info('stopped cleanly');
        process.exit(EXIT.clean);
      }
      logger.warn({ abandoned: report.abandoned }, 'stopped with work abandoned');
      process.stderr.write(`${name}: stopped with work abandoned: ${describeAbandoned(report)}\n`);
      process.exit(EXIT.incomplete);
    });
  };
  process.on('SIGTERM', handle);
  process.on('SIGINT', handle);
}

/** For entry points: a start that failed prints one line and exits 1. */
export function exitOnStartFailure(name: string): (err: unknown) => never {
  return (err) => {
    process.stderr.write(`${name}: failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(EXIT.startFailed);
  };
}
