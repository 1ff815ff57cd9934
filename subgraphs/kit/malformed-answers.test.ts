import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { z } from 'zod';
import { closeServer, listen } from '../../platform/http';
import { silentLogger } from '../../platform/log';
import { repoRoot } from '../../platform/paths';
import { defaultResilience } from './resilience';
import { RestClient } from './rest-client';
import { xsdInt } from './soap-answer';
import { asList, SoapClient, SoapClientFault } from './soap-client';

/** A backend that answers every business call with whatever the test sets, and serves the ERP's WSDL. */
async function startLiar(): Promise<{ url: string; answer(status: number, body: string | Buffer, type?: string): void; stop(): Promise<void> }> {
  let next = { status: 200, body: '' as string | Buffer, type: 'application/json' };
  let base = '';
  const server: Server = createServer((req, res) => {
    if (req.url?.endsWith('?wsdl')) {
      res.writeHead(200, { 'content-type': 'text/xml' });
      res.end(readFileSync(join(repoRoot, 'legacy', 'erp', 'erp.wsdl'), 'utf8').replace('{{SOAP_ADDRESS}}', `${base}/erp`));
      return;
    }
    req.resume();
    res.writeHead(next.status, { 'content-type': next.type });
    res.end(next.body);
  });
  base = await listen(server, 0, '127.0.0.1');
  return { url: base, answer: (status, body, type = 'application/json') => (next = { status, body, type }), stop: () => closeServer(server) };
}

const SOAP_11 = 'http://schemas.xmlsoap.org/soap/envelope/';
const resilience = { ...defaultResilience, timeoutMs: 2_000, retries: 0 };
const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 'resolved',
    (error: { extensions?: { code?: string }; message?: string }) => error.extensions?.code ?? `unexpected: ${error.message}`,
  );

describe('malformed backend answers', () => {
  let liar: Awaited<ReturnType<typeof startLiar>>;
  let rest: RestClient;
  let soap: SoapClient;
  beforeAll(async () => {
    liar = await startLiar();
    rest = new RestClient({ backend: 'CRM', baseUrl: liar.url, connections: 2, resilience, log: silentLogger });
    soap = new SoapClient({ backend: 'ERP', endpoint: `${liar.url}/erp`, connections: 2, resilience, log: silentLogger });
  });
  afterAll(async () => {
    await rest.close();
    await soap.close();
    await liar.stop();
  });

  const getOrders = () => soap.call('GetOrdersByIds', { OrderId: ['ord-1'] }, z.object({}).passthrough(), 'safe-to-retry');

  it('turns invalid JSON into BACKEND_ERROR', async () => {
    liar.answer(200, '{"customers": [');
    expect(await codeOf(rest.send('GET', '/customers'))).toBe('BACKEND_ERROR');
  });

  it('refuses an answer too large to hold, without reading it all', async () => {
    liar.answer(200, Buffer.alloc(12 * 1024 * 1024, 'a'));
    expect(await codeOf(rest.send('GET', '/customers'))).toBe('BACKEND_UNAVAILABLE');
  });

  it('turns XML that does not parse into BACKEND_ERROR, not a crash', async () => {
    liar.answer(200, '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><Unclosed>', 'text/xml');
    expect(await codeOf(getOrders())).toBe('BACKEND_ERROR');
  });

  it('turns an envelope without the operation’s response element into BACKEND_ERROR', async () => {
    liar.answer(200, `<soap:Envelope xmlns:soap="${SOAP_11}"><soap:Body><Other xmlns="urn:atrium:legacy:erp"/></soap:Body></soap:Envelope>`, 'text/xml');
    expect(await codeOf(getOrders())).toBe('BACKEND_ERROR');
  });

  it('turns a 5xx without a fault into BACKEND_UNAVAILABLE and any other unexpected status into BACKEND_ERROR', async () => {
    liar.answer(502, '<html><body>Bad Gateway</body></html>', 'text/html');
    expect(await codeOf(getOrders())).toBe('BACKEND_UNAVAILABLE');
    liar.answer(404, 'not here', 'text/plain');
    expect(await codeOf(getOrders())).toBe('BACKEND_ERROR');
  });

  it('reads an answer with its own prefixes, entities and a single-element list', async () => {
    liar.answer(
      200,
      `<?xml version="1.0"?><SOAP-ENV:Envelope xmlns:SOAP-ENV="${SOAP_11}"><SOAP-ENV:Body><e:GetOrdersByIdsResponse xmlns:e="urn:atrium:legacy:erp">` +
        '<e:Order><e:OrderId>ord-1</e:OrderId><e:Lines><e:Line><e:Quantity>3</e:Quantity><e:Description>Pens &amp; pencils &#x2014; blue</e:Description></e:Line></e:Lines></e:Order>' +
        '</e:GetOrdersByIdsResponse></SOAP-ENV:Body></SOAP-ENV:Envelope>',
      'text/xml',
    );
    const line = z.object({ Quantity: xsdInt, Description: z.string() });
    const answer = z.object({ Order: z.object({ OrderId: z.string(), Lines: z.object({ Line: z.union([line, z.array(line)]) }) }) });
    const { Order } = await soap.call('GetOrdersByIds', { OrderId: ['ord-1'] }, answer, 'safe-to-retry');
    expect(asList(Order.Lines.Line)).toEqual([{ Quantity: 3, Description: 'Pens & pencils \u2014 blue' }]);
  });

  it('turns a Client fault, under any prefix, into a SoapClientFault with the detail code', async () => {
    liar.answer(
      500,
      `<s:Envelope xmlns:s="${SOAP_11}"><s:Body><s:Fault><faultcode>s:Client</faultcode><faultstring>no</faultstring>` +
        '<detail><code>UNKNOWN_SKU</code></detail></s:Fault></s:Body></s:Envelope>',
      'text/xml',
    );
    const error = await getOrders().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SoapClientFault);
    expect(error).toMatchObject({ faultCode: 'UNKNOWN_SKU', extensions: { code: 'BACKEND_ERROR' } });
  });

  it('turns a SOAP Fault with odd detail into BACKEND_UNAVAILABLE', async () => {
    liar.answer(
      500,
      '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><soap:Fault><faultcode>soap:Server</faultcode>' +
        '<faultstring><![CDATA[<b>boom</b>]]></faultstring><detail><code><nested>1</nested></code><stack>at Foo (/srv/erp.js:1)</stack></detail>' +
        '</soap:Fault></soap:Body></soap:Envelope>',
      'text/xml',
    );
    const error = await getOrders().catch((e: Error) => e);
    expect((error as { extensions: { code: string } }).extensions.code).toBe('BACKEND_UNAVAILABLE');
    expect(error.message).not.toMatch(/boom|srv|stack/);
  });

  it('does not expand XML entities (no billion laughs)', async () => {
    const entities = ['<!ENTITY lol "lol">', ...Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i || ''};`.repeat(10)}">`)].join('');
    liar.answer(
      200,
      `<?xml version="1.0"?><!DOCTYPE lolz [${entities}]><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>` +
        '<GetOrdersByIdsResponse xmlns="urn:atrium:legacy:erp"><Order><OrderId>&lol9;</OrderId></Order></GetOrdersByIdsResponse></soap:Body></soap:Envelope>',
      'text/xml',
    );
    const heapBefore = process.memoryUsage().heapUsed;
    const outcome = await getOrders().then(
      (value) => JSON.stringify(value),
      (error: Error) => error.message,
    );
    // Expanded, &lol9; would be 10^9 characters; whatever the client made of it stays small.
    expect(outcome.length).toBeLessThan(10_000);
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(100 * 1024 * 1024);
  });
});
