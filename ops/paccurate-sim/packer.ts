/**
 * The simulator's packing heuristic: deterministic, simple, and answering in Paccurate's shape.
 * First-fit decreasing by volume: the largest item first goes into the first open box it fits
 * (some orientation, volume left, weight left); else a new box of the smallest type that can
 * take it; an item that fits no box type is a leftover. Volume is counted, not placed: this
 * models Paccurate's answer, not its geometry.
 */

export interface Dimensions {
  x: number;
  y: number;
  z: number;
}

export interface BoxType {
  refId: number | string;
  name: string;
  dimensions: Dimensions;
  /** 0 means no limit; the tare counts against it */
  weightMax: number;
  /** the empty box's weight */
  weightTare: number;
  /** cents per box, when the request gives one; else a box is priced by its volume, as Paccurate does */
  price?: number;
}

/** One unit of an item set (an item set of quantity 3 is three units). */
interface Unit {
  refId: number | string;
  name: string;
  color: string;
  dimensions: Dimensions;
  weight: number;
  volume: number;
  index: number;
  uniqueId: string;
}

interface OpenBox {
  type: BoxType;
  volumeMax: number;
  units: Unit[];
  volumeUsed: number;
  weightUsed: number;
}

/** The request is JSON but not a pack request Paccurate would take: a 400. */
export class InvalidPackRequestError extends Error {
  readonly code = 'SIM_ERR_INVALID_REQUEST';
  constructor(message: string) {
    super(message);
    this.name = 'InvalidPackRequestError';
  }
}

/** Used when a request names no boxTypes (Paccurate would use the account's defaults). */
export const DEFAULT_BOX_TYPES: readonly BoxType[] = [
  { refId: 0, name: '6x6x6', dimensions: { x: 6, y: 6, z: 6 }, weightMax: 50, weightTare: 0 },
  { refId: 1, name: '12x12x12', dimensions: { x: 12, y: 12, z: 12 }, weightMax: 70, weightTare: 0 },
  { refId: 2, name: '18x18x24', dimensions: { x: 18, y: 18, z: 24 }, weightMax: 150, weightTare: 0 },
];

/** More units than this in one request is refused, as a real API would. */
export const MAX_UNITS = 10_000;

const EPSILON = 1e-9;

export interface PackOptions {
  /** first 10 characters of the caller's API key; omitted from the answer when absent */
  keyStem?: string;
  /** SVG figures per box, unless the request says includeImages: false */
  images: boolean;
}

/** Packs a parsed request body into a Paccurate-shaped answer. Throws InvalidPackRequestError. */
export function pack(request: unknown, options: PackOptions): Record<string, unknown> {
  const startedAt = new Date();
  const started = process.hrtime.bigint();
  if (!isObject(request)) throw new InvalidPackRequestError('request must be a JSON object');
  const units = readUnits(request.itemSets);
  const boxTypes = readBoxTypes(request.boxTypes);

  const { boxes, leftovers } = firstFitDecreasing(units, boxTypes);
  const totalVolume = sum(boxes, (b) => b.volumeMax);
  const totalVolumeUsed = sum(boxes, (b) => b.volumeUsed);
  const wantImages = options.images && request.includeImages !== false;
  const packTime = Number(process.hrtime.bigint() - started) / 1e9;
  const goal = request.boxTypeChoiceGoal;

  return {
    boxTypeChoiceGoalUsed: typeof goal === 'string' && goal !== '' ? goal : 'lowest-cost',
    boxes: boxes.map((b, i) => ({ box: boxAnswer(b, i) })),
    built: 'paccurate-sim',
    host: 'paccurate-sim',
    itemSortUsed: 'volume-desc',
    leftovers: leftovers.map(itemAnswer),
    lenBoxes: boxes.length,
    lenItems: sum(boxes, (b) => b.units.length),
    lenLeftovers: leftovers.length,
    lenUnits: units.length,
    packTime,
    startedAt: startedAt.toISOString(),
    ...(wantImages ? { svgs: boxes.map(svgFigure) } : {}),
    title: typeof request.title === 'string' ? request.title : 'Default',
    totalCost: sum(boxes, priceOf),
    totalTime: packTime,
    totalVolume,
    totalVolumeNet: totalVolumeUsed,
    totalVolumeUsed,
    totalVolumeUtilization: ratio(totalVolumeUsed, totalVolume),
    totalWeight: sum(boxes, (b) => b.weightUsed),
    ...(options.keyStem !== undefined ? { usedKeyStem: options.keyStem } : {}),
    version: 'sim-1',
  };
}

function firstFitDecreasing(units: Unit[], boxTypes: BoxType[]): { boxes: OpenBox[]; leftovers: Unit[] } {
  const bySize = [...boxTypes].sort((a, b) => volumeOf(a.dimensions) - volumeOf(b.dimensions));
  const ordered = [...units].sort((a, b) => b.volume - a.volume || a.index - b.index);
  const boxes: OpenBox[] = [];
  const leftovers: Unit[] = [];
  for (const unit of ordered) {
    const open = boxes.find((b) => canTake(b.type, b.volumeMax - b.volumeUsed, b.weightUsed, unit));
    if (open) {
      place(open, unit);
      continue;
    }
    const type = bySize.find((t) => canTake(t, volumeOf(t.dimensions), t.weightTare, unit));
    if (!type) {
      leftovers.push(unit);
      continue;
    }
    const box: OpenBox = {
      type,
      volumeMax: volumeOf(type.dimensions),
      units: [],
      volumeUsed: 0,
      weightUsed: type.weightTare,
    };
    place(box, unit);
    boxes.push(box);
  }
  return { boxes, leftovers };
}

function canTake(type: BoxType, volumeLeft: number, weightUsed: number, unit: Unit): boolean {
  return (
    fitsInside(unit.dimensions, type.dimensions) &&
    unit.volume <= volumeLeft + EPSILON &&
    (type.weightMax <= 0 || weightUsed + unit.weight <= type.weightMax + EPSILON)
  );
}

function place(box: OpenBox, unit: Unit): void {
  box.units.push(unit);
  box.volumeUsed += unit.volume;
  box.weightUsed += unit.weight;
}

/** True when the item fits the box in some axis-aligned orientation. */
export function fitsInside(item: Dimensions, box: Dimensions): boolean {
  const a = sortedSides(item);
  const b = sortedSides(box);
  return a[0] <= b[0] + EPSILON && a[1] <= b[1] + EPSILON && a[2] <= b[2] + EPSILON;
}

function sortedSides(d: Dimensions): [number, number, number] {
  const s = [d.x, d.y, d.z].sort((p, q) => p - q);
  return [s[0] ?? 0, s[1] ?? 0, s[2] ?? 0];
}

function readUnits(itemSets: unknown): Unit[] {
  if (!Array.isArray(itemSets)) throw new InvalidPackRequestError('itemSets must be an array');
  const units: Unit[] = [];
  itemSets.forEach((set: unknown, i) => {
    if (!isObject(set)) throw new InvalidPackRequestError(`itemSets[${i}] must be an object`);
    const dimensions = readDimensions(set.dimensions, `itemSets[${i}]`);
    const quantity = set.quantity === undefined ? 1 : set.quantity;
    if (!Number.isInteger(quantity) || (quantity as number) < 0) {
      throw new InvalidPackRequestError(`itemSets[${i}].quantity must be a whole number`);
    }
    if (units.length + (quantity as number) > MAX_UNITS) {
      throw new InvalidPackRequestError(`too many items: at most ${MAX_UNITS} units per request`);
    }
    const refId = isRefId(set.refId) ? set.refId : i;
    for (let q = 0; q < (quantity as number); q++) {
      units.push({
        refId,
        name: typeof set.name === 'string' ? set.name : '',
        color: typeof set.color === 'string' ? set.color : '',
        dimensions,
        weight: finiteOr(set.weight, 0),
        volume: volumeOf(dimensions),
        index: units.length + 1,
        uniqueId: `${refId}-${q}`,
      });
    }
  });
  return units;
}

function readBoxTypes(boxTypes: unknown): BoxType[] {
  if (boxTypes === undefined || boxTypes === null) return [...DEFAULT_BOX_TYPES];
  if (!Array.isArray(boxTypes)) throw new InvalidPackRequestError('boxTypes must be an array');
  if (boxTypes.length === 0) return [...DEFAULT_BOX_TYPES];
  return boxTypes.map((t: unknown, i) => {
    if (!isObject(t)) throw new InvalidPackRequestError(`boxTypes[${i}] must be an object`);
    const dimensions = readDimensions(t.dimensions, `boxTypes[${i}]`);
    const name = typeof t.name === 'string' ? t.name : `${dimensions.x}x${dimensions.y}x${dimensions.z}`;
    const price = finiteOr(t.price, -1);
    return {
      refId: isRefId(t.refId) ? t.refId : i,
      name,
      dimensions,
      weightMax: finiteOr(t.weightMax, 0),
      weightTare: Math.max(0, finiteOr(t.weightTare, 0)),
      ...(price >= 0 ? { price } : {}),
    };
  });
}

function readDimensions(value: unknown, where: string): Dimensions {
  const ok = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v > 0;
  if (!isObject(value) || !ok(value.x) || !ok(value.y) || !ok(value.z)) {
    throw new InvalidPackRequestError(`${where}.dimensions must have positive x, y and z`);
  }
  return { x: value.x as number, y: value.y as number, z: value.z as number };
}

/** A box's price in cents: its type's, else (like Paccurate without prices) its volume. */
function priceOf(box: OpenBox): number {
  return box.type.price ?? box.volumeMax;
}

function boxAnswer(box: OpenBox, id: number): Record<string, unknown> {
  const { type } = box;
  const weightMax = type.weightMax;
  const weightNet = box.weightUsed - type.weightTare;
  return {
    boxType: {
      dimensions: type.dimensions,
      name: type.name,
      price: type.price ?? 0,
      refId: type.refId,
      weightMax,
      weightTare: type.weightTare,
    },
    dimensions: type.dimensions,
    id,
    items: box.units.map((u) => ({ item: itemAnswer(u) })),
    lenItems: box.units.length,
    name: type.name,
    price: priceOf(box),
    refId: type.refId,
    volumeMax: box.volumeMax,
    volumeNet: box.volumeUsed,
    volumeRemaining: box.volumeMax - box.volumeUsed,
    volumeUsed: box.volumeUsed,
    volumeUtilization: ratio(box.volumeUsed, box.volumeMax),
    weightMax,
    weightNet,
    weightRemaining: weightMax > 0 ? weightMax - box.weightUsed : 0,
    weightTare: type.weightTare,
    weightUsed: box.weightUsed,
    weightUtilization: ratio(box.weightUsed, weightMax),
  };
}

function itemAnswer(unit: Unit): Record<string, unknown> {
  return {
    color: unit.color,
    dimensions: unit.dimensions,
    index: unit.index,
    name: unit.name,
    quantity: 1,
    refId: unit.refId,
    uniqueId: unit.uniqueId,
    virtual: false,
    weight: unit.weight,
  };
}

/** A small figure per box: one horizontal band per item, its height the item's share of the volume. */
function svgFigure(box: OpenBox, index: number): string {
  let y = 0;
  const bands = box.units.map((u) => {
    const h = (100 * u.volume) / box.volumeMax;
    const band = `<rect x='0' y='${(100 - y - h).toFixed(2)}' width='100' height='${h.toFixed(2)}' fill='${escapeXml(u.color || 'steelblue')}' stroke='black'/>`;
    y += h;
    return band;
  });
  return (
    `<figure class='box-figure' data-box-index=${index}><svg viewBox='0,0,100,100'>` +
    `<rect x='0' y='0' width='100' height='100' fill='none' stroke='black'/>${bands.join('')}` +
    `</svg><figcaption>${escapeXml(box.type.name)}</figcaption></figure>`
  );
}

function escapeXml(s: string): string {
  return s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isRefId(v: unknown): v is number | string {
  return (typeof v === 'number' && Number.isFinite(v)) || typeof v === 'string';
}

function finiteOr(v: unknown, fallback: number): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
}

function volumeOf(d: Dimensions): number {
  return d.x * d.y * d.z;
}

function ratio(part: number, whole: number): number {
  return whole > 0 ? part / whole : 0;
}

function sum<T>(list: T[], f: (t: T) => number): number {
  return list.reduce((acc, t) => acc + f(t), 0);
}
