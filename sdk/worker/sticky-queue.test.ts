import { describe, expect, it } from 'vitest';
import { isStickyQueueName, ownsStickyQueue, stickyQueueName } from '../../protocol/index.js';
import { StickyQueue, stickyQueueNameSync } from './sticky-queue.js';

describe('StickyQueue', () => {
  it('names the queue as the service checks it: the prefix and the hash of the secret it keeps', async () => {
    const sticky = new StickyQueue('orders/sticky/1@host', 10_000);
    expect(sticky.name.startsWith('orders/sticky/1@host/')).toBe(true);
    expect(isStickyQueueName(sticky.name)).toBe(true);
    expect(await ownsStickyQueue(sticky.name, sticky.secret)).toBe(true);
    expect(stickyQueueNameSync('p', 'a secret')).toBe(await stickyQueueName('p', 'a secret'));
  });

  it('replaces a closed queue with a new one, with a new secret, once: later news of the same closing change nothing', async () => {
    const sticky = new StickyQueue('orders/sticky/1@host', 10_000);
    const closed = { name: sticky.name, secret: sticky.secret };
    expect(sticky.replace(closed.name)).toBe(true);
    const next = { name: sticky.name, secret: sticky.secret };
    expect(next.name).not.toBe(closed.name);
    expect(next.secret).not.toBe(closed.secret);
    expect(await ownsStickyQueue(next.name, closed.secret)).toBe(false);
    expect(sticky.replace(closed.name)).toBe(false);
    expect(sticky.name).toBe(next.name);
  });
});
