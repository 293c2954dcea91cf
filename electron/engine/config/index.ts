export {
  API_HOST_PATH,
  awsRegionFromEnv,
  detectFormat,
  importClearmlConfig,
  type ClearmlHosts,
  type ClearmlImport,
  type ConfigFormat,
  type EnvRegion,
  type ImportedSecrets,
} from './clearmlImport.js';
export { describeIssues, issueMessage } from './issues.js';
export {
  ConfigFileError,
  MAX_CONFIG_BYTES,
  exportConfig,
  loadConfigFile,
  loadConfigText,
  type LoadedConfig,
} from './load.js';
