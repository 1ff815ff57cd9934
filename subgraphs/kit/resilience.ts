import {
  BrokenCircuitError,
  BulkheadRejectedError,
  bulkhead,
  CircuitState,
  circuitBreaker,
  ExponentialBackoff,
  handleWhen,
  retry,
  SamplingBreaker,
  TaskCancelledError,
  timeout,
  TimeoutStrategy,
  wrap,
  type IBackoff,
  type IBackoffFactory,
  type IPolicy,
  type IRetryBackoffContext,
} from 'cockatiel';
import { z } from 'zod';
import { intVar, setting, settingDefaults, type SettingsOf } from '../../platform/env';
import type { Readiness } from '../../platform/graphql-http';
import type { Logger } from '../../platform/log';
import { inClientSpan } from '../../platform/tracing';
import { BackendUnavailableError, DeadlineExceededError } from './errors';
import { backendMetrics } from './metrics';

/** A failure ratio strictly between 0 and 1 (cockatiel's SamplingBreaker refuses 0, which would open on any failure, and 1). */
const breakerRatioVar = (defaultValue: number) =>
  z
    .string()
    .regex(/^0\.\d+$/, 'must be a ratio above 0 and below 1, such as 0.5')
    .transform(Number)
    .refine((n) => n > 0 && n < 1, 'must be a ratio above 0 and below 1, such as 0.5')
    .default(defaultValue);

/** How one backend is called: each knob, its variable, bounds and default. */
export const resilienceSettings = {
  /** Per attempt. */
  timeoutMs: setting('BACKEND_TIMEOUT_MS', intVar(5_000, 1, 120_000)),
  /** Extra attempts for calls that are safe to repeat. */
  retries: setting('BACKEND_RETRIES', intVar(3, 0, 10)),
  backoffInitialMs: setting('BACKEND_BACKOFF_MS', intVar(50, 1, 60_000)),
  backoffMaxMs: setting('BACKEND_BACKOFF_MAX_MS', intVar(1_000, 1, 300_000)),
  /** Share of calls (each after its retries) failing over the window that opens the circuit, above 0 and below 1. */
  breakerFailureRatio: setting('BREAKER_FAILURE_RATIO', breakerRatioVar(0.5)),
  /** The sliding window the failure ratio is measured over. */
  breakerWindowMs: setting('BREAKER_WINDOW_MS', intVar(10_000, 1_000, 600_000)),
  /** Calls per second, on average over the window, below which the circuit never opens (too few to judge). */
  breakerMinRps: setting('BREAKER_MIN_RPS', intVar(1, 1, 100_000)),
  /** How long an open circuit fails fast before letting one trial call through. */
  breakerHalfOpenMs: setting('BREAKER_HALF_OPEN_MS', intVar(5_000, 100, 600_000)),
  /** Calls in flight at once, and calls allowed to wait for a slot; beyond both, fail fast. */
  bulkheadLimit: setting('BULKHEAD_LIMIT', intVar(32, 1, 10_000)),
  bulkheadQueue: setting('BULKHEAD_QUEUE', intVar(64, 0, 100_000)),
};

export type ResilienceSettings = SettingsOf<typeof resilienceSettings>;

export const defaultResilience: ResilienceSettings = settingDefaults(resilienceSettings);

/** Whether a call may be repeated: reads, and writes carrying a key the backend deduplicates on. */
export type Repeatable = 'safe-to-retry' | 'never-retry';

/** A backend failure worth retrying and counting against the circuit: down, slow or 5xx, not a refusal of the input. */
const isOutage = (error: unknown) => error instanceof BackendUnavailableError || error instanceof TaskCancelledError;

/** A failure that says when to try again (a backend's or provider's `Retry-After`). */
export interface RetryHint {
  retryAfterMs?: number | null;
}
const retryAfterOf = (error: unknown): number | undefined => {
  const hinted = typeof error === 'object' && error !== null ? (error as RetryHint).retryAfterMs : undefined;
  return typeof hinted === 'number' ? hinted : undefined;
};

/** Honours a failure's `Retry-After` (on 429/503) over the exponential schedule, within the backoff cap. */
export class RetryAfterBackoff implements IBackoffFactory<IRetryBackoffContext<unknown>> {
  constructor(
    private readonly schedule: IBackoffFactory<IRetryBackoffContext<unknown>>,
    private readonly maxMs: number,
  ) {}

  next(context: IRetryBackoffContext<unknown>): IBackoff<IRetryBackoffContext<unknown>> {
    const scheduled = this.schedule.next(context);
    const error = 'error' in context.result ? context.result.error : undefined;
    const hinted = retryAfterOf(error);
    return {
      duration: hinted === undefined ? scheduled.duration : Math.min(hinted, this.maxMs),
      next: (nextContext) => new RetryAfterBackoff(scheduled, this.maxMs).next(nextContext),
    };
  }
}

/** The error a call ends with once its request is gone; the request's own reason when it gave one. */
const abandonment = (signal: AbortSignal) => (signal.reason instanceof DeadlineExceededError ? signal.reason : new DeadlineExceededError());

/**
 * Settles as `work` does, or at once when `signal` aborts: a call whose request is gone ends with DEADLINE_EXCEEDED
 * (never an outage, so the circuit does not count it) and frees its bulkhead slot, even from a retry's backoff.
 */
async function untilAbandoned<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  // The loser of the race settles later, unobserved.
  work.catch(() => undefined);
  let onAbort = () => undefined as void;
  const abandoned = new Promise<never>((_, reject) => {
    onAbort = () => reject(abandonment(signal));
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([work, abandoned]);
  } catch (error) {
    throw signal.aborted ? abandonment(signal) : error;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/**
 * One backend's resilience policy, composed with cockatiel: a bulkhead (bounded concurrency and queue) around a
 * circuit breaker, around retries with exponential backoff and jitter (only for calls that are safe to repeat), around
 * a timeout per attempt. The breaker sees whole calls, not attempts, so retries that rescue a call never open it; it
 * opens when a share of calls over a sliding window fails. Every call follows its request's signal: once the deadline
 * passes or the caller leaves, the call ends, retries stop and no attempt starts. Whatever else fails reaches the
 * caller as BACKEND_UNAVAILABLE naming the backend.
 */
export class BackendPolicy {
  private readonly breaker;
  private readonly limit: IPolicy;
  private readonly safe: IPolicy;
  private readonly once: IPolicy;
  /** When an open circuit lets its next call through as the half-open trial. */
  private trialAt = 0;

  constructor(
    readonly backend: string,
    settings: ResilienceSettings,
    log: Logger,
  ) {
    // An attempt has read its whole answer when it returns: aborting its signal then (cockatiel's default) would only
    // build a DOMException, with its stack, per backend call.
    const perAttempt = timeout(settings.timeoutMs, { strategy: TimeoutStrategy.Aggressive, abortOnReturn: false });
    this.breaker = circuitBreaker(handleWhen(isOutage), {
      halfOpenAfter: settings.breakerHalfOpenMs,
      breaker: new SamplingBreaker({ threshold: settings.breakerFailureRatio, duration: settings.breakerWindowMs, minimumRps: settings.breakerMinRps }),
    });
    backendMetrics.circuitState.set({ backend }, 0);
    this.breaker.onBreak(() => {
      this.trialAt = Date.now() + settings.breakerHalfOpenMs;
    });
    this.breaker.onStateChange((state) => {
      log.warn({ backend, circuit: CircuitState[state] }, `${backend} circuit ${CircuitState[state].toLowerCase()}`);
      backendMetrics.circuitState.set({ backend }, state === CircuitState.Closed ? 0 : state === CircuitState.HalfOpen ? 1 : 2);
    });
    this.limit = bulkhead(settings.bulkheadLimit, settings.bulkheadQueue);
    const backoff = new ExponentialBackoff({ initialDelay: settings.backoffInitialMs, maxDelay: settings.backoffMaxMs });
    const retries = retry(handleWhen(isOutage), { maxAttempts: settings.retries, backoff: new RetryAfterBackoff(backoff, settings.backoffMaxMs) });
    this.safe = wrap(retries, perAttempt);
    this.once = perAttempt;
  }

  /**
   * Runs a backend call under the policy. `call` gets the attempt's signal: cockatiel derives it from `signal` (the
   * request's), so it aborts at the attempt's timeout or when the request ends, whichever comes first. `operation`
   * names the call in metrics (a bounded name such as `GetOrdersByIds` or `GET /customers`, never an id).
   */
  async execute<T>(repeatable: Repeatable, operation: string, call: (signal: AbortSignal) => Promise<T>, signal?: AbortSignal): Promise<T> {
    const request = signal ?? new AbortController().signal;
    const endTimer = backendMetrics.callSeconds.startTimer({ backend: this.backend, operation });
    let outcome = 'ok';
    const attempts = repeatable === 'safe-to-retry' ? this.safe : this.once;
    const attempt = ({ signal: attemptSignal }: { signal: AbortSignal }) => {
      // A retry waking from its backoff after the request ended sends nothing.
      if (request.aborted) throw abandonment(request);
      return call(attemptSignal);
    };
    try {
      // A batch whose request is already gone is never sent, nor queued.
      if (request.aborted) throw abandonment(request);
      return await inClientSpan(`${this.backend} ${operation}`, { 'atrium.backend': this.backend, 'atrium.operation': operation }, () =>
        this.limit.execute(() => this.breaker.execute(() => untilAbandoned(attempts.execute(attempt, request), request), request), request),
      );
    } catch (error) {
      outcome = 'refused';
      if (error instanceof DeadlineExceededError || request.aborted) {
        outcome = 'abandoned';
        throw abandonment(request);
      }
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

  /** Whether calls are refused without being sent: the circuit is open and its trial is not yet due. */
  get refusing(): boolean {
    return this.circuit === 'open' && Date.now() < this.trialAt;
  }
}

/**
 * A subgraph is not ready while its backend's circuit refuses calls: a load balancer should send traffic elsewhere.
 * Once the trial is due it is ready again, so the balancer sends the request that tries the backend: the circuit
 * half-opens only on a call, and a replica left without traffic would stay open, and unready, for good.
 */
export const circuitReadiness = (policy: BackendPolicy) => (): Readiness =>
  policy.refusing ? { ready: false, reason: `${policy.backend} circuit open: the backend is failing` } : { ready: true };
