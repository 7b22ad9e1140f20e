import { Type } from '@sinclair/typebox';

/** The error envelope, for OpenAPI. */
export const ErrorResponse = Type.Object({
  error: Type.Object({
    code: Type.String(),
    message: Type.String(),
    requestId: Type.String(),
    retryable: Type.Boolean(),
    /** Only for codes whose details are meant for clients (api/errors.ts PUBLIC_DETAILS), e.g. PF_ERR_HOST_AMBIGUOUS's candidates. */
    details: Type.Optional(Type.Object({}, { additionalProperties: true })),
  }),
});

/** Host labels: short keys and values, e.g. criticality=high, role=web. A key outside the pattern is refused, not ignored. */
export const Labels = Type.Record(Type.String({ pattern: '^[A-Za-z0-9_.-]{1,63}$' }), Type.String({ maxLength: 256 }), { maxProperties: 64, additionalProperties: false });

export const Paging = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000_000, default: 0 })),
};

/**
 * A bigint id in a query (`before`): the largest integer a JSON number holds
 * exactly. Larger values would be rounded by JSON and refused by PostgreSQL's
 * bigint (22003), so they are refused here with 400.
 */
export const BigintId = (description: string) => Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description });

/**
 * A string that is one of `values`, typed as their union. (A TypeBox Union of
 * Literals built with `values.map` loses the literal types.) The schema is a
 * plain `enum`, which OpenAPI shows as the list of values.
 */
export const OneOf = <const T extends readonly string[]>(values: T, options: { description?: string; default?: T[number] } = {}) =>
  Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });

/** A free-form JSON object (audit details, facts, evidence): every property is kept when answering. */
export const FreeObject = (description?: string) => Type.Record(Type.String(), Type.Unknown(), description ? { description } : {});

/** A redirect answer (no body); the Location header says where. */
export const Redirect = (where: string) => Type.Null({ description: `redirect ${where} (Location header)` });
