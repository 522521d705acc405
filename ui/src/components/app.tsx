// The shell: header (namespace switcher, settings), the page for the current URL, toasts.
import { useEffect, useState } from 'preact/hooks';
import { currentRoute, linkClick, navigate, onNavigate } from '../navigation.js';
import { DEFAULT_NAMESPACE, formatRoute, type Route } from '../route.js';
import { getSettings, onSettings, rememberNamespace } from '../settings.js';
import { Toasts } from './common.js';
import { ExecutionPage } from './execution-page.js';
import { SettingsDialog } from './settings-dialog.js';
import { WorkflowsPage } from './workflows-page.js';
import { SchedulePage, SchedulesPage } from './schedules-page.js';

export function App() {
  const [route, setRoute] = useState<Route>(currentRoute());
  useEffect(() => onNavigate(() => setRoute(currentRoute())), []);
  useEffect(() => {
    if (location.pathname === '/') navigate(route, { replace: true });
  }, []);
  const namespace = route.page === 'not-found' ? DEFAULT_NAMESPACE : route.namespace;
  useEffect(() => rememberNamespace(namespace), [namespace]);
  useEffect(() => {
    document.title =
      route.page === 'execution'
        ? `${route.workflowId} · Keel`
        : route.page === 'workflows'
          ? `Workflows · ${route.namespace} · Keel`
          : route.page === 'schedules'
            ? `Schedules · ${route.namespace} · Keel`
            : route.page === 'schedule'
              ? `${route.scheduleId} · Schedules · Keel`
              : 'Keel';
  }, [route]);

  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href={formatRoute({ page: 'workflows', namespace, query: '' })} onClick={linkClick}>
          <span aria-hidden="true">⚓</span> Keel
        </a>
        <nav aria-label="Main">
          <a href={formatRoute({ page: 'workflows', namespace, query: '' })} onClick={linkClick} aria-current={route.page === 'workflows' ? 'page' : undefined}>
            Workflows
          </a>
          <a href={formatRoute({ page: 'schedules', namespace })} onClick={linkClick} aria-current={route.page === 'schedules' || route.page === 'schedule' ? 'page' : undefined}>
            Schedules
          </a>
        </nav>
        <NamespaceSwitcher namespace={namespace} />
        <SettingsButton />
      </header>
      <main id="main" tabIndex={-1}>
        {route.page === 'workflows' && <WorkflowsPage route={route} />}
        {route.page === 'execution' && <ExecutionPage key={`${route.namespace}/${route.workflowId}/${route.runId ?? ''}`} route={route} />}
        {route.page === 'schedules' && <SchedulesPage route={route} />}
        {route.page === 'schedule' && <SchedulePage key={`${route.namespace}/${route.scheduleId}`} route={route} />}
        {route.page === 'not-found' && (
          <section class="page">
            <h1>Not found</h1>
            <p>
              Nothing lives at <code>{route.path}</code>. <a href="/" onClick={linkClick}>Go to the workflows</a>.
            </p>
          </section>
        )}
      </main>
      <Toasts />
    </>
  );
}

function NamespaceSwitcher({ namespace }: { namespace: string }) {
  const [value, setValue] = useState(namespace);
  const [recent, setRecent] = useState(getSettings().recentNamespaces);
  useEffect(() => setValue(namespace), [namespace]);
  useEffect(() => onSettings((s) => setRecent(s.recentNamespaces)), []);
  return (
    <form
      class="ns"
      aria-label="Switch namespace"
      onSubmit={(e) => {
        e.preventDefault();
        const ns = value.trim();
        if (ns && ns !== namespace) navigate({ page: 'workflows', namespace: ns, query: '' });
      }}
    >
      <label for="ns-input">Namespace</label>
      <input
        id="ns-input"
        list="ns-recent"
        value={value}
        spellcheck={false}
        autocomplete="off"
        onInput={(e) => setValue((e.target as HTMLInputElement).value)}
        onChange={(e) => {
          // Picking from the list switches at once; typing waits for Enter.
          const ns = (e.target as HTMLInputElement).value.trim();
          if (ns && ns !== namespace && recent.includes(ns)) navigate({ page: 'workflows', namespace: ns, query: '' });
        }}
      />
      <datalist id="ns-recent">
        {recent.map((n) => (
          <option key={n} value={n} />
        ))}
      </datalist>
      <button type="submit" class="btn small">
        Switch
      </button>
    </form>
  );
}

function SettingsButton() {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button type="button" class="btn small ghost" onClick={() => setOpen(true)} aria-haspopup="dialog">
        Settings
      </button>
      <SettingsDialog open={open} onClose={() => setOpen(false)} />
    </>
  );
}
