import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.js';
import { getBridge } from './bridge/bridge.js';
import { createAppStore, documentVisibility } from './state/app-store.js';
import { localKeptDraft } from './state/kept-draft-storage.js';
import { AppStoreProvider } from './state/react.js';
import './styles/index.css';

const bridge = getBridge();
const app = createAppStore(bridge.api, {
  visibility: documentVisibility(document),
  connection: bridge.connection,
  keptDraft: localKeptDraft(window),
});
if (!bridge.problem) app.actions.start();

const root = document.getElementById('root');
if (root)
  createRoot(root).render(
    <StrictMode>
      <AppStoreProvider value={app}>
        <App problem={bridge.problem} />
      </AppStoreProvider>
    </StrictMode>,
  );
