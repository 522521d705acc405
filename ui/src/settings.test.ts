import { afterEach, describe, expect, it, vi } from 'vitest';

/** A Storage backed by a Map, as the browser's (the unit suite runs in Node, which has none). */
class MemoryStorage {
  readonly map = new Map<string, string>();
  getItem = (k: string) => this.map.get(k) ?? null;
  setItem = (k: string, v: string) => void this.map.set(k, v);
  removeItem = (k: string) => void this.map.delete(k);
}

async function freshSettings(local = new MemoryStorage(), session = new MemoryStorage()) {
  vi.stubGlobal('localStorage', local);
  vi.stubGlobal('sessionStorage', session);
  vi.resetModules();
  return { mod: await import('./settings.js'), local, session };
}

afterEach(() => vi.unstubAllGlobals());

describe('the API key in the browser', () => {
  it('is kept for the tab only (sessionStorage) by default, never in localStorage', async () => {
    const { mod, local, session } = await freshSettings();
    mod.updateSettings({ apiKey: 'keel_secret', codecEndpoint: 'http://localhost:8888' });
    expect(local.getItem('keel.settings')).not.toContain('keel_secret');
    expect(JSON.parse(local.getItem('keel.settings')!).codecEndpoint).toBe('http://localhost:8888');
    expect(session.getItem('keel.apiKey')).toBe('keel_secret');
    // A new page load of the same tab finds it; a new tab (empty sessionStorage) does not.
    expect((await freshSettings(local, session)).mod.getSettings().apiKey).toBe('keel_secret');
    expect((await freshSettings(local)).mod.getSettings().apiKey).toBe('');
  });

  it('is kept in localStorage only when the user chooses to remember it, and leaves it when they stop', async () => {
    const { mod, local, session } = await freshSettings();
    mod.updateSettings({ apiKey: 'keel_secret', rememberApiKey: true });
    expect(JSON.parse(local.getItem('keel.settings')!).apiKey).toBe('keel_secret');
    expect(session.getItem('keel.apiKey')).toBeNull();
    expect((await freshSettings(local)).mod.getSettings().apiKey).toBe('keel_secret');
    mod.updateSettings({ rememberApiKey: false });
    expect(local.getItem('keel.settings')).not.toContain('keel_secret');
  });
});
