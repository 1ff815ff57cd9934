import { request } from 'node:http';
import { connect } from 'node:net';
import type { HostileRequest } from './hostile-requests';

/** What came back for one case: an HTTP answer, or none (the client closed first, or the connection was cut). */
export type HostileAnswer = { status: number; body: string } | { status: 'none'; reason: string };

const ANSWER_TIMEOUT_MS = 15_000;

/** Splits a raw HTTP/1.1 answer (the service's own refusals of malformed HTTP always carry a Content-Length). */
function parseRawAnswer(bytes: Buffer): HostileAnswer {
  const text = bytes.toString('latin1');
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1];
  if (!status) return { status: 'none', reason: text === '' ? 'closed without an answer' : `not HTTP: ${JSON.stringify(text.slice(0, 80))}` };
  const headEnd = text.indexOf('\r\n\r\n');
  return { status: Number(status), body: headEnd < 0 ? '' : bytes.subarray(headEnd + 4).toString('utf8') };
}

function sendRaw(base: URL, bytes: Buffer): Promise<HostileAnswer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = connect(Number(base.port), base.hostname, () => socket.end(bytes));
    socket.setTimeout(ANSWER_TIMEOUT_MS, () => socket.destroy(new Error('timed out')));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(parseRawAnswer(Buffer.concat(chunks))));
  });
}

/**
 * Sends one case to the service at `base` (`http://host:port`), with `credentials` as extra headers unless the case is
 * anonymous, over a fresh connection.
 */
export function sendHostile(base: string, hostile: HostileRequest, credentials: Record<string, string>): Promise<HostileAnswer> {
  const url = new URL(base);
  if (hostile.raw) return sendRaw(url, hostile.raw);
  return new Promise((resolve) => {
    const body = hostile.body === undefined ? undefined : Buffer.from(hostile.body);
    const headers: Record<string, string> = { ...(hostile.anonymous ? {} : credentials), ...hostile.headers };
    if (body && !('content-length' in headers)) headers['content-length'] = String(body.length);
    const req = request({ host: url.hostname, port: url.port, method: hostile.method, path: hostile.path, headers, agent: false, timeout: ANSWER_TIMEOUT_MS });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', (error) => resolve({ status: 'none', reason: error.message }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (error) => resolve({ status: 'none', reason: error.message }));
    if (!body) return void req.end();
    if (!hostile.partial) return void req.end(body);
    req.write(body.subarray(0, hostile.partial.bytes));
    req.flushHeaders();
    if (hostile.partial.then === 'close') setTimeout(() => req.destroy(), 100);
  });
}

/** Why an answer misses the case's expectation, or undefined when it meets it. */
export function missedExpectation(hostile: HostileRequest, answer: HostileAnswer): string | undefined {
  if (hostile.expect === 'no-answer') return undefined;
  if (answer.status === 'none') return `no answer (${answer.reason})`;
  let parsed: { errors?: Array<{ extensions?: { code?: unknown } }>; data?: unknown };
  try {
    parsed = JSON.parse(answer.body) as typeof parsed;
  } catch {
    return `HTTP ${answer.status} with a body that is not JSON: ${JSON.stringify(answer.body.slice(0, 120))}`;
  }
  const codes = (parsed.errors ?? []).map((error) => error.extensions?.code);
  const hasData = parsed.data !== undefined && parsed.data !== null;
  const coded = codes.length > 0 && codes.every((code) => typeof code === 'string');
  const seen = `HTTP ${answer.status} ${JSON.stringify(answer.body.slice(0, 200))}`;
  if (answer.status >= 500) return seen;
  const refusedWithCode = answer.status >= 400 && coded;
  switch (hostile.expect) {
    case 'served':
      return answer.status === 200 && hasData && codes.length === 0 ? undefined : seen;
    case 'errors':
      return answer.status === 200 && coded ? undefined : seen;
    case 'refused':
      return refusedWithCode ? undefined : seen;
    case 'answered':
      return (answer.status === 200 && (codes.length === 0 || coded)) || refusedWithCode ? undefined : seen;
    default:
      return answer.status === hostile.expect && coded ? undefined : seen;
  }
}
