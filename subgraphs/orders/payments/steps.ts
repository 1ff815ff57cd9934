import { DBOS } from '@dbos-inc/dbos-sdk';
import { ExponentialBackoff, handleWhen, retry } from 'cockatiel';
import { GraphQLError } from 'graphql';
import type { Logger } from '../../../platform/log';
import { BackendUnavailableError } from '../../kit/errors';
import { RetryAfterBackoff } from '../../kit/resilience';
import { PaymentDeclined, PaymentTemporarilyUnavailable } from '../payment-provider';
import type { PaymentRecords } from './records';

/** How a step ended, as the workflow branches on it (recorded by DBOS, so a recovered workflow takes the same branch). */
export type StepOutcome<T> =
  | { ok: true; value: T }
  | {
      ok: false;
      /** `declined`: the card was refused; `refused`: the input or state was refused; `exhausted`: it stayed unavailable. */
      kind: 'declined' | 'refused' | 'exhausted';
      reason: string;
      /** The client-facing code and argument of a refusal (BAD_USER_INPUT, IDEMPOTENCY_KEY_REUSED…), when it has one. */
      code?: string;
      argumentName?: string;
      declineCode?: string | null;
    };

export interface StepPolicy {
  attempts: number;
  backoffMs: number;
  backoffMaxMs: number;
}

/** Failures worth another attempt: the backend or provider was down, slow, overloaded or lost its answer. */
const isTemporary = (error: unknown) => error instanceof BackendUnavailableError || error instanceof PaymentTemporarilyUnavailable;

/** A failure as a step outcome, with what may be told: never a backend's body or a card's data. */
function failureOf(error: unknown, attempts: number): Extract<StepOutcome<never>, { ok: false }> {
  if (error instanceof PaymentDeclined)
    return { ok: false, kind: 'declined', reason: `card declined (${error.declineCode ?? error.code})`, declineCode: error.declineCode };
  if (isTemporary(error)) return { ok: false, kind: 'exhausted', reason: `${(error as Error).message} after ${attempts} attempts` };
  if (error instanceof GraphQLError) {
    const { code, argumentName } = error.extensions as { code?: string; argumentName?: string };
    return { ok: false, kind: 'refused', reason: error.message, code, argumentName };
  }
  return { ok: false, kind: 'refused', reason: error instanceof Error ? error.message : String(error) };
}

/**
 * Runs a workflow's steps as DBOS steps: each step's outcome is recorded once it is known, so a workflow recovered after
 * a crash skips the steps that finished and runs the interrupted one again (its idempotency key makes that safe).
 * Within a step, temporary failures are retried with exponential backoff and jitter, honouring `Retry-After`; every
 * attempt and the last error are kept in Atrium's step records for agents and operators.
 */
export class StepRunner {
  constructor(
    private readonly records: PaymentRecords,
    private readonly policy: StepPolicy,
    private readonly log: Logger,
    /** `after:<step>`: kill this process right after that step's outcome is recorded (crash tests). */
    private readonly faultPoint?: string,
  ) {}

  /** Runs `work` as step `name` of the workflow recorded as `reference`; `attemptsFactor` lengthens compensations' patience. */
  async run<T>(reference: string, name: string, work: () => Promise<T>, attemptsFactor = 1): Promise<StepOutcome<T>> {
    let ranHere = false;
    const outcome = await DBOS.runStep(
      async (): Promise<StepOutcome<T>> => {
        ranHere = true;
        let attempts = 0;
        const backoff = new RetryAfterBackoff(
          new ExponentialBackoff({ initialDelay: this.policy.backoffMs, maxDelay: this.policy.backoffMaxMs }),
          this.policy.backoffMaxMs,
        );
        const policy = retry(handleWhen(isTemporary), { maxAttempts: this.policy.attempts * attemptsFactor - 1, backoff });
        policy.onFailure(({ reason }) => {
          const message = 'error' in reason ? (reason.error as Error).message : 'failed';
          void this.records.stepFailedAttempt(reference, name, message).catch(() => undefined);
        });
        try {
          const value = await policy.execute(async () => {
            attempts += 1;
            await this.records.stepStarted(reference, name);
            return work();
          });
          await this.records.stepEnded(reference, name, 'DONE');
          return { ok: true, value };
        } catch (error) {
          const failure = failureOf(error, attempts);
          this.log.warn({ workflow: reference, step: name, kind: failure.kind, reason: failure.reason }, 'workflow step failed');
          await this.records.stepEnded(reference, name, 'FAILED', failure.reason);
          return failure;
        }
      },
      { name },
    );
    if (ranHere && this.faultPoint === `after:${name}`) process.kill(process.pid, 'SIGKILL');
    return outcome;
  }
}
