/**
 * Who may close a sticky queue (`shutdownWorker`): only the worker that made it. A worker names
 * its sticky queue after the hash of a secret it keeps (`stickyQueueName`), and proves ownership
 * on shutdown by sending the secret, which the service hashes and compares with the name's end.
 * The name is visible to anyone who may describe the run; the secret never leaves the worker
 * until it closes its queue, and a normal queue (whose name ends in no such hash) can never be
 * closed. Web Crypto only, so the service, the SDK and the UI share it.
 */

/** The hex digits of the secret's SHA-256 that end a sticky queue's name (128 bits). */
const HASH_DIGITS = 32;

export async function stickyQueueSuffix(secret: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(secret)));
  return [...digest].map((b) => b.toString(16).padStart(2, '0')).join('').slice(0, HASH_DIGITS);
}

/** A sticky queue's name: `<prefix>/<hash of the secret>`. */
export async function stickyQueueName(prefix: string, secret: string): Promise<string> {
  return `${prefix}/${await stickyQueueSuffix(secret)}`;
}

/** Whether `name` has a sticky queue's shape (`<prefix>/<hash>`); a normal queue so named is never closed for a dead worker. */
export function isStickyQueueName(name: string): boolean {
  return new RegExp(`/[0-9a-f]{${HASH_DIGITS}}$`).test(name);
}

/** Whether `secret` is the one the sticky queue `name` was made from. */
export async function ownsStickyQueue(name: string, secret: string): Promise<boolean> {
  return name.endsWith(`/${await stickyQueueSuffix(secret)}`);
}
