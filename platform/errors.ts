import { randomUUID } from 'node:crypto';
import { unwrapResolverError } from '@apollo/server/errors';
import type { GraphQLFormattedError } from 'graphql';
import type { Logger } from './log';

/**
 * The `extensions.code` values a client may see as they are: the one list, which the README's error table and every
 * code Atrium answers with follow. Every other error is an internal failure and is masked, so stack traces, backend
 * URLs and messages from libraries never leave a service.
 */
export const PUBLIC_ERROR_CODE_LIST = [
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'NOT_FOUND',
  'FORBIDDEN',
  'UNAUTHENTICATED',
  'RATE_LIMITED',
  'COST_LIMIT_EXCEEDED',
  'IDEMPOTENCY_KEY_REUSED',
  'IDEMPOTENCY_KEY_IN_PROGRESS',
  'IDEMPOTENCY_UNAVAILABLE',
  // The payment provider declined the card (subgraphs/orders/payments): nothing was charged.
  'PAYMENT_DECLINED',
  'PAYLOAD_TOO_LARGE',
  'BACKEND_UNAVAILABLE',
  'BACKEND_ERROR',
  'DEADLINE_EXCEEDED',
  'SUBGRAPH_UNAVAILABLE',
  'SUBGRAPH_ERROR',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_IN_LIST',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
  'SUBSCRIPTIONS_NOT_SUPPORTED',
  // Subscriptions (gateway/subscriptions): refused when opened, or ended by the gateway with the reason.
  'TOO_MANY_SUBSCRIPTIONS',
  'NOT_READY',
  'SLOW_CONSUMER',
  'TOKEN_EXPIRED',
  'RESUME_WINDOW_EXCEEDED',
  'SHUTTING_DOWN',
  // Refusals answered before GraphQL is involved (platform/graphql-http.ts, platform/listener-guards.ts).
  'UNSUPPORTED_MEDIA_TYPE',
  'REQUEST_TIMEOUT',
  'REQUEST_HEADER_FIELDS_TOO_LARGE',
  // At the limit of requests in flight (platform/overload.ts): HTTP 503 with Retry-After.
  'OVERLOADED',
] as const;

/** A code a client may see as it is. */
export type PublicErrorCode = (typeof PUBLIC_ERROR_CODE_LIST)[number];

/** What a masked error carries instead of its own code. */
export const INTERNAL_ERROR_CODE = 'INTERNAL_SERVER_ERROR';

/** Every code a client can see. */
export type ErrorCode = PublicErrorCode | typeof INTERNAL_ERROR_CODE;

export const PUBLIC_ERROR_CODES: ReadonlySet<string> = new Set(PUBLIC_ERROR_CODE_LIST);

export const isPublicErrorCode = (code: unknown): code is PublicErrorCode => typeof code === 'string' && PUBLIC_ERROR_CODES.has(code);

/** graphql-js appends its suggestions (" Did you mean "a", "b", or "c"?", "…the enum value "X"?") to a message. */
const SUGGESTION = / Did you mean [^?]*\?/g;

/** A message without graphql-js's suggestions, which would let a client map the schema by guessing. */
export const withoutSuggestions = (message: string): string => message.replace(SUGGESTION, '');

/**
 * An Apollo `formatError` that keeps public errors (minus any stack trace and, with `hideSuggestions`, minus "Did you
 * mean" hints of fields, types, arguments and enum values) and replaces every other one with a generic message and a
 * correlation id; the real error is logged under that id so an operator can find it.
 */
export function errorMasker(log: Logger, options: { hideSuggestions: boolean }): (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError {
  return (formatted, error) => {
    const code = formatted.extensions?.code;
    if (isPublicErrorCode(code)) {
      const { stacktrace: _stacktrace, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, message: options.hideSuggestions ? withoutSuggestions(formatted.message) : formatted.message, extensions };
    }
    // Apollo's own refusals of a malformed request (an unsupported persisted query version, say) carry an HTTP 4xx but no code.
    const status = (unwrapResolverError(error) as { extensions?: { http?: { status?: number } } } | undefined)?.extensions?.http?.status;
    if ((code === undefined || code === INTERNAL_ERROR_CODE) && typeof status === 'number' && status >= 400 && status < 500)
      return { message: formatted.message, extensions: { code: 'BAD_REQUEST' } };
    const correlationId = randomUUID();
    log.error({ correlationId, path: formatted.path, err: unwrapResolverError(error) }, 'internal error masked');
    return {
      message: `Internal server error (correlation id ${correlationId})`,
      path: formatted.path,
      locations: formatted.locations,
      extensions: { code: INTERNAL_ERROR_CODE, correlationId },
    };
  };
}
