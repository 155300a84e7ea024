/**
 * A time zone's UTC offsets as a table of changes, so that reading the wall clock is
 * arithmetic instead of one Intl call per instant (a year of days asked Intl some 1,500 times).
 * The table is built from the zone's own answers (`measure`, i.e. Intl) a block of time at a
 * time: the offset is sampled once a day, and where two samples differ the change is bisected
 * to the second (offsets and their changes are whole seconds). Two changes less than a day apart
 * that cancel out would be missed; the zone database has none. Pure: no I/O, no clock.
 */

const DAY_MS = 24 * 60 * 60 * 1000;
/** Days of one block: its first build asks Intl ~130 times, plus ~17 per change. */
const BLOCK_MS = 128 * DAY_MS;
/** Blocks kept per zone (~90 years); past that the table starts again. */
const MAX_BLOCKS = 256;

interface Block {
  /** the offset at the block's start */
  first: number;
  /** from `at` on, `offset` holds (in time order) */
  changes: { at: number; offset: number }[];
}

export class OffsetTable {
  private readonly blocks = new Map<number, Block>();

  /** `measure(t)`: the zone's offset at instant t (ms), the truth the table is built from. */
  constructor(private readonly measure: (t: number) => number) {}

  /** The offset at `t` (ms), as `measure` would answer it. */
  at(t: number): number {
    const index = Math.floor(t / BLOCK_MS);
    let block = this.blocks.get(index);
    if (!block) {
      if (this.blocks.size >= MAX_BLOCKS) this.blocks.clear();
      block = this.build(index * BLOCK_MS);
      this.blocks.set(index, block);
    }
    let offset = block.first;
    for (const change of block.changes) {
      if (t < change.at) break;
      offset = change.offset;
    }
    return offset;
  }

  private build(start: number): Block {
    const first = this.measure(start);
    const changes: Block['changes'] = [];
    let at = start;
    let offset = first;
    for (let end = start + DAY_MS; end <= start + BLOCK_MS; end += DAY_MS) {
      const ending = this.measure(end);
      while (offset !== ending) {
        // the first second in (at, end] whose offset is not `offset`
        let lo = at;
        let hi = end;
        while (hi - lo > 1000) {
          const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
          if (this.measure(mid) === offset) lo = mid;
          else hi = mid;
        }
        at = hi;
        offset = this.measure(hi);
        changes.push({ at, offset });
      }
      at = end;
    }
    return { first, changes };
  }
}
