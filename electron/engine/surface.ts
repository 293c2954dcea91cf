/**
 * Who reads the engine's messages, and so where they send the user to change keys: the desktop app and the browser
 * preview have a Credentials tab; a terminal (the headless command line, and teammates of a served engine, whose
 * keys live on that host) has environment variables and config files. Pure.
 */
export type Surface = 'app' | 'cli';

/** Where the ClearML key pair is changed, as the end of "check the key pair in …". */
export function clearmlKeysPlace(surface: Surface = 'app'): string {
  return surface === 'app'
    ? 'the Credentials tab'
    : // Said of the engine's host: a teammate reads it in an app of their own, where their own files are not meant.
      "the engine host's environment (CLEARML_API_ACCESS_KEY, CLEARML_API_SECRET_KEY) or the api section of its " +
        '~/clearml.conf';
}

/**
 * Where the ClearML server's address is changed, as the end of "check …". A headless operator has no Settings
 * screen: the config file's field wins over the variable (cli/api-host-variable.ts), so it is named first.
 */
export function clearmlHostPlace(surface: Surface = 'app'): string {
  return surface === 'app'
    ? 'the API host in Settings'
    : "clearml.apiHost in the engine host's config file (or CLEARML_API_HOST)";
}

/** Whose clock a refusal blames: the reader's own computer in the app; the engine's host on a terminal or for teammates. */
export function clockPlace(surface: Surface = 'app'): string {
  return surface === 'app' ? "this computer's clock" : "the engine host's clock";
}
