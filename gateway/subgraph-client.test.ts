import { createServer, type Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { closeServer, listen } from '../platform/http';
import { SubgraphClient, SubgraphTimeoutError } from './subgraph-client';

describe('SubgraphClient', () => {
  let server: Server;
  let url: string;
  let received: Array<{ authorization?: string; body: string }>;
  let delayMs: number;
  const client = new SubgraphClient({ connections: 4 });

  beforeAll(async () => {
    server = createServer(async (req, res) => {
      let body = '';
      for await (const chunk of req) body += chunk;
      received.push({ authorization: req.headers.authorization, body });
      await sleep(delayMs);
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=30, public' }).end(JSON.stringify({ data: { n: received.length } }));
    });
    url = await listen(server, 0, '127.0.0.1');
  });
  beforeEach(() => {
    received = [];
    delayMs = 20;
  });
  afterAll(async () => {
    await client.close();
    await closeServer(server);
  });

  const post = (body: string, authorization = 'Bearer a', dedupe = true, timeoutMs = 2_000) => client.post(url, { authorization }, body, timeoutMs, dedupe);

  it('sends identical queries in flight together once, and each caller gets the answer', async () => {
    const answers = await Promise.all([post('{"query":"{ a }"}'), post('{"query":"{ a }"}'), post('{"query":"{ a }"}')]);
    expect(received).toHaveLength(1);
    expect(answers.map((answer) => answer.text)).toEqual(Array(3).fill('{"data":{"n":1}}'));
    expect(answers[0]).toMatchObject({ status: 200, cacheControl: 'max-age=30, public' });
    // Once answered, the next one goes out again.
    await post('{"query":"{ a }"}');
    expect(received).toHaveLength(2);
  });

  it("never shares one caller's answer with another, nor merges different requests or mutations", async () => {
    await Promise.all([post('{"query":"{ a }"}', 'Bearer a'), post('{"query":"{ a }"}', 'Bearer b'), post('{"query":"{ b }"}', 'Bearer a')]);
    expect(received.map((r) => [r.authorization, r.body]).sort()).toEqual([
      ['Bearer a', '{"query":"{ a }"}'],
      ['Bearer a', '{"query":"{ b }"}'],
      ['Bearer b', '{"query":"{ a }"}'],
    ]);
    received = [];
    await Promise.all([post('{"query":"mutation { m }"}', 'Bearer a', false), post('{"query":"mutation { m }"}', 'Bearer a', false)]);
    expect(received).toHaveLength(2);
  });

  it('gives up at the timeout with a TimeoutError', async () => {
    delayMs = 500;
    const started = Date.now();
    await expect(post('{"query":"{ slow }"}', 'Bearer a', true, 50)).rejects.toBeInstanceOf(SubgraphTimeoutError);
    expect(Date.now() - started).toBeLessThan(400);
  });
});
