// Owns what the user configures in this browser (codec endpoint, API key, recent namespaces),
// kept in localStorage; nothing here leaves the browser except as the user asked. The API key is
// the exception: by default it is kept in sessionStorage (this tab, until it closes), and in
// localStorage only when the user ticks "remember on this device" — anything stored there is
// readable by every script of the origin for as long as the browser keeps it.

export interface Settings {
  /** Base URL of a codec server (Temporal's protocol: POST {endpoint}/decode). Empty: none. */
  codecEndpoint: string;
  /** Send cookies and HTTP auth to the codec endpoint (`credentials: 'include'`). */
  codecIncludeCredentials: boolean;
  /** Sent as `Authorization: Bearer …` to the Keel API. Empty: none. */
  apiKey: string;
  /** Keep the API key in localStorage, across tabs and restarts; otherwise it lasts for this tab only. */
  rememberApiKey: boolean;
  /** Namespaces opened recently, newest first, for the switcher. */
  recentNamespaces: string[];
}

const KEY = 'keel.settings';
const SESSION_KEY = 'keel.apiKey';
const DEFAULTS: Settings = { codecEndpoint: '', codecIncludeCredentials: false, apiKey: '', rememberApiKey: false, recentNamespaces: ['default'] };

function storage(kind: 'localStorage' | 'sessionStorage' = 'localStorage'): Storage | undefined {
  try {
    return globalThis[kind];
  } catch {
    return undefined; // storage disabled: settings last for the page only
  }
}

let current: Settings = load();
const listeners = new Set<(s: Settings) => void>();

function load(): Settings {
  try {
    const raw = storage()?.getItem(KEY);
    const saved: Settings = raw ? { ...DEFAULTS, ...(JSON.parse(raw) as Partial<Settings>) } : { ...DEFAULTS };
    // A key saved by an older version without the choice stays where it is until the user decides.
    if (saved.apiKey && raw && !('rememberApiKey' in JSON.parse(raw))) saved.rememberApiKey = true;
    if (!saved.rememberApiKey) saved.apiKey = storage('sessionStorage')?.getItem(SESSION_KEY) ?? '';
    return saved;
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
    const { apiKey, ...rest } = current;
    storage()?.setItem(KEY, JSON.stringify(current.rememberApiKey ? current : { ...rest, apiKey: '' }));
    if (current.rememberApiKey || !apiKey) storage('sessionStorage')?.removeItem(SESSION_KEY);
    else storage('sessionStorage')?.setItem(SESSION_KEY, apiKey);
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
