import type { Logger } from 'pino';
import { createLogger } from '../../platform/log';

/** A service's real logger (redaction, request ids) whose JSON lines are kept in memory, for tests that read the logs. */
export function captureLogger(service = 'test'): { log: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const log = createLogger(service, 'debug', { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { log, lines };
}
