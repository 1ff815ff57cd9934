import { createServer } from 'node:http';
import { closeServer, listen } from '../platform/http';
import { driveHttp } from './load';

describe('driveHttp', () => {
  it('tells answers apart by status, with how many of each carried Retry-After', async () => {
    let n = 0;
    // Every other request refused as an overloaded gateway refuses it.
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        if (n++ % 2 === 1) return res.writeHead(503, { 'Retry-After': '1' }).end();
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"data":{}}');
      });
    });
    const url = await listen(server, 0, '127.0.0.1');
    try {
      const result = await driveHttp(`${url}/graphql`, {}, () => '{"query":"{ __typename }"}', { connections: 2, durationSeconds: 1 });
      const admitted = result.byStatus.get(200);
      const refused = result.byStatus.get(503);
      expect(admitted?.count).toBeGreaterThan(0);
      expect(admitted?.withRetryAfter).toBe(0);
      expect(refused?.count).toBeGreaterThan(0);
      expect(refused?.withRetryAfter).toBe(refused?.count);
      expect((admitted?.count ?? 0) + (refused?.count ?? 0)).toBe(result.requests);
      expect(result.errors).toBe(refused?.count);
    } finally {
      await closeServer(server);
    }
  });
});
