// Settings of this browser: the codec endpoint payloads are decoded through, and an API key.
import { useEffect, useState } from 'preact/hooks';
import { getSettings, updateSettings } from '../settings.js';
import { Modal, toast } from './common.js';

export function SettingsDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const [s, setS] = useState(getSettings());
  useEffect(() => {
    if (open) setS(getSettings());
  }, [open]);
  return (
    <Modal open={open} title="Settings" onClose={onClose}>
      <form
        method="dialog"
        class="form"
        onSubmit={(e) => {
          e.preventDefault();
          const endpoint = s.codecEndpoint.trim();
          if (endpoint && !/^https?:\/\//i.test(endpoint)) {
            toast('The codec endpoint must be an http(s) URL.', 'error');
            return;
          }
          updateSettings({ codecEndpoint: endpoint, codecIncludeCredentials: s.codecIncludeCredentials, apiKey: s.apiKey.trim(), rememberApiKey: s.rememberApiKey });
          toast('Settings saved');
          onClose();
        }}
      >
        <div class="field">
          <label for="codec-endpoint">Codec endpoint</label>
          <input
            id="codec-endpoint"
            type="url"
            name="codec"
            placeholder="http://localhost:8888"
            aria-describedby="codec-help"
            value={s.codecEndpoint}
            onInput={(e) => setS({ ...s, codecEndpoint: (e.target as HTMLInputElement).value })}
          />
          <small id="codec-help">
            Payloads this page cannot read (encrypted, compressed) are sent to <code>{'{endpoint}'}/decode</code> by Temporal's codec server protocol. Only
            this browser talks to it.
          </small>
        </div>
        <label class="check">
          <input type="checkbox" checked={s.codecIncludeCredentials} onChange={(e) => setS({ ...s, codecIncludeCredentials: (e.target as HTMLInputElement).checked })} />
          Send cookies to the codec endpoint
        </label>
        <div class="field">
          <label for="api-key">API key</label>
          <input
            id="api-key"
            type="password"
            name="apiKey"
            autocomplete="off"
            aria-describedby="api-key-help"
            value={s.apiKey}
            onInput={(e) => setS({ ...s, apiKey: (e.target as HTMLInputElement).value })}
          />
          <small id="api-key-help">
            Sent as a bearer token to this Keel service. Kept for this tab only, until it closes, unless you choose to remember it.
          </small>
        </div>
        <label class="check">
          <input type="checkbox" name="rememberApiKey" checked={s.rememberApiKey} onChange={(e) => setS({ ...s, rememberApiKey: (e.target as HTMLInputElement).checked })} />
          Remember the API key on this device (in local storage, readable by any script on this site)
        </label>
        <div class="buttons">
          <button type="button" class="btn ghost" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" class="btn primary">
            Save
          </button>
        </div>
      </form>
    </Modal>
  );
}
