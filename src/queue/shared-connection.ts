import type { EventEmitter } from 'node:events';
import { RedisConnection } from 'bullmq';

/**
 * How a BullMQ Queue or Worker sees a connection Pacproxy made and shares (every Queue and
 * Worker here gets one). Closing a Queue or Worker whose connection was not ready yet (Redis
 * down, still connecting, or its version check unanswered) removes every listener but leaves
 * BullMQ's wait for that connection running; if the connection then ends, the wait fails and its
 * 'error' event, heard by nobody, becomes an unhandled rejection (a crash in a process that lives
 * on after it). Nobody hears it only after a close, so it is dropped: the connection itself
 * logged the outage (redis.ts).
 */
export class SharedConnection extends RedisConnection {
  constructor(...args: ConstructorParameters<typeof RedisConnection>) {
    super(...args);
    dropUnheardErrors(this);
  }
}

/**
 * Makes `connection` drop an 'error' nobody listens for (see SharedConnection). Also for a
 * connection BullMQ makes itself: a Worker's blocking connection is a plain RedisConnection
 * whatever class the Worker was given.
 */
export function dropUnheardErrors(connection: EventEmitter): void {
  const emit = connection.emit.bind(connection);
  connection.emit = (event, ...args) =>
    event === 'error' && connection.listenerCount('error') === 0 ? false : emit(event, ...args);
}
