/** A request's fingerprint, stored in its request-id record. */
/**
 * A request's fingerprint (its endpoint and body) as 16 hex digits: two 32-bit FNV-1a lanes with
 * different offsets, mixed at the end. Enough to tell a reused request id from a retry of the same
 * request, in a few bytes however large the request was.
 */
export function fingerprintHash(text: string): string {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
  }
  a = Math.imul(a ^ (a >>> 15), 0x85ebca6b) ^ b;
  b = Math.imul(b ^ (b >>> 13), 0xc2b2ae35) ^ a;
  return (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0');
}
