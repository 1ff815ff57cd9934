import { readSoapBody, xsdBoolean, xsdCount, xsdInt } from './soap-answer';

const SOAP_11 = 'http://schemas.xmlsoap.org/soap/envelope/';
const envelope = (body: string, prefix = 'soap') =>
  `<?xml version="1.0" encoding="utf-8"?><${prefix}:Envelope xmlns:${prefix}="${SOAP_11}"><${prefix}:Body>${body}</${prefix}:Body></${prefix}:Envelope>`;
const failure = (xml: string) => {
  try {
    readSoapBody(xml, SOAP_11);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected the answer to be refused');
};

describe('readSoapBody', () => {
  it('reads the Body whatever the prefixes, keyed by local names', () => {
    const answer =
      `<env:Envelope xmlns:env="${SOAP_11}"><env:Header><x:Trace xmlns:x="urn:x">1</x:Trace></env:Header><env:Body>` +
      '<e:R xmlns:e="urn:atrium:legacy:erp"><e:Order><e:OrderId>ord-1</e:OrderId></e:Order></e:R></env:Body></env:Envelope>';
    expect(readSoapBody(answer, SOAP_11)).toEqual({ R: { Order: { OrderId: 'ord-1' } } });
    expect(readSoapBody(envelope('<R xmlns="urn:a"><Id>1</Id></R>', 'SOAP-ENV'), SOAP_11)).toEqual({ R: { Id: '1' } });
  });

  it('decodes entities, character references and CDATA, and keeps every value text', () => {
    const body = readSoapBody(
      envelope('<R><Name>Pens &amp; pencils &lt;&#38;&#x41;&gt;</Name><Note><![CDATA[<b>&amp;</b>]]></Note><Total>10.50</Total></R>'),
      SOAP_11,
    );
    expect(body).toEqual({ R: { Name: 'Pens & pencils <&A>', Note: '<b>&amp;</b>', Total: '10.50' } });
  });

  it('gives a repeated element as an array and a single one as a scalar, in document order', () => {
    expect(readSoapBody(envelope('<R><Line><N>1</N></Line><Line><N>2</N></Line><Line><N>3</N></Line></R>'), SOAP_11)).toEqual({
      R: { Line: [{ N: '1' }, { N: '2' }, { N: '3' }] },
    });
    expect(readSoapBody(envelope('<R><Line><N>1</N></Line></R>'), SOAP_11)).toEqual({ R: { Line: { N: '1' } } });
  });

  it('reads an empty element as empty text, xsi:nil as null, a leaf’s whitespace as sent, and ignores layout whitespace', () => {
    const answer = envelope(`<R xmlns:i="http://www.w3.org/2001/XMLSchema-instance">\n  <Empty/>\n  <Nil i:nil="true"/>\n  <Text>  padded  </Text>\n</R>`);
    expect(readSoapBody(answer, SOAP_11)).toEqual({ R: { Empty: '', Nil: null, Text: '  padded  ' } });
  });

  it('keeps element names such as __proto__ as data', () => {
    const body = readSoapBody(envelope('<R><__proto__><polluted>yes</polluted></__proto__><constructor>1</constructor></R>'), SOAP_11);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(JSON.parse(JSON.stringify(body))).toEqual({ R: { ['__proto__']: { polluted: 'yes' }, constructor: '1' } });
  });

  it('refuses what is not a well-formed SOAP envelope', () => {
    expect(failure(envelope('<R><Unclosed></R>'))).toMatch(/close tag/);
    expect(failure(`<soap:Envelope xmlns:soap="${SOAP_11}"><soap:Body><R>`)).toMatch(/unclosed/);
    expect(failure('')).toMatch(/root/);
    expect(failure('<html><body>502 Bad Gateway</body></html>')).toMatch(/not a SOAP Envelope/);
    expect(failure(envelope('<R/>').replace(SOAP_11, 'http://www.w3.org/2003/05/soap-envelope'))).toMatch(/not a SOAP Envelope/);
    expect(failure(`<soap:Envelope xmlns:soap="${SOAP_11}"><soap:Header/></soap:Envelope>`)).toMatch(/no Body/);
    expect(failure(envelope('<p:R/>'))).toMatch(/unbound namespace prefix/);
  });

  it('refuses a DTD, so no entity is ever declared or expanded', () => {
    const withEntity = `<?xml version="1.0"?><!DOCTYPE soap:Envelope [<!ENTITY x SYSTEM "file:///etc/passwd">]>${envelope('<R>&x;</R>')}`;
    expect(failure(withEntity)).toMatch(/DTD/);
    expect(failure(envelope('<R>&nbsp;</R>'))).toMatch(/undefined entity/);
  });
});

describe('xsdInt', () => {
  it('reads whole numbers and refuses anything else', () => {
    expect(xsdInt.parse('42')).toBe(42);
    expect(xsdInt.parse(' -7\n')).toBe(-7);
    for (const text of ['', '1.5', '1e3', 'ten', '99999999999']) expect(xsdInt.safeParse(text).success).toBe(false);
  });
});

describe('xsdCount and xsdBoolean', () => {
  it('reads a non-negative whole number up to the safe integers, and nothing else', () => {
    expect(xsdCount.parse(' 9007199254740991 ')).toBe(Number.MAX_SAFE_INTEGER);
    expect(xsdCount.parse('0')).toBe(0);
    for (const text of ['-1', '1.5', '', '9007199254740992', '1e3']) expect(xsdCount.safeParse(text).success).toBe(false);
  });

  it('reads true, false, 1 and 0, and nothing else', () => {
    expect(['true', 'false', '1', '0'].map((text) => xsdBoolean.parse(text))).toEqual([true, false, true, false]);
    for (const text of ['yes', 'TRUE', '']) expect(xsdBoolean.safeParse(text).success).toBe(false);
  });
});
