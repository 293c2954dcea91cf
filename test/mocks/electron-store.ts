// electron-store is ESM that imports the real `electron` at load time, which plain Node cannot provide (it would
// try to download a binary), and vitest cannot mock imports inside node_modules. electron-store is a thin subclass
// of `conf` that only fills `cwd` from app.getPath('userData') and maps `name` → `configName`; this stand-in does
// exactly that over the real `conf`, so the file handling under test is the real one.
// Use: vi.mock('electron-store', () => import('../mocks/electron-store.js'));
import Conf from 'conf';

export default class ElectronStore extends Conf<Record<string, unknown>> {
  constructor(options: { cwd: string; name?: string; clearInvalidConfig?: boolean }) {
    const { name, ...rest } = options;
    super({ ...rest, configName: name ?? 'config', projectVersion: '0.0.0-test' });
  }
}
