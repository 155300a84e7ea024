import net from 'node:net';
import { RedisProcess } from './redis-server';

function roundTrip(port: number, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(command));
    socket.once('data', (d) => {
      socket.destroy();
      resolve(d.toString());
    });
    socket.once('error', reject);
  });
}

describe('RedisProcess (test helper)', () => {
  it('keeps acknowledged writes through SIGKILL and an AOF restart', async () => {
    const redis = await RedisProcess.start();
    try {
      expect(await roundTrip(redis.port, 'SET k survived\r\n')).toBe('+OK\r\n');
      await redis.kill();
      await expect(roundTrip(redis.port, 'PING\r\n')).rejects.toThrow();
      await redis.restart();
      expect(await roundTrip(redis.port, 'GET k\r\n')).toBe('$8\r\nsurvived\r\n');
    } finally {
      await redis.stop();
    }
  });
});
