// The API tokens (apps/api/src/auth, the CLI's `brier tokens`), exported from the package index in one line.
export {
  ApiTokenRepository,
  TOKEN_REVOCATION_CHANNEL,
  type ApiTokenRecord,
  type TokenRevocationNotification,
  type CreateApiTokenInput,
  type CreatedApiToken,
} from './api-token.repository.js';
export { AgentAccessRepository, type RunReach } from './agent-access.repository.js';
export { generateApiToken, hashApiToken, looksLikeApiToken } from './token-secret.js';
