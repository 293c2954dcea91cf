/**
 * Registers every contract channel on ipcMain.handle. Before anything is parsed, the sender must be the main
 * frame of one of our windows, showing a page of our origin (checklist item 17, Fiddle / VS Code style):
 * sub-frames, other webContents and navigated-away pages are refused without reaching a handler.
 */
import type { Envelope } from '../../../shared/ipc/contract.js';
import { invokeChannels } from '../../../shared/ipc/contract.js';
import type { Dispatch } from '../../../shared/ipc/dispatch.js';
import { isSameOrigin } from '../security.js';

/** The parts of Electron's IpcMainInvokeEvent the check reads. */
export interface SenderFrameLike {
  url: string;
  parent: unknown;
  processId: number;
  routingId: number;
}
export interface InvokeEventLike {
  sender: { id: number };
  senderFrame: SenderFrameLike | null;
}
export interface OurWindowLike {
  webContents: { id: number; mainFrame: { processId: number; routingId: number } };
}

export interface IpcMainLike {
  handle(channel: string, listener: (event: InvokeEventLike, ...args: unknown[]) => Promise<unknown>): void;
  removeHandler(channel: string): void;
}

/** Null when the sender may call us; otherwise why not (for the log, never for the renderer). */
export function senderRejection(
  event: InvokeEventLike,
  windows: readonly OurWindowLike[],
  trustedOrigins: readonly string[],
): string | null {
  const frame = event.senderFrame;
  if (!frame) return 'the sending frame no longer exists';
  if (frame.parent !== null && frame.parent !== undefined) return 'a sub-frame may not call the app';
  const win = windows.find((w) => w.webContents.id === event.sender.id);
  if (!win) return `webContents ${event.sender.id} is not one of our windows`;
  const main = win.webContents.mainFrame;
  // WebFrameMain objects are not guaranteed identical; (processId, routingId) identifies the frame.
  if (frame.processId !== main.processId || frame.routingId !== main.routingId) {
    return 'the sender is not the main frame of its window';
  }
  if (!isSameOrigin(frame.url, trustedOrigins)) return `the page origin is not trusted`;
  return null;
}

export interface RouterDeps {
  dispatch: Dispatch;
  windows: () => readonly OurWindowLike[];
  trustedOrigins: () => readonly string[];
  log?: (message: string) => void;
}

const FORBIDDEN: Envelope<never> = {
  ok: false,
  error: { code: 'forbidden_sender', message: 'This page is not allowed to talk to the app.' },
};

export async function routeInvoke(
  deps: RouterDeps,
  channel: string,
  event: InvokeEventLike,
  rawArgs: unknown,
): Promise<Envelope<unknown>> {
  const why = senderRejection(event, deps.windows(), deps.trustedOrigins());
  if (why) {
    deps.log?.(`refused IPC ${channel.slice(0, 80)}: ${why}`);
    return FORBIDDEN;
  }
  return deps.dispatch(channel, rawArgs, { transport: 'ipc', caller: `webContents:${event.sender.id}` });
}

/** Returns an unregister function (used on shutdown and by tests). */
export function registerIpcRouter(ipcMain: IpcMainLike, deps: RouterDeps): () => void {
  for (const channel of invokeChannels) {
    ipcMain.handle(channel, (event, ...args) => routeInvoke(deps, channel, event, args[0]));
  }
  return () => {
    for (const channel of invokeChannels) ipcMain.removeHandler(channel);
  };
}
