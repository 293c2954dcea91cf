/** The dashboard shell: header (status, DEMO banner, connection), a real tablist, the views, notices. */
import { useCallback, useEffect, useLayoutEffect, useRef, useState, type KeyboardEvent } from 'react';
import { LiveRegion } from './components/LiveRegion.js';
import { installFocusRescue } from './components/focus-rescue.js';
import { useNow } from './components/misc.js';
import { remoteAnnouncement, remoteLine } from './model/team.js';
import { ShortcutsHelp, useShortcuts } from './components/Shortcuts.js';
import { VIEW_LABELS as LABELS } from './shortcuts.js';
import { VIEWS, type ViewName } from './state/app-store.js';
import { isFirstRun, tabBadges } from './state/selectors.js';
import { useActions, useApp, usePending } from './state/react.js';
import { Costs } from './views/Costs.js';
import { Credentials } from './views/Credentials.js';
import { Events } from './views/Events.js';
import { FirstRun } from './views/FirstRun.js';
import { Instances } from './views/Instances.js';
import { Overview } from './views/Overview.js';
import { Queues } from './views/Queues.js';
import { Settings } from './views/Settings.js';
import { TeamSection } from './views/settings/TeamSection.js';
import { plural } from './model/format.js';
import { Dialog, DialogText } from './components/Dialog.js';

/** The theme preference: 'system' follows prefers-color-scheme; light/dark pin it (CSS reads data-theme). */
function useTheme() {
  const theme = useApp((s) => s.appSettings?.settings.theme ?? 'system');
  useEffect(() => {
    const root = document.documentElement;
    if (theme === 'system') delete root.dataset['theme'];
    else root.dataset['theme'] = theme;
  }, [theme]);
}

export function App({ problem }: { problem?: string }) {
  useTheme();
  useEffect(() => installFocusRescue(document), []);
  const { loaded, loadError, firstRun, demo, attachedDown } = useApp((s) => ({
    loaded: s.snapshot !== null,
    loadError: s.loadError,
    firstRun: isFirstRun(s),
    demo: s.snapshot?.demo ?? false,
    attachedDown: s.snapshot?.remote !== undefined && s.snapshot.remote.state !== 'connected',
  }));
  // Set once the setup screen was shown: the dashboard that replaces it takes the focus it leaves behind.
  const leftSetup = useRef(false);
  if (firstRun === true) leftSetup.current = true;
  const [help, setHelp] = useState(false);
  const openHelp = useCallback(() => setHelp(true), []);
  useShortcuts(!problem && loaded && firstRun === false, openHelp);

  return (
    <div className="app">
      {/* The DEMO banner is part of the header, so it is inside a landmark like the rest of the page. */}
      <header className="app-header">
        <div className="topbar">
          <h1>ClearML Autoscaler</h1>
          <ConnectionBanner />
          <TeamBanner />
          <button type="button" className="small shortcuts-button" aria-keyshortcuts="Shift+?" onClick={openHelp}>
            Keyboard shortcuts
          </button>
        </div>
        {demo && <DemoBanner />}
      </header>
      {problem ? (
        <main className="blocking">
          <h2>Cannot reach the autoscaler</h2>
          <p>{problem}</p>
        </main>
      ) : loaded && firstRun === null && attachedDown ? (
        // Attached, and the team engine cannot be reached: say so, and keep the way back to this app's own engine.
        <main className="blocking">
          <h2>Waiting for the team engine</h2>
          <p>The dashboard appears as soon as it is reachable (see the line at the top).</p>
          <TeamSection />
        </main>
      ) : !loaded || firstRun === null ? (
        <main className="blocking" aria-busy="true">
          {loadError ? (
            <>
              <h2>Cannot load the autoscaler state</h2>
              <p>{loadError}</p>
            </>
          ) : (
            <p>Loading…</p>
          )}
        </main>
      ) : firstRun ? (
        <main>
          <FirstRun />
          {/* A new teammate may not set up an engine at all: they attach to the team's. */}
          <TeamSection />
        </main>
      ) : (
        <Dashboard focusOnMount={leftSetup.current} />
      )}
      <Notices />
      <LiveRegion />
      {help && <ShortcutsHelp onClose={() => setHelp(false)} />}
    </div>
  );
}

/** The DEMO banner, with the way out of the demo: without it the demo looked like the only thing the app does. */
function DemoBanner() {
  const [leaving, setLeaving] = useState(false);
  const [failed, setFailed] = useState<string | null>(null);
  const pending = usePending('demo');
  const actions = useActions();
  return (
    <div className="demo-banner" role="note" aria-label="Demo mode">
      <strong>DEMO</strong> Simulated ClearML and EC2 with a synthetic workload: nothing real is launched or billed.
      <button type="button" className="small demo-leave" onClick={() => setLeaving(true)}>
        Leave the demo and set up…
      </button>
      {leaving && (
        <Dialog
          title="Leave the demo and set up"
          onClose={() => setLeaving(false)}
          footer={
            <>
              <button type="button" onClick={() => setLeaving(false)}>
                Stay in the demo
              </button>
              <button
                type="button"
                className="primary"
                disabled={pending}
                onClick={() =>
                  void actions.stopDemo().then((r) => {
                    if (r.ok) setLeaving(false);
                    else setFailed(r.error.message);
                  })
                }
              >
                {pending ? 'Leaving…' : 'Leave the demo'}
              </button>
            </>
          }
        >
          <DialogText>
            <p>
              The demo&apos;s simulated instances, events and spend are dropped; none of it was saved. The app then
              opens the setup screen, or your saved configuration with autoscaling off. Keys stored under Credentials
              are kept.
            </p>
          </DialogText>
          {failed && (
            <p className="note tone-error" role="alert">
              {failed}
            </p>
          )}
        </Dialog>
      )}
    </div>
  );
}

function TeamBanner() {
  const remote = useApp((s) => s.snapshot?.remote);
  const now = useNow(1000);
  const line = remoteLine(remote, now);
  if (!line) return null;
  // The visible line counts seconds; a live region holding it would be read out every second. The region holds the
  // same facts without the figures, so it speaks only when the connection changes.
  return (
    <>
      <p className={`connection tone-${line.tone}`} data-testid="team-connection">
        {line.text}
      </p>
      <p className="sr-only" role="status" data-testid="team-connection-announcement">
        {remoteAnnouncement(remote)}
      </p>
    </>
  );
}

function ConnectionBanner() {
  const connection = useApp((s) => s.connection);
  if (connection === 'open') return null;
  return (
    <p className="connection tone-warn" role="status">
      {connection === 'connecting'
        ? 'Connecting to the preview server…'
        : 'Disconnected from the preview server; retrying. Is `npm run preview:web` still running? If you restarted it, open the new URL it printed (the token changes).'}
    </p>
  );
}

/**
 * `focusOnMount`: the dashboard replaces the setup screen (Try the demo, the setup's last step, an import), whose
 * focused button goes with it: focus would drop to the body and the next Tab start at the top of the page, so it
 * goes to the shown view instead. On a plain page load the page's own order stands.
 */
function Dashboard({ focusOnMount }: { focusOnMount: boolean }) {
  const view = useApp((s) => s.view);
  const panel = useRef<HTMLDivElement>(null);
  // Before paint: the focus rescue would otherwise move the focus the setup screen left behind somewhere first.
  useLayoutEffect(() => {
    const active = document.activeElement;
    // Without scrolling: the panel is taller than the window, and focusing it would scroll the tabs out of view.
    if (focusOnMount && (!active || active === document.body)) panel.current?.focus({ preventScroll: true });
    // Only when it first appears: later focus is the user's.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  return (
    <>
      <TabBar current={view} />
      {/* A plain main landmark: a tabpanel role on <main> itself would replace the main role. */}
      <main className="dashboard">
        <div
          ref={panel}
          id={`panel-${view}`}
          role="tabpanel"
          aria-labelledby={`tab-${view}`}
          tabIndex={-1}
          className="panel"
        >
          {view === 'overview' && <Overview />}
          {view === 'queues' && <Queues />}
          {view === 'instances' && <Instances />}
          {view === 'costs' && <Costs />}
          {view === 'events' && <Events />}
          {view === 'settings' && <Settings />}
          {view === 'credentials' && <Credentials />}
        </div>
      </main>
    </>
  );
}

function TabBar({ current }: { current: ViewName }) {
  const actions = useActions();
  const badges = useApp(tabBadges);
  const refs = useRef<Partial<Record<ViewName, HTMLButtonElement | null>>>({});

  const select = (v: ViewName) => {
    actions.setView(v);
    refs.current[v]?.focus();
  };

  const onKeyDown = (e: KeyboardEvent) => {
    const i = VIEWS.indexOf(current);
    const target =
      e.key === 'ArrowRight'
        ? VIEWS[(i + 1) % VIEWS.length]
        : e.key === 'ArrowLeft'
          ? VIEWS[(i - 1 + VIEWS.length) % VIEWS.length]
          : e.key === 'Home'
            ? VIEWS[0]
            : e.key === 'End'
              ? VIEWS[VIEWS.length - 1]
              : undefined;
    if (!target) return;
    e.preventDefault();
    select(target);
  };

  const badge = (v: ViewName) =>
    (v === 'settings' && badges.settingsUnsaved) || (v === 'credentials' && badges.credentialsUnsaved)
      ? 'unsaved'
      : v === 'queues' && badges.queues
        ? `${badges.queues} queued`
        : v === 'instances' && badges.instances
          ? String(badges.instances)
          : v === 'events' && badges.events
            ? plural(badges.events, 'error')
            : null;

  return (
    <nav className="tabs-wrap" aria-label="Views">
      <div role="tablist" aria-label="Dashboard views" className="tabs" onKeyDown={onKeyDown}>
        {VIEWS.map((v, i) => {
          const b = badge(v);
          return (
            <button
              key={v}
              ref={(el) => {
                refs.current[v] = el;
              }}
              id={`tab-${v}`}
              type="button"
              role="tab"
              aria-selected={v === current}
              aria-controls={`panel-${v}`}
              aria-keyshortcuts={`Alt+${i + 1}`}
              tabIndex={v === current ? 0 : -1}
              className="tab"
              onClick={() => select(v)}
            >
              {LABELS[v]}
              {b && (
                <span
                  className={`badge${v === 'events' ? ' tone-error' : v === 'settings' ? ' tone-warn' : ''}`}
                  data-testid={`badge-${v}`}
                >
                  <span className="sr-only">, </span>
                  {b}
                </span>
              )}
            </button>
          );
        })}
      </div>
    </nav>
  );
}

/**
 * What the user's own actions returned (a refused adoption, a link not opened): errors in an alert region, the rest
 * in a status region. Both are always in the page (a region added together with its text is often not read) and
 * neither is inside another live region, and each only says what was added (aria-atomic false: both roles default
 * to reading the whole region again). A polite container around notices that were each a status or an alert made
 * every notice sit in two live regions at once, which some screen readers announce twice.
 */
function Notices() {
  const notices = useApp((s) => s.notices);
  const actions = useActions();
  const list = (level: 'error' | 'info') =>
    notices
      .filter((n) => (n.level === 'error') === (level === 'error'))
      .map((n) => (
        <div key={n.id} className={`notice tone-${n.level}`}>
          <span>{n.text}</span>
          <button type="button" className="small" aria-label="Dismiss" onClick={() => actions.dismissNotice(n.id)}>
            {/* Hidden from the tree: the region would read the glyph ("times") after each notice. */}
            <span aria-hidden="true">×</span>
          </button>
        </div>
      ));
  return (
    <div className="notices">
      <div className="notice-list" role="alert" aria-atomic="false">
        {list('error')}
      </div>
      <div className="notice-list" role="status" aria-atomic="false">
        {list('info')}
      </div>
    </div>
  );
}
