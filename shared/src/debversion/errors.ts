import { defineErrors } from '../errors';

/** Errors raised when a string is not a Debian package version. */
export const DebVersionErrors = defineErrors({
  BAD_VERSION: {
    code: 'PF_ERR_BAD_VERSION',
    status: 400,
    retryable: false,
    message: 'not a valid Debian package version',
  },
});
