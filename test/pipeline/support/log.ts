import { createLogger, type Logger } from '../../../src/log/logger';

/** A real pino logger whose lines are kept for assertions. */
export function captureLogger(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger('debug', { write: (s: string) => lines.push(JSON.parse(s)) });
  return { logger, lines };
}
