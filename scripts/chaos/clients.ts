import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../platform/paths';
import type { ProcessStack } from '../process-stack';

/** The canonical Profile query (also the explorer's default document). */
export const PROFILE_QUERY = readFileSync(join(repoRoot, 'examples', 'operations', 'profile.graphql'), 'utf8');

/** One GraphQL error as a client sees it. */
export interface ClientError {
  message: string;
  path?: Array<string | number>;
  extensions?: { code?: string; [key: string]: unknown };
}

/** What one client request got back; `status` 0 means no answer at all (connection reset, nothing sent back). */
export interface ClientAnswer {
  status: number;
  data?: Record<string, unknown> | null;
  errors?: ClientError[];
  extensions?: Record<string, unknown>;
  ms: number;
}

/** A caller with its own access token (and so its own rate limit and identity). */
export interface Client {
  ask(query: string, variables?: Record<string, unknown>): Promise<ClientAnswer>;
}

/** The scopes a service needs to read a whole Profile. */
const READ_SCOPES = 'customers:read pii:read orders:read preferences:read tickets:read';

/** POSTs a GraphQL request; never throws (a dropped connection, or no answer within `timeoutMs`, is status 0). */
export async function postGraphQL(
  url: string,
  headers: Record<string, string>,
  query: string,
  variables?: Record<string, unknown>,
  timeoutMs = 30_000,
): Promise<ClientAnswer> {
  const started = performance.now();
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = (await response.json().catch(() => ({}))) as Omit<ClientAnswer, 'status' | 'ms'>;
    return { status: response.status, ...body, ms: performance.now() - started };
  } catch {
    return { status: 0, ms: performance.now() - started };
  }
}

/** A service client of the stack's gateway, reading with `sub` as its identity. */
export async function serviceClient(stack: ProcessStack, sub: string): Promise<Client> {
  const token = await stack.token({ sub, role: 'service', scopes: READ_SCOPES });
  return { ask: (query, variables) => postGraphQL(stack.gatewayUrl, { authorization: `Bearer ${token}` }, query, variables) };
}

/** 5xx answers and dropped requests among `answers`, as a ScenarioResult counts them. */
export function failuresOf(answers: ClientAnswer[]): { requests: number; serverErrors: number; dropped: number } {
  return {
    requests: answers.length,
    serverErrors: answers.filter((answer) => answer.status >= 500).length,
    dropped: answers.filter((answer) => answer.status === 0).length,
  };
}

/** Waits `ms` milliseconds. */
export const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
