import { RedisConnection } from 'bullmq';

/**
 * How a BullMQ Queue or Worker sees a connection Pacproxy made and shares (every Queue and
 * Worker here gets one). Closing a Queue or Worker whose connection was not ready yet (Redis
 * down, or still connecting) removes every listener but leaves BullMQ's wait for that connection
 * running; if the connection then ends, the wait fails and its 'error' event, heard by nobody,
 * becomes an unhandled rejection (a crash in a process that lives on after it). Nobody hears it
 * only after a close, so it is dropped: the connection itself logged the outage (redis.ts).
 */
export class SharedConnection extends RedisConnection {
  override emit(event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'error' && this.listenerCount('error') === 0) return false;
    return super.emit(event, ...args);
  }
}
