import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger };

/**
 * Structured JSON logs. API keys must never reach a log line: we never log request headers,
 * and the redaction below is a second guard should one slip into a logged object.
 * Without a destination, lines go to stdout in batches: written once 4 KB are pending, else at
 * the latest every 200 ms, so a line per request does not cost a write per request.
 * Writes are synchronous, as pino's default; what is pending is written when the process exits
 * (a SIGKILL loses at most the last 200 ms).
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'pacproxy' },
      redact: {
        paths: [
          'authorization',
          'apiKey',
          '*.authorization',
          '*.apiKey',
          'headers.authorization',
          'req.headers.authorization',
        ],
        censor: '[redacted]',
      },
    },
    destination ?? batchedStdout(),
  );
}

let stdout: DestinationStream | undefined;

/** stdout in 4 KB batches, flushed every 200 ms and at exit: one stream per process, shared. */
function batchedStdout(): DestinationStream {
  if (stdout) return stdout;
  const stream = pino.destination({ dest: 1, sync: true, minLength: 4096, periodicFlush: 200 });
  process.once('exit', () => stream.flushSync());
  stdout = stream;
  return stream;
}
