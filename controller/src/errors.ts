import { defineErrors } from '@patchfleet/shared/errors';

/** Error registry of the controller: stable codes, HTTP status, retryable. */
export const ControllerErrors = defineErrors({
  VALIDATION: { code: 'PF_ERR_VALIDATION', status: 400, retryable: false, message: 'request is not valid' },
  UNAUTHORIZED: { code: 'PF_ERR_UNAUTHORIZED', status: 401, retryable: false, message: 'missing or invalid API token' },
  FORBIDDEN: { code: 'PF_ERR_FORBIDDEN', status: 403, retryable: false, message: 'this token may not do that' },
  NOT_FOUND: { code: 'PF_ERR_NOT_FOUND', status: 404, retryable: false, message: 'not found' },
  ROUTE_NOT_FOUND: { code: 'PF_ERR_ROUTE_NOT_FOUND', status: 404, retryable: false, message: 'no such route' },
  PAYLOAD_TOO_LARGE: { code: 'PF_ERR_PAYLOAD_TOO_LARGE', status: 413, retryable: false, message: 'request body too large' },
  RATE_LIMITED: { code: 'PF_ERR_RATE_LIMITED', status: 429, retryable: true, message: 'too many requests' },
  ENROLL_TOKEN_INVALID: { code: 'PF_ERR_ENROLL_TOKEN_INVALID', status: 401, retryable: false, message: 'enrollment token is not valid' },
  ENROLL_TOKEN_EXPIRED: { code: 'PF_ERR_ENROLL_TOKEN_EXPIRED', status: 401, retryable: false, message: 'enrollment token has expired' },
  ENROLL_TOKEN_EXHAUSTED: { code: 'PF_ERR_ENROLL_TOKEN_EXHAUSTED', status: 401, retryable: false, message: 'enrollment token has no uses left' },
  ENROLL_TOKEN_REVOKED: { code: 'PF_ERR_ENROLL_TOKEN_REVOKED', status: 401, retryable: false, message: 'enrollment token has been revoked' },
  AGENT_KEY_IN_USE: { code: 'PF_ERR_AGENT_KEY_IN_USE', status: 409, retryable: false, message: 'this agent key is already enrolled' },
  RING_IN_USE: { code: 'PF_ERR_RING_IN_USE', status: 409, retryable: false, message: 'ring still has pinned hosts or rules' },
  RING_NAME_TAKEN: { code: 'PF_ERR_RING_NAME_TAKEN', status: 409, retryable: false, message: 'a ring with this name already exists' },
  CONFIG: { code: 'PF_ERR_CONFIG', status: 500, retryable: false, message: 'configuration is not valid' },
  DATABASE_UNAVAILABLE: { code: 'PF_ERR_DATABASE_UNAVAILABLE', status: 503, retryable: true, message: 'database unavailable' },
  TLS: { code: 'PF_ERR_TLS', status: 500, retryable: false, message: 'TLS certificate problem' },
  INTERNAL: { code: 'PF_ERR_INTERNAL', status: 500, retryable: true, message: 'internal error' },
  BAD_INPUT_FILE: { code: 'PF_ERR_BAD_INPUT_FILE', status: 400, retryable: false, message: 'input file is not in the expected format' },
  CATALOG_EMPTY: { code: 'PF_ERR_CATALOG_EMPTY', status: 409, retryable: false, message: 'no catalog has been imported' },
  CATALOG_IMPORT: { code: 'PF_ERR_CATALOG_IMPORT', status: 500, retryable: true, message: 'catalog import failed; nothing was changed' },
  CATALOG_FETCH: { code: 'PF_ERR_CATALOG_FETCH', status: 502, retryable: true, message: 'advisory feed could not be downloaded' },
});
