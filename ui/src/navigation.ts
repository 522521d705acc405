// Owns moving between pages without reloading: history.pushState plus a notification the app
// listens to, and links that stay real links (open in a new tab, copy, share).
import { formatRoute, parseRoute, type Route } from './route.js';

const NAVIGATE = 'keel:navigate';

export function currentRoute(): Route {
  return parseRoute(location.pathname, location.search);
}

export function navigate(to: Route | string, opts: { replace?: boolean } = {}): void {
  const href = typeof to === 'string' ? to : formatRoute(to);
  if (href === location.pathname + location.search) return;
  if (opts.replace) history.replaceState(null, '', href);
  else history.pushState(null, '', href);
  dispatchEvent(new Event(NAVIGATE));
}

export function onNavigate(listener: () => void): () => void {
  addEventListener('popstate', listener);
  addEventListener(NAVIGATE, listener);
  return () => {
    removeEventListener('popstate', listener);
    removeEventListener(NAVIGATE, listener);
  };
}

/** A click handler for `<a href>` that navigates in-page for a plain left click. */
export function linkClick(e: MouseEvent): void {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const a = e.currentTarget as HTMLAnchorElement;
  if (a.target && a.target !== '_self') return;
  e.preventDefault();
  navigate(a.getAttribute('href') ?? '/');
}

/** A unique id for a request (idempotent retries); crypto.randomUUID needs a secure context. */
export function requestId(): string {
  if (typeof crypto.randomUUID === 'function' && isSecureContext) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}
