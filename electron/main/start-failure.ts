/**
 * What the desktop app says when it cannot start (its folder full, read-only, not its user's; a settings file it
 * cannot read). Without it the failure reached only the log: no tray, no window, and the process stayed, so every
 * later launch of the app only woke that invisible instance. Pure: main shows the text in a dialog and exits.
 */
import { errorText } from '../../shared/error-text.js';
import { dataDirFault, faultFix, faultWords } from '../engine/data-dir-fault.js';

export interface StartFailureText {
  message: string;
  detail: string;
}

export function startFailureText(err: unknown, userData: string): StartFailureText {
  const fault = dataDirFault(err);
  const where = (err as NodeJS.ErrnoException | null)?.path ?? userData;
  const what = fault
    ? `${faultWords(fault, where)} (${errorText(err)}): ${faultFix(fault)}, then start the app again.`
    : `${errorText(err)}. Check ${userData} and its files, then start the app again.`;
  return {
    message: fault ? 'The app’s folder cannot be used' : 'The app could not start',
    detail:
      `${what} The app keeps its settings and its data folder in ${userData}; to start it on another folder, set ` +
      'AUTOSCALER_USER_DATA to that folder.',
  };
}
