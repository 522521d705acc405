// Owns turning a service address as users write it (`127.0.0.1:7233`, `localhost`,
// `https://keel.example.com/base`) into the base URL every API path is appended to.

/** The address used when none is given: the local dev service, as Temporal's `127.0.0.1:7233`. */
export const DEFAULT_ADDRESS = '127.0.0.1:7233';

/** The port added to an address without scheme and port, as Temporal does. */
export const DEFAULT_PORT = 7233;

const SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i;

/**
 * The base URL (origin plus any path prefix, no trailing slash) for a service address.
 *
 * - `host:port` and `host` (Temporal's form) become `http://host:port`, port 7233 when none is
 *   given; `https` when `tls` is set.
 * - `http://…` and `https://…` URLs are taken as they are (their default port is 80/443, not
 *   7233), so a service behind a proxy at `https://example.com/keel` works.
 *
 * @throws {TypeError} for a scheme other than http(s), or an address with a query or fragment.
 *
 * @example
 * serviceBaseUrl('localhost:7233'); // 'http://localhost:7233'
 * serviceBaseUrl('https://keel.example.com/'); // 'https://keel.example.com'
 */
export function serviceBaseUrl(address: string = DEFAULT_ADDRESS, tls = false): string {
  const text = address.trim();
  if (text === '') throw new TypeError('Invalid address: it is empty');
  const scheme = SCHEME.exec(text)?.[1]?.toLowerCase();
  if (scheme !== undefined && scheme !== 'http' && scheme !== 'https') {
    throw new TypeError(`Invalid address '${address}': the scheme must be http or https, not ${scheme}`);
  }
  let url: URL;
  try {
    url = new URL(scheme !== undefined ? text : `${tls ? 'https' : 'http'}://${text}`);
  } catch {
    throw new TypeError(`Invalid address '${address}': expected host:port or an http(s):// URL`);
  }
  if (url.search !== '' || url.hash !== '') {
    throw new TypeError(`Invalid address '${address}': it must not have a query or fragment`);
  }
  if (url.username !== '' || url.password !== '') {
    // Credentials in the URL would be sent on every request in clear; the API key option is the way.
    throw new TypeError(`Invalid address '${address}': put credentials in the apiKey option, not in the address`);
  }
  if (scheme === undefined) {
    // `URL` hides a port equal to the scheme's default (`host:80`), so look at what was written.
    const authority = text.split('/', 1)[0]!;
    if (!/:\d+$/.test(authority)) url.port = String(DEFAULT_PORT);
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}
