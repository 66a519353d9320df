/**
 * A tiny client-side router over the History API (no dependency).
 * The Worker serves index.html for unknown paths, so deep links work.
 */
import {
  useSyncExternalStore,
  type AnchorHTMLAttributes,
  type MouseEvent,
  type ReactNode,
} from 'react';

export type Route =
  | { name: 'landing' }
  /** Each app owns the path below its prefix (`rest`, '' or '/orders/ord_1'). */
  | { name: 'merchant'; rest: string }
  | { name: 'driver'; rest: string }
  | { name: 'customer'; rest: string }
  | { name: 'ops'; rest: string }
  | { name: 'track'; token: string }
  | { name: 'devOutbox' }
  | { name: 'register' }
  | { name: 'signin' }
  | { name: 'account' }
  | { name: 'notFound'; path: string };

const STATIC_ROUTES: Readonly<Record<string, Route>> = {
  '/': { name: 'landing' },
  '/dev/outbox': { name: 'devOutbox' },
  '/register': { name: 'register' },
  '/signin': { name: 'signin' },
  '/account': { name: 'account' },
};

/** Apps with their own sub-routes: `/merchant`, `/merchant/orders/ord_1`, … */
const APP_PREFIX = /^\/(merchant|driver|customer|ops)(\/.*)?$/;

const TRACK_PATTERN = /^\/track\/([^/]+)$/;

function safeDecode(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

function stripTrailingSlash(path: string): string {
  return path.length > 1 ? path.replace(/\/+$/, '') || '/' : path;
}

/** Maps a pathname to a route. Trailing slashes are ignored. */
export function matchRoute(pathname: string): Route {
  const path = stripTrailingSlash(pathname);
  const staticRoute = STATIC_ROUTES[path];
  if (staticRoute) return staticRoute;

  const app = APP_PREFIX.exec(path);
  if (app) return { name: app[1] as 'merchant' | 'driver' | 'customer' | 'ops', rest: app[2] ?? '' };

  const track = TRACK_PATTERN.exec(path);
  const rawToken = track?.[1];
  if (rawToken !== undefined) {
    const token = safeDecode(rawToken);
    if (token) return { name: 'track', token };
  }
  return { name: 'notFound', path: pathname };
}

// ---------------------------------------------------------------------------
// Location store

const NAVIGATE_EVENT = 'dp:navigate';

function subscribe(onChange: () => void): () => void {
  window.addEventListener('popstate', onChange);
  window.addEventListener(NAVIGATE_EVENT, onChange);
  return () => {
    window.removeEventListener('popstate', onChange);
    window.removeEventListener(NAVIGATE_EVENT, onChange);
  };
}

function getPathname(): string {
  return window.location.pathname;
}

/** Current `location.pathname`, re-rendering on navigation. */
export function usePathname(): string {
  return useSyncExternalStore(subscribe, getPathname, () => '/');
}

/** Current matched route. */
export function useRoute(): Route {
  return matchRoute(usePathname());
}

export interface NavigateOptions {
  replace?: boolean | undefined;
}

/** Navigates within the app without a page load. */
export function navigate(to: string, options: NavigateOptions = {}): void {
  const url = new URL(to, window.location.href);
  if (url.origin !== window.location.origin) {
    window.location.assign(url.href);
    return;
  }
  const target = `${url.pathname}${url.search}${url.hash}`;
  const current = `${window.location.pathname}${window.location.search}${window.location.hash}`;
  if (target === current) return;

  if (options.replace) window.history.replaceState(null, '', target);
  else window.history.pushState(null, '', target);
  window.dispatchEvent(new Event(NAVIGATE_EVENT));
}

// ---------------------------------------------------------------------------
// Link

export interface LinkProps
  extends Omit<AnchorHTMLAttributes<HTMLAnchorElement>, 'href'> {
  to: string;
  replace?: boolean | undefined;
  children: ReactNode;
}

function isPlainLeftClick(event: MouseEvent<HTMLAnchorElement>): boolean {
  return (
    event.button === 0 &&
    !event.metaKey &&
    !event.altKey &&
    !event.ctrlKey &&
    !event.shiftKey
  );
}

/**
 * An `<a>` that navigates client-side on a plain click and falls back to the
 * browser for modified clicks (new tab, download, …).
 */
export function Link({ to, replace, onClick, target, children, ...rest }: LinkProps) {
  const pathname = usePathname();
  const isCurrent = matchesPath(pathname, to);

  function handleClick(event: MouseEvent<HTMLAnchorElement>): void {
    onClick?.(event);
    if (event.defaultPrevented || !isPlainLeftClick(event)) return;
    if (target && target !== '_self') return;
    event.preventDefault();
    navigate(to, { replace });
  }

  return (
    <a
      href={to}
      target={target}
      aria-current={isCurrent ? 'page' : undefined}
      onClick={handleClick}
      {...rest}
    >
      {children}
    </a>
  );
}

function matchesPath(pathname: string, to: string): boolean {
  return stripTrailingSlash(pathname) === stripTrailingSlash(to);
}
