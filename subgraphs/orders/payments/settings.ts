import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { z } from 'zod';
import { durationVar, intVar, portVar, setting, urlVar, type SettingsOf } from '../../../platform/env';
import { databaseUrlSetting, EMBEDDED_DATABASE } from '../../../platform/database';
import { executorIdSetting } from '../../../platform/dbos-launch';
import { findStandIn, readSubgraphList } from '../../../schema/registry';

/** A schedule's period must divide a minute or an hour, so a cron expression fires it at even intervals. */
const dividesTheClock = {
  check: (ms: number) => (ms < 60_000 ? 60_000 % ms === 0 : 3_600_000 % ms === 0),
  message: 'must divide a minute or an hour evenly, such as 30s, 1m, 5m or 15m',
};

/** Where `npm start` runs the embedded PostgreSQL, read by the launcher and by the database process alike. */
export const embeddedDatabaseSettings = {
  port: setting('EMBEDDED_DATABASE_PORT', portVar(EMBEDDED_DATABASE.port)),
  /** Where the launcher asks whether the database is up (PostgreSQL itself speaks no HTTP). */
  healthPort: setting('EMBEDDED_DATABASE_HEALTH_PORT', portVar(EMBEDDED_DATABASE.port + 1)),
};

/**
 * Where the embedded cluster keeps its data: `<ATRIUM_DATA_DIR>/postgres`. PostgreSQL refuses to run as root, so as
 * root (a container) it runs as the `postgres` user, who may not reach a private checkout: its data then goes under
 * /var/tmp, one folder per data folder.
 */
export function embeddedClusterDir(dataDir: string, runningAsRoot = process.getuid?.() === 0): string {
  if (!runningAsRoot) return join(dataDir, 'postgres');
  return join('/var/tmp', `atrium-postgres-${createHash('sha256').update(dataDir).digest('hex').slice(0, 12)}`);
}

/** What the orders subgraph's payment workflows read, once, at start-up. */
export const paymentSettings = {
  /** The workflows' state (DBOS Transact's system database and Atrium's payment records). */
  databaseUrl: databaseUrlSetting,
  executorId: executorIdSetting,
  /** The payment provider's API: Stripe's, or the embedded stand-in's (by default where the registry puts it). */
  providerUrl: setting('PAYMENTS_URL', urlVar(findStandIn(readSubgraphList(), 'payments').url)),
  apiKey: setting(
    'PAYMENTS_API_KEY',
    z
      .string()
      .regex(/^(sk|rk)_(test|live)_[A-Za-z0-9_]+$/, 'must be a secret or restricted key (sk_test_…, sk_live_…, rk_…)')
      .default('sk_test_atrium'),
  ),
  webhookSecret: setting(
    'PAYMENTS_WEBHOOK_SECRET',
    z
      .string()
      .regex(/^whsec_\w+$/, 'must be a webhook signing secret (whsec_…)')
      .default('whsec_atrium_development'),
  ),
  /** Per call to the provider. */
  providerTimeoutMs: setting('PAYMENTS_TIMEOUT_MS', intVar(10_000, 100, 120_000)),
  /** How long `placeOrder` waits for the workflow's outcome before it answers the order as it stands (PENDING_PAYMENT). */
  placeOrderWaitMs: setting('PLACE_ORDER_WAIT_MS', intVar(5_000, 0, 30_000)),
  /** Attempts of a step whose failures are temporary, before the step fails for good. */
  stepAttempts: setting('WORKFLOW_STEP_ATTEMPTS', intVar(8, 1, 100)),
  stepBackoffMs: setting('WORKFLOW_BACKOFF_MS', intVar(200, 1, 60_000)),
  stepBackoffMaxMs: setting('WORKFLOW_BACKOFF_MAX_MS', intVar(10_000, 1, 600_000)),
  /** How often the reconciliation job runs (every replica schedules it; each period runs once). */
  reconcileEveryMs: setting('RECONCILE_EVERY', durationVar('1m', 1_000, 60 * 60_000, dividesTheClock)),
  /** An order still waiting for its payment this long after it was placed, with no workflow at work on it, is compensated. */
  pendingDeadlineMs: setting('PAYMENT_PENDING_DEADLINE', durationVar('15m', 1_000, 24 * 60 * 60_000)),
  /** For crash tests only: `after:<step>` kills the process (SIGKILL) right after that step's outcome is recorded. */
  faultPoint: setting(
    'WORKFLOW_FAULT_POINT',
    z
      .string()
      .regex(/^after:[a-zA-Z]+$/, 'must be after:<step>, such as after:authorize')
      .optional(),
  ),
};

export type PaymentSettings = SettingsOf<typeof paymentSettings>;
