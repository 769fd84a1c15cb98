export { ConfigError, loadConfig, parseConfig } from './load.js';
export { configSchema, type Config, type SignatureRuleConfig } from './schema.js';
export { duration, parseDuration } from './duration.js';
