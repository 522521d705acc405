// Owns what the user configures in this browser (codec endpoint, API key, recent namespaces),
// kept in localStorage; nothing here leaves the browser except as the user asked.

export interface Settings {
  /** Base URL of a codec server (Temporal's protocol: POST {endpoint}/decode). Empty: none. */
  codecEndpoint: string;
  /** Send cookies and HTTP auth to the codec endpoint (`credentials: 'include'`). */
  codecIncludeCredentials: boolean;
  /** Sent as `Authorization: Bearer …` to the Keel API. Empty: none. */
  apiKey: string;
  /** Namespaces opened recently, newest first, for the switcher. */
  recentNamespaces: string[];
}

const KEY = 'keel.settings';
const DEFAULTS: Settings = { codecEndpoint: '', codecIncludeCredentials: false, apiKey: '', recentNamespaces: ['default'] };

function storage(): Storage | undefined {
  try {
    return globalThis.localStorage;
  } catch {
    return undefined; // storage disabled: settings last for the page only
  }
}

let current: Settings = load();
const listeners = new Set<(s: Settings) => void>();

function load(): Settings {
  try {
    const raw = storage()?.getItem(KEY);
    return raw ? { ...DEFAULTS, ...(JSON.parse(raw) as Partial<Settings>) } : { ...DEFAULTS };
  } catch {
    return { ...DEFAULTS };
  }
}

export function getSettings(): Settings {
  return current;
}

export function updateSettings(patch: Partial<Settings>): void {
  current = { ...current, ...patch };
  try {
    storage()?.setItem(KEY, JSON.stringify(current));
  } catch {
    // quota or disabled storage: keep the in-memory settings
  }
  for (const l of listeners) l(current);
}

export function onSettings(listener: (s: Settings) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Remembers a namespace as recently used (at most 10). */
export function rememberNamespace(ns: string): void {
  if (current.recentNamespaces[0] === ns) return;
  updateSettings({ recentNamespaces: [ns, ...current.recentNamespaces.filter((n) => n !== ns)].slice(0, 10) });
}
