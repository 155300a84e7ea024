import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger };

/**
 * Structured JSON logs. API keys must never reach a log line: we never log request headers,
 * and the redaction below is a second guard should one slip into a logged object.
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
    destination,
  );
}
