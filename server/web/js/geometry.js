// Ground-plane geometry of the street, the browser's copy of srichan_world/scene/geometry.py.
// Points are [x, z] in metres (glTF axes). The client collides with the same walkable area the
// server judges moves by, a little more strictly (an avatar radius), so a normal walk is never
// corrected by the server.

export function pointInPolygon([x, z], polygon) {
  let inside = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const [x1, z1] = polygon[i];
    const [x2, z2] = polygon[j];
    if (z1 > z !== z2 > z && x < x1 + ((z - z1) * (x2 - x1)) / (z2 - z1)) inside = !inside;
  }
  return inside;
}

function distanceToSegment([px, pz], [ax, az], [bx, bz]) {
  const dx = bx - ax;
  const dz = bz - az;
  const len2 = dx * dx + dz * dz;
  const t = len2 === 0 ? 0 : Math.max(0, Math.min(1, ((px - ax) * dx + (pz - az) * dz) / len2));
  return Math.hypot(px - (ax + t * dx), pz - (az + t * dz));
}

/** 0 inside, else the distance to the nearest edge. */
export function distanceToPolygon(point, polygon) {
  if (pointInPolygon(point, polygon)) return 0;
  let best = Infinity;
  for (let i = 0; i < polygon.length; i++) {
    best = Math.min(best, distanceToSegment(point, polygon[i], polygon[(i + 1) % polygon.length]));
  }
  return best;
}

/** Parameter t in [0, 1] where segment a→b first meets segment c→d, or null. */
function segmentHit([ax, az], [bx, bz], [cx, cz], [dx, dz]) {
  const rx = bx - ax;
  const rz = bz - az;
  const sx = dx - cx;
  const sz = dz - cz;
  const denom = rx * sz - rz * sx;
  if (Math.abs(denom) < 1e-12) return null;
  const t = ((cx - ax) * sz - (cz - az) * sx) / denom;
  const u = ((cx - ax) * rz - (cz - az) * rx) / denom;
  return t >= 0 && t <= 1 && u >= 0 && u <= 1 ? t : null;
}

/** A box `width` × `depth` whose front faces `facing` degrees (0 = +x, 90 = −z). */
export function orientedRectangle([cx, cz], facing, width, depth) {
  const a = (facing * Math.PI) / 180;
  const fx = Math.cos(a);
  const fz = -Math.sin(a);
  const sx = -fz;
  const sz = fx;
  const hw = width / 2;
  const hd = depth / 2;
  return [
    [-hd, -hw],
    [-hd, hw],
    [hd, hw],
    [hd, -hw],
  ].map(([d, w]) => [cx + fx * d + sx * w, cz + fz * d + sz * w]);
}

function bounds(polygon) {
  const xs = polygon.map((p) => p[0]);
  const zs = polygon.map((p) => p[1]);
  return [Math.min(...xs), Math.min(...zs), Math.max(...xs), Math.max(...zs)];
}

/**
 * Where an avatar may stand: the corridor minus the building footprints (and, for the client
 * only, the booths). `radius` keeps the avatar's body off the walls.
 */
export class Walkable {
  constructor(manifest, { radius = 0.35 } = {}) {
    this.corridor = manifest.walkable.corridor;
    this.radius = radius;
    // Each obstacle: polygon, its bounding box, and the height it stands to (for the camera).
    const heights = new Map();
    for (const lm of manifest.landmarks) {
      for (const f of lm.footprints) heights.set(JSON.stringify(f), lm.height);
    }
    this.obstacles = manifest.walkable.obstacles.map((polygon) => ({
      polygon,
      key: JSON.stringify(polygon),
      box: bounds(polygon),
      height: heights.get(JSON.stringify(polygon)) ?? 10,
    }));
    this.booths = (manifest.booth_slots || []).map((b) => {
      const polygon = orientedRectangle(b.position, b.facing, b.width, b.depth);
      return { polygon, box: bounds(polygon), height: 2.6 };
    });
    this.solids = [...this.obstacles, ...this.booths];
    this.box = bounds(this.corridor);
  }

  /** True when a point is inside the walkable area as the server judges it. */
  serverContains(point) {
    if (!pointInPolygon(point, this.corridor)) return false;
    return !this.obstacles.some((o) => pointInPolygon(point, o.polygon));
  }

  /** True when an avatar body of `radius` fits at `point` (stricter than the server). */
  fits(point, radius = this.radius) {
    if (!pointInPolygon(point, this.corridor)) return false;
    const c = this.corridor;
    for (let i = 0; i < c.length; i++) {
      if (distanceToSegment(point, c[i], c[(i + 1) % c.length]) < radius) return false;
    }
    for (const o of this.solids) {
      const [x0, z0, x1, z1] = o.box;
      if (point[0] < x0 - radius || point[0] > x1 + radius) continue;
      if (point[1] < z0 - radius || point[1] > z1 + radius) continue;
      if (distanceToPolygon(point, o.polygon) < radius) return false;
    }
    return true;
  }

  /**
   * Move from `from` towards `to`, sliding along walls: the whole step if it fits, else the
   * x part or the z part alone, else stay. Steps are split so a fast frame cannot tunnel.
   */
  slide(from, to) {
    const dist = Math.hypot(to[0] - from[0], to[1] - from[1]);
    const steps = Math.max(1, Math.ceil(dist / (this.radius * 0.9)));
    let [x, z] = from;
    const dx = (to[0] - from[0]) / steps;
    const dz = (to[1] - from[1]) / steps;
    for (let i = 0; i < steps; i++) {
      if (this.fits([x + dx, z + dz])) {
        x += dx;
        z += dz;
        continue;
      }
      // Close in on the wall as far as the body allows, then slide along it.
      let lo = 0;
      let hi = 1;
      for (let k = 0; k < 6; k++) {
        const mid = (lo + hi) / 2;
        if (this.fits([x + dx * mid, z + dz * mid])) lo = mid;
        else hi = mid;
      }
      x += dx * lo;
      z += dz * lo;
      const rx = dx * (1 - lo);
      const rz = dz * (1 - lo);
      if (rx !== 0 && this.fits([x + rx, z])) x += rx;
      else if (rz !== 0 && this.fits([x, z + rz])) z += rz;
      else break;
    }
    return [x, z];
  }

  /**
   * How far along a→b (0..1) the segment can go before entering a solid taller than `y`
   * (camera pull-in): 1 when the way is clear.
   */
  clearFraction(a, b, y = 0) {
    let best = 1;
    for (const o of this.solids) {
      if (o.height <= y) continue;
      const p = o.polygon;
      for (let i = 0; i < p.length; i++) {
        const t = segmentHit(a, b, p[i], p[(i + 1) % p.length]);
        if (t !== null && t < best) best = t;
      }
    }
    return best;
  }

  /**
   * True when a building other than those in `skip` (a Set of `JSON.stringify(polygon)`)
   * stands taller than the sight line from `a` at height `ay` to `b` at height `by` where it
   * crosses it: what is at `b` is hidden from `a`.
   */
  sightBlocked(a, ay, b, by, skip = null) {
    for (const o of this.obstacles) {
      if (skip?.has(o.key)) continue;
      const p = o.polygon;
      for (let i = 0; i < p.length; i++) {
        const t = segmentHit(a, b, p[i], p[(i + 1) % p.length]);
        if (t !== null && o.height > ay + (by - ay) * t) return true;
      }
    }
    return false;
  }

  /** The nearest point that fits, searching outwards from `point` (spawn and corrections). */
  nearestFit(point) {
    if (this.fits(point)) return point;
    for (let r = 0.5; r < 40; r += 0.5) {
      for (let k = 0; k < 16; k++) {
        const a = (k / 16) * Math.PI * 2;
        const p = [point[0] + Math.cos(a) * r, point[1] + Math.sin(a) * r];
        if (this.fits(p)) return p;
      }
    }
    return point;
  }
}

/** Stations and offsets along the centreline (left of travel is positive), as in the scene. */
export class Road {
  constructor(centreline) {
    this.points = centreline;
    this.lengths = [];
    let total = 0;
    for (let i = 1; i < centreline.length; i++) {
      const seg = Math.hypot(
        centreline[i][0] - centreline[i - 1][0],
        centreline[i][1] - centreline[i - 1][1],
      );
      this.lengths.push(seg);
      total += seg;
    }
    this.length = total;
  }

  /** The point on the centreline at `station` metres from its start (clamped to the ends). */
  pointAt(station) {
    let remaining = Math.max(0, station);
    const pts = this.points;
    for (let i = 1; i < pts.length; i++) {
      const seg = this.lengths[i - 1];
      if (remaining <= seg || i === pts.length - 1) {
        const k = Math.min(1, remaining / seg);
        return [
          pts[i - 1][0] + (pts[i][0] - pts[i - 1][0]) * k,
          pts[i - 1][1] + (pts[i][1] - pts[i - 1][1]) * k,
        ];
      }
      remaining -= seg;
    }
    return pts[0];
  }

  /** [station, offset] of the point's projection on the centreline. */
  locate([px, pz]) {
    let best = { d: Infinity, station: 0, offset: 0 };
    let start = 0;
    for (let i = 1; i < this.points.length; i++) {
      const [ax, az] = this.points[i - 1];
      const [bx, bz] = this.points[i];
      const seg = this.lengths[i - 1];
      const tx = (bx - ax) / seg;
      const tz = (bz - az) / seg;
      const along = Math.max(0, Math.min(seg, (px - ax) * tx + (pz - az) * tz));
      const cx = ax + tx * along;
      const cz = az + tz * along;
      const d = Math.hypot(px - cx, pz - cz);
      if (d < best.d) {
        // Left of travel is (tz, -tx).
        best = { d, station: start + along, offset: (px - cx) * tz + (pz - cz) * -tx };
      }
      start += seg;
    }
    return [best.station, best.offset];
  }
}

/**
 * Shortest walk between two points on a 1 m grid (A*, 8 neighbours), then shortened with
 * straight lines where the way is clear. Returns a list of points ending at `to`, or null.
 */
export function findPath(walkable, from, to, { cell = 1 } = {}) {
  const [x0, z0, x1, z1] = walkable.box;
  const cols = Math.ceil((x1 - x0) / cell) + 1;
  const rows = Math.ceil((z1 - z0) / cell) + 1;
  const index = ([x, z]) => {
    const c = Math.round((x - x0) / cell);
    const r = Math.round((z - z0) / cell);
    return c < 0 || r < 0 || c >= cols || r >= rows ? -1 : r * cols + c;
  };
  const centre = (i) => [x0 + (i % cols) * cell, z0 + Math.floor(i / cols) * cell];
  const free = new Int8Array(cols * rows).fill(-1); // -1 unknown, 0 blocked, 1 free
  const isFree = (i) => {
    if (free[i] === -1) free[i] = walkable.fits(centre(i)) ? 1 : 0;
    return free[i] === 1;
  };
  const start = index(walkable.nearestFit(from));
  const goal = index(walkable.nearestFit(to));
  if (start < 0 || goal < 0) return null;
  const g = new Float32Array(cols * rows).fill(Infinity);
  const came = new Int32Array(cols * rows).fill(-1);
  const heap = new MinHeap();
  const [gx, gz] = centre(goal);
  const h = (i) => {
    const [x, z] = centre(i);
    return Math.hypot(x - gx, z - gz);
  };
  g[start] = 0;
  heap.push(h(start), start);
  const moves = [
    [1, 0, 1],
    [-1, 0, 1],
    [0, 1, 1],
    [0, -1, 1],
    [1, 1, Math.SQRT2],
    [1, -1, Math.SQRT2],
    [-1, 1, Math.SQRT2],
    [-1, -1, Math.SQRT2],
  ];
  let found = start === goal;
  while (!found && heap.size) {
    const current = heap.pop();
    const c = current % cols;
    const r = Math.floor(current / cols);
    for (const [dc, dr, cost] of moves) {
      const nc = c + dc;
      const nr = r + dr;
      if (nc < 0 || nr < 0 || nc >= cols || nr >= rows) continue;
      const next = nr * cols + nc;
      if (!isFree(next)) continue;
      const tentative = g[current] + cost * cell;
      if (tentative < g[next]) {
        g[next] = tentative;
        came[next] = current;
        if (next === goal) {
          found = true;
          break;
        }
        heap.push(tentative + h(next), next);
      }
    }
  }
  if (!found) return null;
  const cells = [goal];
  while (cells[cells.length - 1] !== start) cells.push(came[cells[cells.length - 1]]);
  cells.reverse();
  const raw = [from, ...cells.slice(1, -1).map(centre), walkable.nearestFit(to)];
  return shorten(walkable, raw);
}

function clearLine(walkable, a, b) {
  const steps = Math.ceil(Math.hypot(b[0] - a[0], b[1] - a[1]) / 0.5);
  for (let i = 1; i <= steps; i++) {
    const t = i / steps;
    if (!walkable.fits([a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t])) return false;
  }
  return true;
}

function shorten(walkable, points) {
  const out = [points[0]];
  let i = 0;
  while (i < points.length - 1) {
    let j = points.length - 1;
    while (j > i + 1 && !clearLine(walkable, points[i], points[j])) j--;
    out.push(points[j]);
    i = j;
  }
  return out.slice(1);
}

class MinHeap {
  constructor() {
    this.keys = [];
    this.values = [];
  }

  get size() {
    return this.keys.length;
  }

  push(key, value) {
    const k = this.keys;
    const v = this.values;
    k.push(key);
    v.push(value);
    let i = k.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (k[parent] <= k[i]) break;
      [k[parent], k[i]] = [k[i], k[parent]];
      [v[parent], v[i]] = [v[i], v[parent]];
      i = parent;
    }
  }

  pop() {
    const k = this.keys;
    const v = this.values;
    const top = v[0];
    const lastK = k.pop();
    const lastV = v.pop();
    if (k.length) {
      k[0] = lastK;
      v[0] = lastV;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < k.length && k[l] < k[m]) m = l;
        if (r < k.length && k[r] < k[m]) m = r;
        if (m === i) break;
        [k[m], k[i]] = [k[i], k[m]];
        [v[m], v[i]] = [v[i], v[m]];
        i = m;
      }
    }
    return top;
  }
}
