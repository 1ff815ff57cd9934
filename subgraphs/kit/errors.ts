import { GraphQLError } from 'graphql';
import type { PublicErrorCode } from '../../platform/errors';

/** The `extensions.code` values Atrium's subgraphs answer with; anything else is masked as INTERNAL_SERVER_ERROR. */
export const ErrorCode = {
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  NOT_FOUND: 'NOT_FOUND',
  FORBIDDEN: 'FORBIDDEN',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  /** The backend could not be reached, timed out, or failed (5xx / SOAP Server fault): worth retrying later. */
  BACKEND_UNAVAILABLE: 'BACKEND_UNAVAILABLE',
  /** The backend answered something Atrium cannot use: a contract mismatch, not worth retrying. */
  BACKEND_ERROR: 'BACKEND_ERROR',
  /** The request's deadline passed: its work was stopped, and no backend was asked anything more for it. */
  DEADLINE_EXCEEDED: 'DEADLINE_EXCEEDED',
} as const satisfies Record<string, PublicErrorCode>;

/** The input names something invalid; `argumentName` points at the offending argument or input field. */
export function badUserInput(message: string, argumentName?: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: ErrorCode.BAD_USER_INPUT, ...(argumentName ? { argumentName } : {}) } });
}

/** A backend is down, slow or failing. The cause stays on the server (logged), never in the response. */
export class BackendUnavailableError extends GraphQLError {
  /**
   * @param reason a short public reason such as "circuit open" or "timed out"
   * @param retryAfterMs how long the backend asked callers to wait (its `Retry-After`)
   */
  constructor(
    backend: string,
    cause?: unknown,
    reason?: string,
    readonly retryAfterMs?: number,
  ) {
    super(`${backend} is unavailable${reason ? ` (${reason})` : ''}; try again later`, {
      extensions: { code: ErrorCode.BACKEND_UNAVAILABLE, backend },
      originalError: cause instanceof Error ? cause : undefined,
    });
  }
}

/** A backend answered outside its contract (unexpected status or shape). */
export class BackendContractError extends GraphQLError {
  constructor(backend: string, detail: string) {
    super(`${backend} sent an answer that could not be used`, {
      extensions: { code: ErrorCode.BACKEND_ERROR, backend },
      originalError: new Error(detail),
    });
  }
}

/**
 * A request's deadline passed (or its caller went away) before its work was done. Not a backend failure: it is never
 * retried, never counts against a circuit and is never answered from last good values.
 */
export class DeadlineExceededError extends GraphQLError {
  /** @param httpStatus set when the whole request is refused (a field's error leaves the rest of the answer at 200) */
  constructor(reason = 'the request deadline passed', httpStatus?: number) {
    super(`Deadline exceeded: ${reason}`, { extensions: { code: ErrorCode.DEADLINE_EXCEEDED, ...(httpStatus ? { http: { status: httpStatus } } : {}) } });
  }
}
