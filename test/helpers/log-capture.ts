import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/log/logger';

/**
 * A real pino logger's lines, kept: as text, to check that no key ever appears, and parsed, to
 * find a line by its fields (level, op, err) rather than by its wording.
 */
export class LogCapture {
  readonly lines: string[] = [];
  readonly stream = new Writable({
    write: (chunk, _enc, done) => {
      this.lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });

  /** A logger writing here. */
  logger(level = 'info'): Logger {
    return createLogger(level, this.stream);
  }

  /** The lines from `from` on, parsed. */
  records(from = 0): Array<Record<string, unknown>> {
    return this.lines.slice(from).map((line) => JSON.parse(line) as Record<string, unknown>);
  }
}
