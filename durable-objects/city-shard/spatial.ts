/**
 * The shard's driver index: a flat uniform grid over a local metric
 * projection, with intrusive linked lists in typed arrays (no allocation per
 * move, no per-driver objects). Two layers per cell: drivers that can take
 * work now ("available") and the others, so a nearest-available query never
 * walks busy drivers. See docs/decisions/0030-spatial-index-flat-grid.md.
 */
import { projectionAt, projectX, projectY, type LatLng, type Projection } from './geo';

export interface GridOptions {
  /** Centre of the grid (the shard's centre). */
  origin: LatLng;
  /** Side of a cell in metres. */
  cellM?: number;
  /** Half of the grid's side in metres; positions beyond it fall in the border cells. */
  halfExtentM?: number;
  /** Initial number of driver slots (grows by doubling). */
  capacity?: number;
}

export const LAYER_AVAILABLE = 0;
export const LAYER_OTHER = 1;
export type Layer = typeof LAYER_AVAILABLE | typeof LAYER_OTHER;

export interface NearestQuery {
  k: number;
  radiusM: number;
  /** Drivers last seen before this time (ms) are skipped: silent drivers get no work. */
  minSeenAt?: number;
  layer?: Layer;
}

export interface Neighbour {
  driverId: string;
  /** Distance in the local projection, metres. */
  distanceM: number;
}

const NONE = -1;

export class DriverIndex {
  readonly cellM: number;
  private readonly proj: Projection;
  private readonly side: number;
  private readonly half: number;
  // One head per cell and layer: heads[layer * cells + cell].
  private readonly heads: Int32Array;
  private readonly cells: number;
  private xs: Float64Array;
  private ys: Float64Array;
  private seen: Float64Array;
  private cellOf: Int32Array;
  private layerOf: Uint8Array;
  private next: Int32Array;
  private prev: Int32Array;
  private ids: (string | undefined)[] = [];
  private readonly slotById = new Map<string, number>();
  private readonly freeSlots: number[] = [];
  private used = 0;
  // Scratch buffers of the last query, reused to avoid allocation.
  private bestD2 = new Float64Array(16);
  private bestSlot = new Int32Array(16);

  constructor(options: GridOptions) {
    this.cellM = options.cellM ?? 250;
    this.half = options.halfExtentM ?? 25_000;
    this.side = Math.max(1, Math.ceil((2 * this.half) / this.cellM));
    this.cells = this.side * this.side;
    this.heads = new Int32Array(2 * this.cells).fill(NONE);
    this.proj = projectionAt(options.origin);
    const cap = Math.max(16, options.capacity ?? 1024);
    this.xs = new Float64Array(cap);
    this.ys = new Float64Array(cap);
    this.seen = new Float64Array(cap);
    this.cellOf = new Int32Array(cap);
    this.layerOf = new Uint8Array(cap);
    this.next = new Int32Array(cap);
    this.prev = new Int32Array(cap);
  }

  get size(): number {
    return this.slotById.size;
  }

  has(driverId: string): boolean {
    return this.slotById.has(driverId);
  }

  /** Inserts or moves a driver; O(1). */
  upsert(driverId: string, lat: number, lng: number, available: boolean, seenAt: number): void {
    let slot = this.slotById.get(driverId);
    if (slot === undefined) {
      slot = this.allocate(driverId);
      this.cellOf[slot] = NONE;
    }
    const x = projectX(this.proj, lng);
    const y = projectY(this.proj, lat);
    this.xs[slot] = x;
    this.ys[slot] = y;
    this.seen[slot] = seenAt;
    const cell = this.cellAt(x, y);
    const layer = available ? LAYER_AVAILABLE : LAYER_OTHER;
    if (cell !== this.cellOf[slot] || layer !== this.layerOf[slot]) {
      this.unlink(slot);
      this.link(slot, cell, layer);
    }
  }

  /** Moves a driver between layers without touching its position. */
  setAvailable(driverId: string, available: boolean): void {
    const slot = this.slotById.get(driverId);
    if (slot === undefined) return;
    const layer = available ? LAYER_AVAILABLE : LAYER_OTHER;
    if (layer === this.layerOf[slot]) return;
    const cell = this.cellOf[slot]!;
    this.unlink(slot);
    this.link(slot, cell, layer);
  }

  touch(driverId: string, seenAt: number): void {
    const slot = this.slotById.get(driverId);
    if (slot !== undefined) this.seen[slot] = seenAt;
  }

  remove(driverId: string): void {
    const slot = this.slotById.get(driverId);
    if (slot === undefined) return;
    this.unlink(slot);
    this.slotById.delete(driverId);
    this.ids[slot] = undefined;
    this.freeSlots.push(slot);
  }

  /**
   * The k nearest drivers of a layer within radiusM, nearest first. Writes
   * into the index's scratch buffers and returns the count; read them with
   * `resultId(i)` / `resultDistanceM(i)` before the next query.
   */
  nearestInto(lat: number, lng: number, q: NearestQuery): number {
    const k = q.k;
    if (k <= 0) return 0;
    if (this.bestD2.length < k) {
      this.bestD2 = new Float64Array(k);
      this.bestSlot = new Int32Array(k);
    }
    const bestD2 = this.bestD2;
    const bestSlot = this.bestSlot;
    const qx = projectX(this.proj, lng);
    const qy = projectY(this.proj, lat);
    const r2 = q.radiusM * q.radiusM;
    const minSeen = q.minSeenAt ?? -Infinity;
    const base = (q.layer ?? LAYER_AVAILABLE) * this.cells;
    const side = this.side;
    const cellM = this.cellM;
    const fx = (qx + this.half) / cellM;
    const fy = (qy + this.half) / cellM;
    const cx = clamp(Math.floor(fx), side);
    const cy = clamp(Math.floor(fy), side);
    // How far the query point is from the edges of its own cell (0 when outside the grid).
    const inside = fx >= 0 && fx < side && fy >= 0 && fy < side;
    const edge = inside ? cellM * Math.min(fx - cx, cx + 1 - fx, fy - cy, cy + 1 - fy) : 0;
    const maxRing = Math.min(side, Math.ceil(q.radiusM / cellM) + 1);
    const { xs, ys, seen, next, heads } = this;
    let count = 0;

    for (let ring = 0; ring <= maxRing; ring++) {
      if (ring > 0) {
        const lower = (ring - 1) * cellM + edge;
        if (lower * lower > r2) break;
        if (count === k && lower * lower > bestD2[k - 1]!) break;
      }
      const x0 = cx - ring;
      const x1 = cx + ring;
      const y0 = cy - ring;
      const y1 = cy + ring;
      for (let gy = y0; gy <= y1; gy++) {
        if (gy < 0 || gy >= side) continue;
        const fullRow = gy === y0 || gy === y1;
        const step = fullRow ? 1 : x1 - x0 || 1;
        for (let gx = x0; gx <= x1; gx += step) {
          if (gx < 0 || gx >= side) continue;
          let slot = heads[base + gy * side + gx]!;
          while (slot !== NONE) {
            if (seen[slot]! >= minSeen) {
              const dx = xs[slot]! - qx;
              const dy = ys[slot]! - qy;
              const d2 = dx * dx + dy * dy;
              if (d2 <= r2 && (count < k || d2 < bestD2[k - 1]!)) {
                // Insertion into the small sorted arrays (k is ~10).
                let i = count < k ? count++ : k - 1;
                while (i > 0 && bestD2[i - 1]! > d2) {
                  bestD2[i] = bestD2[i - 1]!;
                  bestSlot[i] = bestSlot[i - 1]!;
                  i--;
                }
                bestD2[i] = d2;
                bestSlot[i] = slot;
              }
            }
            slot = next[slot]!;
          }
        }
      }
    }
    return count;
  }

  resultId(i: number): string {
    return this.ids[this.bestSlot[i]!]!;
  }

  resultDistanceM(i: number): number {
    return Math.sqrt(this.bestD2[i]!);
  }

  /** Convenience form of `nearestInto` that allocates its answer. */
  nearest(lat: number, lng: number, q: NearestQuery): Neighbour[] {
    const n = this.nearestInto(lat, lng, q);
    const out: Neighbour[] = new Array(n);
    for (let i = 0; i < n; i++) out[i] = { driverId: this.resultId(i), distanceM: this.resultDistanceM(i) };
    return out;
  }

  private cellAt(x: number, y: number): number {
    const gx = clamp(Math.floor((x + this.half) / this.cellM), this.side);
    const gy = clamp(Math.floor((y + this.half) / this.cellM), this.side);
    return gy * this.side + gx;
  }

  private link(slot: number, cell: number, layer: Layer): void {
    const h = layer * this.cells + cell;
    const head = this.heads[h]!;
    this.next[slot] = head;
    this.prev[slot] = NONE;
    if (head !== NONE) this.prev[head] = slot;
    this.heads[h] = slot;
    this.cellOf[slot] = cell;
    this.layerOf[slot] = layer;
  }

  private unlink(slot: number): void {
    const cell = this.cellOf[slot]!;
    if (cell === NONE) return;
    const p = this.prev[slot]!;
    const n = this.next[slot]!;
    if (p !== NONE) this.next[p] = n;
    else this.heads[this.layerOf[slot]! * this.cells + cell] = n;
    if (n !== NONE) this.prev[n] = p;
    this.cellOf[slot] = NONE;
  }

  private allocate(driverId: string): number {
    const slot = this.freeSlots.pop() ?? this.used++;
    if (slot >= this.xs.length) this.grow();
    this.ids[slot] = driverId;
    this.slotById.set(driverId, slot);
    return slot;
  }

  private grow(): void {
    const cap = this.xs.length * 2;
    const f64 = (a: Float64Array) => {
      const b = new Float64Array(cap);
      b.set(a);
      return b;
    };
    const i32 = (a: Int32Array) => {
      const b = new Int32Array(cap);
      b.set(a);
      return b;
    };
    this.xs = f64(this.xs);
    this.ys = f64(this.ys);
    this.seen = f64(this.seen);
    this.cellOf = i32(this.cellOf);
    this.next = i32(this.next);
    this.prev = i32(this.prev);
    const layers = new Uint8Array(cap);
    layers.set(this.layerOf);
    this.layerOf = layers;
  }
}

const clamp = (v: number, side: number): number => (v < 0 ? 0 : v >= side ? side - 1 : v);
