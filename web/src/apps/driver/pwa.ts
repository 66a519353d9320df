/**
 * Makes the driver app installable: the manifest link (added here, so only
 * the driver app advertises itself as an app) and the service worker that
 * keeps the app shell available offline. See docs/decisions/0052.
 */
export function installDriverPwa(): void {
  if (!document.querySelector('link[rel="manifest"]')) {
    const link = document.createElement('link');
    link.rel = 'manifest';
    link.href = '/manifest.webmanifest';
    document.head.append(link);
  }
  if ('serviceWorker' in navigator && window.isSecureContext) {
    navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch((error: unknown) => {
      console.warn('service worker not registered', error);
    });
  }
}
