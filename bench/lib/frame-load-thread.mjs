/* global WebSocket, setInterval, clearInterval, setTimeout, performance */
// A lean load generator for the shard's frame benchmark (bench/shard-frames.ts),
// run as a worker thread so that the sockets, JSON and timers of the load are
// not on the thread that measures: plain JavaScript (no TypeScript loader),
// Node's own WebSocket client straight to the runtime's entry socket.
//
// workerData: { origin, role: 'drivers' | 'watchers', items: [...] }
//   drivers:  items = [{ token, lat, lng }]; accepts every offer; posts
//             { type: 'assignment', index, orderId }; on { cmd: 'load', fps,
//             seconds, frame? } sends that many frames per second, spread
//             over its drivers, then posts { type: 'sent', frames }. `frame`
//             is 'location' (a single fix, the default) or a fixed text frame
//             (the floors: the bare ping the runtime answers by itself, or a
//             versioned ping the object answers), or 'locations:N' (N fixes
//             of one driver per frame); { cmd: 'pongs' } →
//             { type: 'pongs', count, rejected } counts the pongs and the
//             fixes the shard refused (location.rejected) so far.
//   watchers: items = [{ path }]; records driver→watcher latency of every
//             `location` frame (receive time − the fix's `at`); { cmd: 'reset' }
//             and { cmd: 'report' } → { type: 'latencies', values }.
import http from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';

const { origin, role, items } = workerData;
const wsOrigin = origin.replace(/^http/, 'ws');
const sockets = [];
let latencies = [];
let pongs = 0;
let rejected = 0;

function open(path, onMessage) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${wsOrigin}${path}`);
    const firstSession = [];
    ws.addEventListener('message', (e) => {
      const m = JSON.parse(String(e.data));
      if (m.type === 'session' || m.type === 'status') firstSession.shift()?.();
      onMessage(ws, m);
    });
    ws.addEventListener('open', () => resolve({ ws, next: () => new Promise((r) => firstSession.push(r)) }), { once: true });
    ws.addEventListener('error', () => {
      // Say why: the same upgrade over plain HTTP shows the runtime's answer.
      const req = http.get(`${origin}${path}`, { headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==' } });
      const fail = (why) => reject(new Error(`socket refused: ${path.replace(/access_token=[^&]+/, 'access_token=…')}: ${why}`));
      req.on('response', (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => fail(`${res.statusCode} ${body.slice(0, 300)}`));
      });
      req.on('upgrade', () => fail('the upgrade succeeds over plain HTTP'));
      req.on('error', (e) => fail(e.message));
    }, { once: true });
  });
}

// Opening a thousand sockets in batches, the odd one fails at the client though the same upgrade
// succeeds over plain HTTP a moment later (seen here once in several runs): try it again, up to 3 times.
async function openRetrying(path, onMessage) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await open(path, onMessage);
    } catch (error) {
      if (attempt >= 3 || !String(error).includes('the upgrade succeeds over plain HTTP')) throw error;
      await new Promise((r) => setTimeout(r, 200 * attempt));
    }
  }
}

async function inBatches(list, size, fn) {
  for (let i = 0; i < list.length; i += size) await Promise.all(list.slice(i, i + size).map((x, k) => fn(x, i + k)));
}

const position = items.map((d) => ({ lat: d.lat, lng: d.lng }));
const lastAt = new Float64Array(items.length);

// Driver i's next fix: a random step of up to ±step/2 degrees each way, at `at` (or just after its last fix).
function nextFix(i, step, at) {
  position[i].lat += (Math.random() - 0.5) * step;
  position[i].lng += (Math.random() - 0.5) * step;
  const t = Math.max(lastAt[i] + 1, at);
  lastAt[i] = t;
  return { lat: position[i].lat, lng: position[i].lng, at: new Date(t).toISOString() };
}

function locationFrame(i) {
  const fix = nextFix(i, 0.0001, Date.now());
  return `{"type":"location","lat":${fix.lat},"lng":${fix.lng},"speed":5,"at":"${fix.at}"}`;
}

// A phone that buffers: `n` fixes of one driver, `spacingMs` apart up to now (a driver's next
// batch comes after the last fix of this one), moving at a plausible pace.
function locationsFrame(i, n, spacingMs) {
  const base = Date.now();
  const points = [];
  for (let k = 0; k < n; k++) {
    const fix = nextFix(i, 0.00001, base - (n - 1 - k) * spacingMs);
    points.push({ lat: fix.lat, lng: fix.lng, speed: 5, at: fix.at });
  }
  return JSON.stringify({ type: 'locations', points });
}

async function drivers() {
  await inBatches(items, 50, async (d, i) => {
    const s = await openRetrying(`/v1/drivers/me/live?access_token=${d.token}`, (ws, m) => {
      if (m.type === 'pong') pongs++;
      else if (m.type === 'location.rejected') rejected++;
      else if (m.type === 'offer') ws.send(JSON.stringify({ type: 'offer.accept', offerId: m.offerId }));
      else if (m.type === 'assignment') parentPort.postMessage({ type: 'assignment', index: i, orderId: m.orderId });
    });
    sockets[i] = s.ws;
    await s.next();
    s.ws.send(JSON.stringify({ type: 'availability', available: true }));
    s.ws.send(locationFrame(i));
  });
  // Like the apps, drivers keep reporting (a tenth of them each second) so none turns silent.
  let turn = 0;
  let busy = false;
  setInterval(() => {
    if (busy) return;
    for (let k = 0; k < Math.ceil(items.length / 10); k++) {
      const i = turn++ % items.length;
      sockets[i].send(locationFrame(i));
    }
  }, 1_000);
  let next = 0;
  parentPort.on('message', (msg) => {
    if (msg.cmd === 'pongs') parentPort.postMessage({ type: 'pongs', count: pongs, rejected });
    if (msg.cmd !== 'load') return;
    const batch = /^locations:(\d+)$/.exec(msg.frame ?? '');
    const fixed = msg.frame && msg.frame !== 'location' && !batch ? msg.frame : null;
    // A driver's frames come items.length / fps seconds apart: its batch's fixes fill that time.
    const spacingMs = batch ? Math.floor((1000 * items.length) / msg.fps / Number(batch[1])) : 0;
    const frameOf = (i) => fixed ?? (batch ? locationsFrame(i, Number(batch[1]), spacingMs) : locationFrame(i));
    busy = true;
    const total = Math.round(msg.fps * msg.seconds);
    let sent = 0;
    const t0 = performance.now();
    const timer = setInterval(() => {
      const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * msg.fps));
      for (; sent < due; sent++) {
        const i = next++ % items.length;
        sockets[i].send(frameOf(i));
      }
      if (sent >= total) {
        clearInterval(timer);
        busy = false;
        parentPort.postMessage({ type: 'sent', frames: sent, seconds: (performance.now() - t0) / 1000 });
      }
    }, 2);
  });
}

async function watchers() {
  await inBatches(items, 50, async (w) => {
    const s = await openRetrying(w.path, (_ws, m) => {
      if (m.type === 'location' && m.at) latencies.push(Date.now() - Date.parse(m.at));
    });
    sockets.push(s.ws);
    await s.next();
  });
  parentPort.on('message', (msg) => {
    if (msg.cmd === 'reset') latencies = [];
    else if (msg.cmd === 'report') parentPort.postMessage({ type: 'latencies', values: latencies });
  });
}

(role === 'drivers' ? drivers() : watchers()).then(
  () => parentPort.postMessage({ type: 'ready' }),
  (error) => parentPort.postMessage({ type: 'error', message: String(error?.stack ?? error) }),
);
