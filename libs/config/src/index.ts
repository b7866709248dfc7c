export { ConfigError, type ConfigProblem } from './config-error.js';
export { configsDir } from './configs-dir.js';
export { describeValue, maskUrlPassword, REDACTED } from './describe-value.js';
export { CommaList, IsHttpUrl, IsPostgresUrl, IsRedisUrl, isUrlWithProtocol } from './env-decorators.js';
export { createRedisClient, type RedisClient, type RedisClientOptions } from './redis-client.js';
export { hashTagOf, RedisConfig } from './redis-config.js';
export { Secret, secretKeys } from './secret.js';
export {
  declaredKeys,
  loadConfigOrExit,
  validateConfig,
  type ConfigClass,
  type Env,
  type ValidateConfigOptions,
} from './validate-config.js';
