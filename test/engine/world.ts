/**
 * The engine integration suites' world: the one test world (test/fixtures/world.ts) with its defaults.
 */
export { CLEARML_KEYS as KEYS, AWS_KEYS as AWS, flatPrices } from '../fixtures/index.js';
export { startWorld, type World } from '../fixtures/world.js';
