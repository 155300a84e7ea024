import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Outbox, OutboxLockedError } from '../../src/queue/outbox';
import type { StatsEvent } from '../../src/stats/types';
import { packEvent, resetEvent } from '../pipeline/support/events';
import { captureLogger } from '../pipeline/support/log';
import { CAN_MOUNT_DISKS, TinyDisk } from '../helpers/tiny-disk';

const root = path.resolve(__dirname, '../..');
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'pacproxy-outbox-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function drainAll(outbox: Outbox): Promise<StatsEvent[]> {
  const got: StatsEvent[] = [];
  await outbox.drain(async (events) => {
    got.push(...events);
  });
  return got;
}

describe('Outbox', () => {
  it('has an event on disk when append resolves, and keeps concurrent appends in one file', async () => {
    const { logger } = captureLogger();
    const outbox = await Outbox.open({ dir, logger });
    const first = packEvent('abcdefghij');
    await outbox.append(first);
    const active = readdirSync(dir).find((f) => f.startsWith('active-'))!;
    expect(JSON.parse(readFileSync(path.join(dir, active), 'utf8'))).toEqual(first);

    const many = Array.from({ length: 300 }, (_, i) => packEvent(`keystem-${i % 7}`));
    await Promise.all(many.map((e) => outbox.append(e)));
    expect(outbox.depth).toBe(301);
    expect(await drainAll(outbox)).toEqual([first, ...many]);
    expect(outbox.isEmpty()).toBe(true);
    expect(readdirSync(dir).filter((f) => f.endsWith('.jsonl'))).toEqual([]);
    await outbox.close();
  });

  it('keeps a segment whose delivery failed and delivers it again, in order, next time', async () => {
    const { logger } = captureLogger();
    const outbox = await Outbox.open({ dir, logger });
    const events = [packEvent('a-keystem'), resetEvent('a-keystem'), packEvent('a-keystem')];
    for (const e of events) await outbox.append(e);
    await expect(
      outbox.drain(async () => {
        throw new Error('Redis went away');
      }),
    ).rejects.toThrow('Redis went away');
    expect(outbox.depth).toBe(3);
    const later = packEvent('b-keystem');
    await outbox.append(later);
    expect(await drainAll(outbox)).toEqual([...events, later]);
    expect(outbox.depth).toBe(0);
    await outbox.close();
  });

  it('seals into bounded segments and drains them oldest first', async () => {
    const { logger } = captureLogger();
    const outbox = await Outbox.open({ dir, logger, maxSegmentBytes: 2000 });
    const events = Array.from({ length: 40 }, () => packEvent('abcdefghij'));
    for (const e of events) await outbox.append(e);
    expect(readdirSync(dir).filter((f) => f.startsWith('segment-')).length).toBeGreaterThan(3);
    expect(await drainAll(outbox)).toEqual(events);
    await outbox.close();
  });

  it('after a crash, replays what was left and skips a torn last line with a warning', async () => {
    const kept = [packEvent('abcdefghij'), packEvent('klmnopqrst')];
    const lines = kept.map((e) => JSON.stringify(e)).join('\n');
    const TORN = '{"kind":"pack","eventId":"7b';
    writeFileSync(path.join(dir, 'active-999999.jsonl'), `${lines}\n${TORN}`);
    writeFileSync(path.join(dir, 'segment-4.jsonl'), `${JSON.stringify(kept[0])}\n`);
    const { logger, lines: log } = captureLogger();
    const outbox = await Outbox.open({ dir, logger });
    expect(outbox.depth).toBe(3);
    expect(await drainAll(outbox)).toEqual([kept[0], ...kept]);
    // a warning names the file and the size of what was skipped
    expect(log.some((l) => l.level === 40 && typeof l.file === 'string' && l.bytes === TORN.length)).toBe(
      true,
    );
    await outbox.close();
  });

  it('loses no acknowledged append when its process is SIGKILLed mid-stream', async () => {
    // A child appends as fast as it can and prints each event id once append resolved.
    const script = `
      const { Outbox } = require(${JSON.stringify(path.join(root, 'dist/src/queue/outbox.js'))});
      const { createLogger } = require(${JSON.stringify(path.join(root, 'dist/src/log/logger.js'))});
      const { randomUUID } = require('node:crypto');
      (async () => {
        const outbox = await Outbox.open({ dir: process.argv[1], logger: createLogger('silent') });
        for (;;) {
          await Promise.all(Array.from({ length: 20 }, async () => {
            const e = { kind: 'reset', eventId: randomUUID(), keystem: 'abcdefghij', at: Date.now() };
            await outbox.append(e);
            process.stdout.write(e.eventId + '\\n');
          }));
        }
      })();`;
    const child = spawn(process.execPath, ['-e', script, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await new Promise<void>((resolve) => {
      child.stdout.on('data', () => {
        if (out.split('\n').length > 2000) resolve();
      });
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    const acknowledged = out.split('\n').filter((l) => l.length === 36);
    expect(acknowledged.length).toBeGreaterThanOrEqual(2000);

    const { logger } = captureLogger();
    const outbox = await Outbox.open({ dir, logger });
    const replayed = new Set((await drainAll(outbox)).map((e) => e.eventId));
    expect(acknowledged.filter((id) => !replayed.has(id))).toEqual([]);
    await outbox.close();
  });

  it('refuses a folder another live process holds', async () => {
    const sleeper = spawn('sleep', ['30']);
    try {
      writeFileSync(path.join(dir, 'outbox.lock'), `${sleeper.pid}\n`);
      const { logger } = captureLogger();
      await expect(Outbox.open({ dir, logger })).rejects.toBeInstanceOf(OutboxLockedError);
    } finally {
      sleeper.kill('SIGKILL');
    }
    // a lock left by a dead process is taken over
    const dead = spawnSync('true').pid;
    writeFileSync(path.join(dir, 'outbox.lock'), `${dead}\n`);
    const { logger } = captureLogger();
    const outbox = await Outbox.open({ dir, logger });
    await outbox.close();
    expect(existsSync(path.join(dir, 'outbox.lock'))).toBe(false);
  });

  it('knows which keystems have a reset waiting, until it is delivered', async () => {
    const { logger } = captureLogger();
    const outbox = await Outbox.open({ dir, logger });
    await outbox.append(packEvent('a-keystem'));
    await outbox.append(resetEvent('b-keystem'));
    expect([outbox.holdsResetOf('a-keystem'), outbox.holdsResetOf('b-keystem')]).toEqual([false, true]);
    await outbox.close();
    const reopened = await Outbox.open({ dir, logger });
    expect(reopened.holdsResetOf('b-keystem')).toBe(true);
    await drainAll(reopened);
    expect(reopened.holdsResetOf('b-keystem')).toBe(false);
    await reopened.close();
  });

  // a real tmpfs of 128 KB: mounting needs root, as in CI's container
  const withDisk = CAN_MOUNT_DISKS ? it : it.skip;
  withDisk(
    'rolls a failed group commit back on a full disk: refused lines never replayed, nothing torn',
    async () => {
      const disk = (await TinyDisk.mount(path.join(dir, 'tiny'), 128 * 1024))!;
      try {
        const { logger } = captureLogger();
        let outbox = await Outbox.open({ dir: disk.dir, logger });
        disk.fill(12 * 1024);
        const acknowledged: string[] = [];
        const refused: string[] = [];
        const wave = async () => {
          const events = Array.from({ length: 10 }, (_, i) => packEvent(`keystem-${i}`));
          const outcomes = await Promise.allSettled(events.map((e) => outbox.append(e)));
          outcomes.forEach((o, i) =>
            (o.status === 'fulfilled' ? acknowledged : refused).push(events[i]!.eventId),
          );
        };
        while (refused.length < 30) await wave();
        expect(await outbox.hasRoom()).toBe(false);
        disk.free();
        const beforeFree = acknowledged.length;
        for (let i = 0; i < 3; i++) await wave();
        expect(acknowledged.length).toBe(beforeFree + 30);
        expect(outbox.depth).toBe(acknowledged.length);

        // what is on disk, read back by a fresh process's recovery
        await outbox.close();
        outbox = await Outbox.open({ dir: disk.dir, logger });
        expect(outbox.depth).toBe(acknowledged.length);
        const replayed = (await drainAll(outbox)).map((e) => e.eventId);
        expect(replayed.sort()).toEqual([...acknowledged].sort());
        await outbox.close();
      } finally {
        disk.free();
        await disk.unmount();
      }
    },
  );
});
