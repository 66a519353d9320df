/* global self, caches, fetch, URL, Response */
/*
 * Service worker of the driver app (docs/decisions/0052). Small on purpose:
 * - page loads: network first, the cached app shell when offline, so the
 *   installed app opens in a tunnel and shows its queued positions;
 * - built assets (/assets/*, content-hashed): cache first;
 * - the API (/v1, /healthz, …) and WebSockets are never touched: live data is
 *   never served stale, and positions are queued by the page, not here.
 */
const CACHE = 'dp-driver-v1';
const SHELL = ['/driver', '/manifest.webmanifest', '/icons/driver-192.png'];

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (/^\/(v1|healthz|readyz|metrics|openapi\.json|docs)(\/|$)/.test(url.pathname)) return;

  if (request.mode === 'navigate') {
    event.respondWith(
      fetch(request)
        .then((response) => {
          if (response.ok && url.pathname.startsWith('/driver')) {
            const copy = response.clone();
            void caches.open(CACHE).then((cache) => cache.put('/driver', copy));
          }
          return response;
        })
        .catch(() => caches.match('/driver').then((cached) => cached ?? Response.error())),
    );
    return;
  }

  if (url.pathname.startsWith('/assets/') || url.pathname.startsWith('/icons/')) {
    event.respondWith(
      caches.match(request).then(
        (cached) =>
          cached ??
          fetch(request).then((response) => {
            if (response.ok) {
              const copy = response.clone();
              void caches.open(CACHE).then((cache) => cache.put(request, copy));
            }
            return response;
          }),
      ),
    );
  }
});
