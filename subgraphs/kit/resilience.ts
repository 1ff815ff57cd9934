import {
  BrokenCircuitError,
  BulkheadRejectedError,
  bulkhead,
  CircuitState,
  circuitBreaker,
  ConsecutiveBreaker,
  ExponentialBackoff,
  handleWhen,
  retry,
  TaskCancelledError,
  timeout,
  TimeoutStrategy,
  wrap,
  type IBackoff,
  type IBackoffFactory,
  type IPolicy,
  type IRetryBackoffContext,
} from 'cockatiel';
import type { Readiness } from '../../platform/graphql-http';
import type { Logger } from '../../platform/log';
import { inClientSpan } from '../../platform/tracing';
import { BackendUnavailableError } from './errors';
import { backendMetrics } from './metrics';

/** How one backend is called: every knob has an environment variable (see run-subgraph.ts) and a default. */
export interface ResilienceSettings {
  /** Per attempt. */
  timeoutMs: number;
  /** Extra attempts for calls that are safe to repeat. */
  retries: number;
  backoffInitialMs: number;
  backoffMaxMs: number;
  /** Consecutive failures that open the circuit. */
  breakerThreshold: number;
  /** How long an open circuit fails fast before letting one trial call through. */
  breakerHalfOpenMs: number;
  /** Calls in flight at once, and calls allowed to wait for a slot; beyond both, fail fast. */
  bulkheadLimit: number;
  bulkheadQueue: number;
}

export const defaultResilience: ResilienceSettings = {
  timeoutMs: 5_000,
  retries: 2,
  backoffInitialMs: 50,
  backoffMaxMs: 1_000,
  breakerThreshold: 5,
  breakerHalfOpenMs: 5_000,
  bulkheadLimit: 32,
  bulkheadQueue: 64,
};

/** Whether a call may be repeated: reads, and writes carrying a key the backend deduplicates on. */
export type Repeatable = 'safe-to-retry' | 'never-retry';

/** A backend failure worth retrying and counting against the circuit: down, slow or 5xx, not a refusal of the input. */
const isOutage = (error: unknown) => error instanceof BackendUnavailableError || error instanceof TaskCancelledError;

/** Honours a backend's `Retry-After` (on 429/503) over the exponential schedule, within the backoff cap. */
class RetryAfterBackoff implements IBackoffFactory<IRetryBackoffContext<unknown>> {
  constructor(
    private readonly schedule: IBackoffFactory<IRetryBackoffContext<unknown>>,
    private readonly maxMs: number,
  ) {}

  next(context: IRetryBackoffContext<unknown>): IBackoff<IRetryBackoffContext<unknown>> {
    const scheduled = this.schedule.next(context);
    const error = 'error' in context.result ? context.result.error : undefined;
    const hinted = error instanceof BackendUnavailableError ? error.retryAfterMs : undefined;
    return {
      duration: hinted === undefined ? scheduled.duration : Math.min(hinted, this.maxMs),
      next: (nextContext) => new RetryAfterBackoff(scheduled, this.maxMs).next(nextContext),
    };
  }
}

/**
 * One backend's resilience policy, composed with cockatiel: a bulkhead (bounded concurrency and queue) around retries
 * with exponential backoff and jitter (only for calls that are safe to repeat), around a circuit breaker, around a
 * timeout per attempt. Whatever fails reaches the caller as BACKEND_UNAVAILABLE naming the backend.
 */
export class BackendPolicy {
  private readonly breaker;
  private readonly safe: IPolicy;
  private readonly once: IPolicy;

  constructor(
    readonly backend: string,
    settings: ResilienceSettings,
    log: Logger,
  ) {
    const perAttempt = timeout(settings.timeoutMs, TimeoutStrategy.Aggressive);
    this.breaker = circuitBreaker(handleWhen(isOutage), {
      halfOpenAfter: settings.breakerHalfOpenMs,
      breaker: new ConsecutiveBreaker(settings.breakerThreshold),
    });
    backendMetrics.circuitState.set({ backend }, 0);
    this.breaker.onStateChange((state) => {
      log.warn({ backend, circuit: CircuitState[state] }, `${backend} circuit ${CircuitState[state].toLowerCase()}`);
      backendMetrics.circuitState.set({ backend }, state === CircuitState.Closed ? 0 : state === CircuitState.HalfOpen ? 1 : 2);
    });
    const limit = bulkhead(settings.bulkheadLimit, settings.bulkheadQueue);
    const backoff = new ExponentialBackoff({ initialDelay: settings.backoffInitialMs, maxDelay: settings.backoffMaxMs });
    const retries = retry(handleWhen(isOutage), { maxAttempts: settings.retries, backoff: new RetryAfterBackoff(backoff, settings.backoffMaxMs) });
    this.safe = wrap(limit, retries, this.breaker, perAttempt);
    this.once = wrap(limit, this.breaker, perAttempt);
  }

  /**
   * Runs a backend call under the policy; `signal` aborts it when its attempt times out. `operation` names the call in
   * metrics (a bounded name such as `GetOrdersByIds` or `GET /customers`, never an id).
   */
  async execute<T>(repeatable: Repeatable, operation: string, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const endTimer = backendMetrics.callSeconds.startTimer({ backend: this.backend, operation });
    let outcome = 'ok';
    try {
      const policy = repeatable === 'safe-to-retry' ? this.safe : this.once;
      return await inClientSpan(`${this.backend} ${operation}`, { 'atrium.backend': this.backend, 'atrium.operation': operation }, () =>
        policy.execute(({ signal }) => call(signal)),
      );
    } catch (error) {
      outcome = 'refused';
      if (error instanceof BrokenCircuitError) {
        outcome = 'circuit_open';
        throw new BackendUnavailableError(this.backend, error, 'circuit open');
      }
      if (error instanceof BulkheadRejectedError) {
        outcome = 'rejected';
        throw new BackendUnavailableError(this.backend, error, 'too many calls waiting');
      }
      if (error instanceof TaskCancelledError) {
        outcome = 'timeout';
        throw new BackendUnavailableError(this.backend, error, 'timed out');
      }
      if (error instanceof BackendUnavailableError) outcome = 'unavailable';
      throw error;
    } finally {
      endTimer();
      backendMetrics.calls.inc({ backend: this.backend, operation, outcome });
    }
  }

  /** Whether the backend is usable now; an open circuit means not, until its half-open trial succeeds. */
  get circuit(): 'closed' | 'open' | 'half-open' {
    const state = this.breaker.state;
    return state === CircuitState.Closed ? 'closed' : state === CircuitState.HalfOpen ? 'half-open' : 'open';
  }
}

/** A subgraph is not ready while its backend's circuit is open: a load balancer should send traffic elsewhere. */
export const circuitReadiness = (policy: BackendPolicy) => (): Readiness =>
  policy.circuit === 'open' ? { ready: false, reason: `${policy.backend} circuit open: the backend is failing` } : { ready: true };
