/**
 * DNS rebinding and cross-site requests against a local service (`keel dev`, keel/testing). A
 * web page on another site can make the browser send requests to 127.0.0.1, either directly (its
 * Origin says so) or by pointing a name it controls at 127.0.0.1 (then Host says so). With
 * `KEEL_ALLOWED_HOSTS` set (the local service sets it to the names it serves), a request is
 * served only when its Host names one of them, and when it carries an Origin (browsers send one
 * on every cross-origin request and every POST), that Origin is the service itself. Clients that
 * are not browsers (the SDK, the CLI, curl) send no Origin and are unaffected.
 */
import type { Env } from './env.js';
import { ServiceError } from './service-error.js';

/** Throws PERMISSION_DENIED when the request's Host or Origin is not one this service serves. */
export function checkHost(request: Request, env: Env): void {
  if (!env.KEEL_ALLOWED_HOSTS) return;
  const given = request.headers.get('host') ?? new URL(request.url).host;
  const host = acceptedHost(given, env.KEEL_ALLOWED_HOSTS);
  const origin = request.headers.get('origin');
  if (origin !== null && origin !== `http://${host}`) {
    throw new ServiceError('PERMISSION_DENIED', `Requests from other sites are refused: the Origin '${origin.slice(0, 100)}' is not this service (http://${host}).`);
  }
}

/** The last Host header accepted, lower-cased, under the KEEL_ALLOWED_HOSTS it was accepted by: every request of a local service names the same. */
let accepted: { given: string; allowedHosts: string; host: string } | undefined;

/** The Host header lower-cased, when it names one of the allowed hosts; else PERMISSION_DENIED. */
function acceptedHost(given: string, allowedHostsValue: string): string {
  if (accepted?.given === given && accepted.allowedHosts === allowedHostsValue) return accepted.host;
  const allowed = allowedHosts(allowedHostsValue);
  const host = given.toLowerCase();
  if (!allowed.includes(hostname(host))) {
    throw new ServiceError('PERMISSION_DENIED', `This local service answers only requests for ${allowed.join(', ')}; the Host header was '${host.slice(0, 100)}'.`);
  }
  accepted = { given, allowedHosts: allowedHostsValue, host };
  return host;
}

/** KEEL_ALLOWED_HOSTS as a list, split once per value rather than on every request. */
let parsed: { value: string; hosts: readonly string[] } | undefined;
function allowedHosts(value: string): readonly string[] {
  if (parsed?.value !== value) parsed = { value, hosts: value.split(',').map((h) => h.trim().toLowerCase()) };
  return parsed.hosts;
}

/** The host without its port; IPv6 literals keep their brackets off: `[::1]:80` → `::1`. */
function hostname(host: string): string {
  const v6 = /^\[([^\]]+)\](?::\d+)?$/.exec(host);
  if (v6) return v6[1]!;
  return host.replace(/:\d+$/, '');
}
