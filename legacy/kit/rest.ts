import type { ServerResponse } from 'node:http';
import { sendJson } from '../../platform/http';

/** The JSON error body every REST backend answers with: a machine code and a human message. */
export function sendRestError(res: ServerResponse, status: number, error: string, message: string): void {
  sendJson(res, status, { error, message });
}

/** Splits a comma-separated query parameter into distinct, non-empty values. */
export function listParam(value: string | null): string[] {
  if (!value) return [];
  return [
    ...new Set(
      value
        .split(',')
        .map((v) => v.trim())
        .filter(Boolean),
    ),
  ];
}

/** Largest batch a REST backend accepts in one call. */
export const MAX_BATCH = 100;
