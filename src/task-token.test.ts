import { describe, expect, it, vi } from 'vitest';
import { signTaskToken, verifyTaskToken, withStartedAt, type TaskTokenData } from './task-token.js';

/** base64url, spelled out (RFC 4648 §5): what every token ever issued is made of. */
const base64url = (bytes: Uint8Array) => btoa(Array.from(bytes, (b) => String.fromCharCode(b)).join('')).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const utf8 = (s: string) => new TextEncoder().encode(s);

const data = (workflowId: string): TaskTokenData => ({ namespace: 'default', workflowId, runId: '0b5c3b7e-3f1a-4b8e-9f65-1c2d3e4f5a6b', kind: 'workflow', scheduledEventId: 2, attempt: 1, seq: 1, startedEventId: 3 });

describe('task tokens', () => {
  it('are the base64url of the UTF-8 JSON of their data and of its HMAC, for any workflow id', async () => {
    for (const id of ['order-42', 'bestellung-größe', '注文/7', 'a+b/c=d?~', 'x'.repeat(1000)]) {
      const token = await signTaskToken(data(id), 'secret');
      const [body, sig] = token.split('.');
      expect(body).toBe(base64url(utf8(JSON.stringify(data(id)))));
      expect(atob(sig!.replace(/-/g, '+').replace(/_/g, '/'))).toHaveLength(32);
      expect(sig).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(await verifyTaskToken(token, 'secret', 'default')).toEqual(data(id));
    }
  });

  it('refuses a token whose body or signature was changed, or signed with another secret', async () => {
    const token = await signTaskToken(data('order-42'), 'secret');
    const [body, sig] = token.split('.') as [string, string];
    const forged = base64url(utf8(JSON.stringify({ ...data('order-42'), attempt: 2 })));
    await expect(verifyTaskToken(`${forged}.${sig}`, 'secret', 'default')).rejects.toMatchObject({ code: 'INVALID_TASK_TOKEN' });
    await expect(verifyTaskToken(`${body}.${sig.slice(0, -2)}AA`, 'secret', 'default')).rejects.toMatchObject({ code: 'INVALID_TASK_TOKEN' });
    await expect(verifyTaskToken(token, 'other', 'default')).rejects.toMatchObject({ code: 'INVALID_TASK_TOKEN' });
    await expect(verifyTaskToken(token, 'secret', 'other-namespace')).rejects.toMatchObject({ code: 'INVALID_TASK_TOKEN' });
  });

  it('signed again with the moment a queue handed its task out (a held offer), for any workflow id; a fractional one is refused', async () => {
    for (const id of ['order-42', '注文/7']) {
      const token = await withStartedAt(await signTaskToken(data(id), 'secret'), 1_700_000_000_123, 'secret');
      expect(await verifyTaskToken(token, 'secret', 'default')).toEqual({ ...data(id), startedAtMs: 1_700_000_000_123 });
    }
    await expect(verifyTaskToken(await signTaskToken({ ...data('x'), startedAtMs: 1.5 }, 'secret'), 'secret', 'default')).rejects.toMatchObject({ code: 'INVALID_TASK_TOKEN' });
  });

  it('signed alike while its secret’s key is being imported and once it is kept (no await for it then), and verified either way', async () => {
    const secret = `fresh-${Math.random()}`;
    const [first, concurrent] = await Promise.all([signTaskToken(data('order-42'), secret), signTaskToken(data('order-42'), secret)]);
    const later = await signTaskToken(data('order-42'), secret);
    expect(concurrent).toBe(first);
    expect(later).toBe(first);
    expect(await verifyTaskToken(later, secret, 'default')).toEqual(data('order-42'));
    await expect(verifyTaskToken(later, `${secret}-other`, 'default')).rejects.toMatchObject({ code: 'INVALID_TASK_TOKEN' });
  });

  it('verifies a token this isolate signed (and keeps) without computing its MAC again, under the secret it was signed with only', async () => {
    const verify = vi.spyOn(crypto.subtle, 'verify');
    try {
      const secret = `kept-${Math.random()}`;
      const token = await signTaskToken(data('kept'), secret);
      expect(await verifyTaskToken(token, secret, 'default')).toEqual(data('kept'));
      expect(verify).not.toHaveBeenCalled();
      // Under another secret, or for another namespace, it is refused as before.
      await expect(verifyTaskToken(token, `${secret}-other`, 'default')).rejects.toMatchObject({ code: 'INVALID_TASK_TOKEN' });
      expect(verify).toHaveBeenCalledTimes(1);
      await expect(verifyTaskToken(token, secret, 'other-namespace')).rejects.toMatchObject({ code: 'INVALID_TASK_TOKEN' });
      // A token one character off is not the one kept: its MAC is computed, and it does not verify.
      const [body, sig] = token.split('.') as [string, string];
      const changed = `${body}.${sig.startsWith('A') ? 'B' : 'A'}${sig.slice(1)}`;
      await expect(verifyTaskToken(changed, secret, 'default')).rejects.toMatchObject({ code: 'INVALID_TASK_TOKEN' });
      expect(verify).toHaveBeenCalledTimes(2);
    } finally {
      verify.mockRestore();
    }
  });

  it('verifies a token signed elsewhere, or kept no longer, by its MAC', async () => {
    const secret = `evicted-${Math.random()}`;
    const first = await signTaskToken(data('first'), secret);
    // More tokens signed since than are kept: the first is no longer kept.
    for (let i = 0; i < 600; i++) await signTaskToken(data(`later-${i}`), secret);
    const verify = vi.spyOn(crypto.subtle, 'verify');
    try {
      expect(await verifyTaskToken(first, secret, 'default')).toEqual(data('first'));
      expect(verify).toHaveBeenCalledTimes(1);
      // A token made elsewhere with the same secret (the body and MAC spelled out here) verifies by its MAC too.
      const key = await crypto.subtle.importKey('raw', utf8(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
      const body = utf8(JSON.stringify(data('elsewhere')));
      const elsewhere = `${base64url(body)}.${base64url(new Uint8Array(await crypto.subtle.sign('HMAC', key, body)))}`;
      expect(await verifyTaskToken(elsewhere, secret, 'default')).toEqual(data('elsewhere'));
      expect(verify).toHaveBeenCalledTimes(2);
    } finally {
      verify.mockRestore();
    }
  });
});
