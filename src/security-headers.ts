/**
 * The headers every answer carries, and the web UI's Content-Security-Policy. The UI is one
 * page of hashed scripts and styles from this origin: no inline script, no inline style sheet
 * (Preact sets styles through the DOM, which `style-src 'self'` allows), no frames, no forms. It
 * calls this API and, when one is configured, a payload codec server (https, or localhost).
 * `frame-ancestors 'none'` keeps the page (and its Terminate button) out of other sites' frames.
 *
 * Where the platform serves the assets itself (wrangler, deployed), `ui/_headers` says the same;
 * security-headers.test.ts keeps the two equal.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self' https: http://localhost:* http://127.0.0.1:*",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

/** The response with the security headers set (a copy: a fetched response's headers are immutable). */
export function withSecurityHeaders(res: Response): Response {
  const out = new Response(res.body, res);
  for (const [k, v] of Object.entries(SECURITY_HEADERS)) out.headers.set(k, v);
  return out;
}
