import pino, { type DestinationStream, type Level, type LevelWithSilent, type Logger } from 'pino';
import { z } from 'zod';
import { currentCorrelation } from './request-context';

export type { Logger };

/**
 * Never logged, wherever they appear: credentials, and the personal data a customer record or a request may carry.
 * Variables' values are dropped whole, since they may hold any of these.
 */
export const REDACTED_PATHS = [
  'authorization',
  '*.authorization',
  '*.*.authorization',
  'x-api-key',
  '*["x-api-key"]',
  '*.*["x-api-key"]',
  'token',
  '*.token',
  'variables',
  '*.variables',
  'email',
  '*.email',
  'phone',
  '*.phone',
  'address',
  '*.address',
  'cardNumber',
  '*.cardNumber',
];

/** pino's levels, from its own table, and `silent`. */
const LEVELS: LevelWithSilent[] = [...(Object.keys(pino.levels.values) as Level[]), 'silent'];

/** `LOG_LEVEL`: one of pino's levels. */
export const logLevelVar = () => z.enum(LEVELS as [LevelWithSilent, ...LevelWithSilent[]], { message: `must be one of ${LEVELS.join(', ')}` }).default('info');

/**
 * One JSON logger per process, tagged with the service name. Every line written while serving a request carries
 * that request's id (and trace context), so one request can be followed through every service.
 */
export function createLogger(service: string, level: LevelWithSilent, destination?: DestinationStream): Logger {
  const options = {
    name: service,
    level,
    base: { service },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    mixin: () => {
      const correlation = currentCorrelation();
      return correlation ? { requestId: correlation.requestId, ...(correlation.traceparent ? { traceparent: correlation.traceparent } : {}) } : {};
    },
  };
  return destination ? pino(options, destination) : pino(options);
}

/** A logger that writes nothing, for tests and embedded use. */
export const silentLogger: Logger = pino({ level: 'silent' });
