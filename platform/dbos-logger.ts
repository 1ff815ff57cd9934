import type { DLogger } from '@dbos-inc/dbos-sdk';
import type { Logger } from './log';

/** DBOS Transact's own log lines, through the service's logger (JSON, same redaction). */
export const dbosLogger = (log: Logger): DLogger => ({
  info: (entry) => log.info({ dbos: true }, String(entry)),
  debug: (entry) => log.debug({ dbos: true }, String(entry)),
  warn: (entry) => log.warn({ dbos: true }, String(entry)),
  error: (entry) => log.error({ dbos: true, err: entry instanceof Error ? entry : undefined }, entry instanceof Error ? entry.message : String(entry)),
});
