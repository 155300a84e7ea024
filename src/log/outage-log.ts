import type { Logger } from './logger';

export interface OutageMessages {
  /** logged (warn) at the first failure of an outage */
  down: string;
  /** logged (info) at the first success after it */
  up: string;
}

/**
 * Logs a dependency's outage once: its first failure and its recovery, not every failed call
 * in between (a dead Redis would otherwise write a line per request).
 */
export class OutageLog {
  private failing = false;

  constructor(
    private readonly logger: Logger,
    private readonly messages: OutageMessages,
  ) {}

  failed(err: unknown, context: Record<string, unknown> = {}): void {
    if (this.failing) return;
    this.failing = true;
    this.logger.warn({ ...context, err }, this.messages.down);
  }

  recovered(): void {
    if (!this.failing) return;
    this.failing = false;
    this.logger.info(this.messages.up);
  }
}
