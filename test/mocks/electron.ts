/**
 * Hand-written Electron mock (Fiddle style) for unit tests in plain Node, where `require('electron')` would try
 * to download a binary. Use with:
 *
 *   vi.mock('electron', () => import('../mocks/electron.js'));
 *
 * Everything records what it was asked to do, and `resetElectronMock()` restores a fresh state between tests.
 * Only the behaviour our code relies on is modelled; anything else is deliberately absent so a test fails
 * loudly instead of passing against a fake that invented semantics.
 */
import { EventEmitter } from 'node:events';
import { vi } from 'vitest';

// ---------------------------------------------------------------- frames and webContents

let nextProcessId = 1;

export class MockWebFrameMain {
  readonly routingId: number;
  constructor(
    public url: string,
    readonly processId: number,
    readonly parent: MockWebFrameMain | null = null,
    routingId?: number,
  ) {
    this.routingId = routingId ?? (parent ? parent.routingId + 1000 : 1);
  }
  get top(): MockWebFrameMain {
    return this.parent ? this.parent.top : this;
  }
  get origin(): string {
    try {
      const u = new URL(this.url);
      return u.host ? `${u.protocol}//${u.host}` : 'null';
    } catch {
      return 'null';
    }
  }
  /** A sub-frame of this frame (an iframe), for sender-validation tests. */
  child(url: string): MockWebFrameMain {
    return new MockWebFrameMain(url, this.processId, this);
  }
}

let nextWebContentsId = 1;
const allWebContents = new Set<MockWebContents>();

export class MockWebContents extends EventEmitter {
  readonly id = nextWebContentsId++;
  readonly mainFrame: MockWebFrameMain;
  readonly sent: [string, ...unknown[]][] = [];
  windowOpenHandler: ((details: { url: string }) => { action: string }) | null = null;
  loading = false;
  private destroyed = false;

  constructor(url = '') {
    super();
    this.mainFrame = new MockWebFrameMain(url, nextProcessId++);
    allWebContents.add(this);
  }
  send(channel: string, ...args: unknown[]): void {
    this.sent.push([channel, ...args]);
  }
  getURL(): string {
    return this.mainFrame.url;
  }
  async loadURL(url: string): Promise<void> {
    this.mainFrame.url = url;
    this.loading = false;
    this.emit('did-finish-load');
  }
  isLoading(): boolean {
    return this.loading;
  }
  setWindowOpenHandler(handler: (details: { url: string }) => { action: string }): void {
    this.windowOpenHandler = handler;
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  destroy(): void {
    this.destroyed = true;
    allWebContents.delete(this);
  }
}

export const webContents = {
  getAllWebContents: () => [...allWebContents],
  fromId: (id: number) => [...allWebContents].find((w) => w.id === id),
};

// ---------------------------------------------------------------- BrowserWindow

export class MockBrowserWindow extends EventEmitter {
  static readonly windows = new Set<MockBrowserWindow>();
  static getAllWindows(): MockBrowserWindow[] {
    return [...MockBrowserWindow.windows];
  }
  static fromWebContents(wc: { id: number }): MockBrowserWindow | null {
    return [...MockBrowserWindow.windows].find((w) => w.webContents.id === wc.id) ?? null;
  }

  readonly webContents = new MockWebContents();
  private visible: boolean;
  private minimized = false;
  private destroyed = false;

  constructor(readonly options: Record<string, unknown> = {}) {
    super();
    this.visible = options['show'] !== false;
    MockBrowserWindow.windows.add(this);
  }
  loadURL(url: string): Promise<void> {
    return this.webContents.loadURL(url);
  }
  show(): void {
    this.visible = true;
    this.minimized = false;
    this.emit('show');
  }
  hide(): void {
    this.visible = false;
    this.emit('hide');
  }
  focus(): void {
    this.emit('focus');
  }
  minimize(): void {
    this.minimized = true;
    this.emit('minimize');
  }
  restore(): void {
    this.minimized = false;
    this.emit('restore');
  }
  isVisible(): boolean {
    return this.visible && !this.destroyed;
  }
  isMinimized(): boolean {
    return this.minimized;
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  /** Like Electron: emits a preventable 'close'; destroys the window unless a listener prevented it. */
  close(): void {
    const event = preventable();
    this.emit('close', event);
    if (!event.defaultPrevented) this.destroy();
  }
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.visible = false;
    this.webContents.destroy();
    MockBrowserWindow.windows.delete(this);
    this.emit('closed');
  }
}
export const BrowserWindow = MockBrowserWindow;

export interface PreventableEvent {
  defaultPrevented: boolean;
  preventDefault(): void;
}
export function preventable(): PreventableEvent {
  const e = {
    defaultPrevented: false,
    preventDefault() {
      e.defaultPrevented = true;
    },
  };
  return e;
}

// ---------------------------------------------------------------- IPC

/** What an invoke handler receives, as far as our code reads it. */
export interface MockInvokeEvent {
  sender: { id: number };
  senderFrame: { url: string; parent: unknown; processId: number; routingId: number } | null;
}
type InvokeHandler = (event: MockInvokeEvent, ...args: unknown[]) => unknown;

class MockIpcMain extends EventEmitter {
  readonly handlers = new Map<string, InvokeHandler>();
  handle(channel: string, handler: InvokeHandler): void {
    if (this.handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
    this.handlers.set(channel, handler);
  }
  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }
  /** Test helper: what `ipcRenderer.invoke` would do from the frame described by `event`. */
  async invoke(channel: string, event: MockInvokeEvent, ...args: unknown[]): Promise<unknown> {
    const h = this.handlers.get(channel);
    if (!h) throw new Error(`Error invoking remote method '${channel}': Error: No handler registered for '${channel}'`);
    return h(event, ...args);
  }
}
export const ipcMain = new MockIpcMain();

class MockIpcRenderer extends EventEmitter {
  /** Replace to route invokes somewhere (e.g. into ipcMain with a fake event). */
  invokeImpl: (channel: string, ...args: unknown[]) => Promise<unknown> = async (channel) => {
    throw new Error(`Error invoking remote method '${channel}': Error: No handler registered for '${channel}'`);
  };
  readonly invoke = vi.fn((channel: string, ...args: unknown[]) => this.invokeImpl(channel, ...args));
  readonly send = vi.fn();
  /** Test helper: main sends an event to this renderer. */
  deliver(channel: string, payload: unknown): void {
    this.emit(channel, { sender: this }, payload);
  }
}
export const ipcRenderer = new MockIpcRenderer();

export const contextBridge = {
  exposed: {} as Record<string, unknown>,
  exposeInMainWorld(key: string, api: unknown): void {
    if (key in contextBridge.exposed) throw new Error(`Cannot bind an API on top of an existing property '${key}'`);
    contextBridge.exposed[key] = api;
  },
};

// ---------------------------------------------------------------- nativeImage, Tray, Menu

export class MockNativeImage {
  private template = false;
  constructor(readonly path: string) {}
  setTemplateImage(on: boolean): void {
    this.template = on;
  }
  isTemplateImage(): boolean {
    return this.template;
  }
  isEmpty(): boolean {
    return this.path === '';
  }
}
export const nativeImage = {
  createFromPath: (p: string) => new MockNativeImage(p),
  createEmpty: () => new MockNativeImage(''),
};

export interface MockMenuItem {
  id?: string;
  label?: string;
  type?: string;
  checked?: boolean;
  enabled?: boolean;
  click?: (...args: unknown[]) => void;
}

export class MockMenu {
  constructor(readonly items: MockMenuItem[]) {}
  getMenuItemById(id: string): MockMenuItem | null {
    return this.items.find((i) => i.id === id) ?? null;
  }
}
export const Menu = {
  buildFromTemplate: (template: MockMenuItem[]) => new MockMenu(template.map((t) => ({ ...t }))),
  setApplicationMenu: vi.fn(),
};

export class MockTray extends EventEmitter {
  static readonly instances: MockTray[] = [];
  image: MockNativeImage;
  tooltip = '';
  menu: MockMenu | null = null;
  readonly menus: MockMenu[] = [];
  destroyed = false;
  constructor(image: MockNativeImage) {
    super();
    this.image = image;
    MockTray.instances.push(this);
  }
  setImage(image: MockNativeImage): void {
    this.image = image;
  }
  setToolTip(text: string): void {
    this.tooltip = text;
  }
  setContextMenu(menu: MockMenu): void {
    this.menu = menu;
    this.menus.push(menu);
  }
  destroy(): void {
    this.destroyed = true;
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
}
export const Tray = MockTray;

// ---------------------------------------------------------------- Notification

export class MockNotification extends EventEmitter {
  static readonly shown: MockNotification[] = [];
  static supported = true;
  static isSupported(): boolean {
    return MockNotification.supported;
  }
  constructor(readonly options: { title?: string; body?: string; silent?: boolean }) {
    super();
  }
  show(): void {
    MockNotification.shown.push(this);
  }
  close(): void {
    this.emit('close');
  }
  /** Test helper: the user clicks it. */
  click(): void {
    this.emit('click');
  }
}
export const Notification = MockNotification;

// ---------------------------------------------------------------- safeStorage

type Backend = 'basic_text' | 'gnome_libsecret' | 'kwallet' | 'kwallet5' | 'kwallet6' | 'unknown';

export const safeStorage = {
  available: true,
  backend: 'gnome_libsecret' as Backend,
  /** A reversible transform that is visibly not the plain text (tests assert the file never holds it). */
  isEncryptionAvailable: () => safeStorage.available,
  getSelectedStorageBackend: () => safeStorage.backend,
  encryptString(text: string): Buffer {
    if (!safeStorage.available) throw new Error('Encryption is not available.');
    return Buffer.from(`mock-enc:${Buffer.from(text, 'utf8').reverse().toString('base64')}`, 'utf8');
  },
  decryptString(data: Buffer): string {
    const s = data.toString('utf8');
    if (!s.startsWith('mock-enc:'))
      throw new Error('Error while decrypting the ciphertext provided to safeStorage.decryptString.');
    return Buffer.from(s.slice('mock-enc:'.length), 'base64').reverse().toString('utf8');
  },
  setUsePlainTextEncryption: vi.fn(),
};

// ---------------------------------------------------------------- powerMonitor, net, dialog, shell

export const powerMonitor = new EventEmitter();

export const net = {
  online: true,
  isOnline: () => net.online,
};

export const dialog = {
  /** Responses handed out in order by showMessageBox; defaults to 0. */
  responses: [] as number[],
  showMessageBox: vi.fn(async (..._args: unknown[]) => ({
    response: dialog.responses.shift() ?? 0,
    checkboxChecked: false,
  })),
  showMessageBoxSync: vi.fn((..._args: unknown[]) => dialog.responses.shift() ?? 0),
  showErrorBox: vi.fn(),
};

export const shell = {
  openExternal: vi.fn(async (_url: string) => undefined),
  openPath: vi.fn(async (_path: string) => ''),
};

// ---------------------------------------------------------------- session, protocol

type HeadersListener = (
  details: { url: string; responseHeaders?: Record<string, string[]> },
  callback: (response: { responseHeaders?: Record<string, string[]> }) => void,
) => void;

export const session = {
  defaultSession: {
    permissionRequestHandler: null as null | ((...args: unknown[]) => void),
    permissionCheckHandler: null as null | ((...args: unknown[]) => boolean),
    headersListener: null as null | HeadersListener,
    setPermissionRequestHandler(h: (...args: unknown[]) => void) {
      session.defaultSession.permissionRequestHandler = h;
    },
    setPermissionCheckHandler(h: (...args: unknown[]) => boolean) {
      session.defaultSession.permissionCheckHandler = h;
    },
    webRequest: {
      onHeadersReceived(listener: HeadersListener) {
        session.defaultSession.headersListener = listener;
      },
    },
  },
};

export const protocol = {
  privileged: [] as unknown[],
  handlers: new Map<string, (req: Request) => Response | Promise<Response>>(),
  registerSchemesAsPrivileged(schemes: unknown[]) {
    protocol.privileged.push(...schemes);
  },
  handle(scheme: string, handler: (req: Request) => Response | Promise<Response>) {
    protocol.handlers.set(scheme, handler);
  },
  unhandle(scheme: string) {
    protocol.handlers.delete(scheme);
  },
  isProtocolHandled(scheme: string) {
    return protocol.handlers.has(scheme);
  },
};

// ---------------------------------------------------------------- app

class MockApp extends EventEmitter {
  isPackaged = false;
  readonly paths = new Map<string, string>([
    ['userData', '/tmp/clearml-tray-autoscaler-test'],
    ['home', '/tmp'],
    ['temp', '/tmp'],
  ]);
  singleInstance = true;
  readonly quit = vi.fn(() => {
    const e = preventable();
    this.emit('before-quit', e);
    if (!e.defaultPrevented) this.emit('will-quit', preventable());
  });
  readonly exit = vi.fn((_code?: number) => undefined);
  readonly setAppUserModelId = vi.fn();
  readonly setLoginItemSettings = vi.fn();
  readonly getLoginItemSettings = vi.fn(() => ({ openAtLogin: false, wasOpenedAtLogin: false }));
  readonly dock = { hide: vi.fn(), show: vi.fn(async () => undefined) };
  getPath(name: string): string {
    const p = this.paths.get(name);
    if (!p) throw new Error(`Failed to get '${name}' path`);
    return p;
  }
  setPath(name: string, value: string): void {
    this.paths.set(name, value);
  }
  getVersion(): string {
    return '0.0.0-test';
  }
  getName(): string {
    return 'clearml-tray-autoscaler';
  }
  getAppPath(): string {
    return process.cwd();
  }
  whenReady(): Promise<void> {
    return Promise.resolve();
  }
  isReady(): boolean {
    return true;
  }
  requestSingleInstanceLock(): boolean {
    return this.singleInstance;
  }
}
export const app = new MockApp();

// ---------------------------------------------------------------- reset

export function resetElectronMock(): void {
  for (const w of [...MockBrowserWindow.windows]) w.destroy();
  allWebContents.clear();
  ipcMain.handlers.clear();
  ipcMain.removeAllListeners();
  ipcRenderer.removeAllListeners();
  ipcRenderer.invoke.mockClear();
  ipcRenderer.send.mockClear();
  ipcRenderer.invokeImpl = async (channel) => {
    throw new Error(`Error invoking remote method '${channel}': Error: No handler registered for '${channel}'`);
  };
  contextBridge.exposed = {};
  MockTray.instances.length = 0;
  MockNotification.shown.length = 0;
  MockNotification.supported = true;
  safeStorage.available = true;
  safeStorage.backend = 'gnome_libsecret';
  powerMonitor.removeAllListeners();
  net.online = true;
  dialog.responses = [];
  dialog.showMessageBox.mockClear();
  dialog.showMessageBoxSync.mockClear();
  dialog.showErrorBox.mockClear();
  shell.openExternal.mockClear();
  shell.openPath.mockClear();
  session.defaultSession.permissionRequestHandler = null;
  session.defaultSession.permissionCheckHandler = null;
  session.defaultSession.headersListener = null;
  protocol.privileged.length = 0;
  protocol.handlers.clear();
  app.removeAllListeners();
  app.isPackaged = false;
  app.singleInstance = true;
  app.quit.mockClear();
  app.exit.mockClear();
  app.setAppUserModelId.mockClear();
  app.setLoginItemSettings.mockClear();
}

const electron = {
  app,
  BrowserWindow,
  contextBridge,
  dialog,
  ipcMain,
  ipcRenderer,
  Menu,
  nativeImage,
  net,
  Notification,
  powerMonitor,
  protocol,
  safeStorage,
  session,
  shell,
  Tray,
  webContents,
};
export default electron;
