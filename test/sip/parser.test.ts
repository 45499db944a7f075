import { describe, expect, it } from 'vitest';
import { grammar, parseMessage, type SipRequest, StreamFramer, type ParseOutcome, type SipMessage } from '../../sip/index.ts';

function expectMessage(o: ParseOutcome): SipMessage {
  if (o.kind !== 'message') throw new Error(`expected message, got ${o.kind}: ${o.error.message}`);
  return o.message;
}

const INVITE = [
  'INVITE sip:room@192.0.2.1:5060 SIP/2.0',
  'Via: SIP/2.0/UDP 10.0.0.1:5062;branch=z9hG4bK776asdhds;rport',
  'v: SIP/2.0/TCP proxy.example.com;branch=z9hG4bKpx, SIP/2.0/UDP [2001:db8::1]:5070;branch=z9hG4bKv6',
  'Max-Forwards: 70',
  'To: "Room, A" <sip:room@192.0.2.1>',
  'f: Alice <sip:alice@example.com>;tag=1928301774',
  'i: a84b4c76e66710@pc33.example.com',
  'CSeq: 314159 INVITE',
  'm: <sip:alice@10.0.0.1:5062;transport=udp>;expires=60',
  'X-Custom: first',
  'Subject: folded',
  '  subject line',
  'X-Custom: second',
  'c: application/sdp',
  'l: 4',
  '',
  'v=0\r\nEXTRA',
].join('\r\n');

describe('SIP parser', () => {
  it('parses a request with compact forms, folding, lists and unknown headers in order', () => {
    const msg = expectMessage(parseMessage(Buffer.from(INVITE)));
    expect(msg.isRequest).toBe(true);
    const req = msg as SipRequest;
    expect(req.method).toBe('INVITE');
    expect(req.uri).toBe('sip:room@192.0.2.1:5060');
    expect(req.callId).toBe('a84b4c76e66710@pc33.example.com');
    expect(req.headers.getAll('via')).toHaveLength(3);
    expect(req.topVia).toMatchObject({ transport: 'UDP', host: '10.0.0.1', port: 5062 });
    expect(req.topVia.params.get('branch')).toBe('z9hG4bK776asdhds');
    expect(req.topVia.params.has('rport')).toBe(true);
    expect(grammar.parseVia(req.headers.getAll('via')[2])).toMatchObject({ host: '2001:db8::1', port: 5070 });
    expect(req.from).toMatchObject({ displayName: 'Alice', uri: 'sip:alice@example.com' });
    expect(req.from.params.get('tag')).toBe('1928301774');
    expect(req.to.displayName).toBe('Room, A');
    expect(req.cseq).toEqual({ seq: 314159, method: 'INVITE' });
    expect(req.headers.get('subject')).toBe('folded subject line');
    expect(req.headers.getAll('x-custom')).toEqual(['first', 'second']);
    expect(req.headers.get('CONTACT')).toBe('<sip:alice@10.0.0.1:5062;transport=udp>;expires=60');
    // RFC 3261 18.3: bytes beyond Content-Length in a datagram are discarded.
    expect(req.bodyText).toBe('v=0\r');
    const names = req.headers.entries().map((h) => h.name);
    expect(names.indexOf('X-Custom')).toBeLessThan(names.indexOf('Subject'));
  });

  it('serializes and re-parses to the same meaning, rewriting Content-Length', () => {
    const req = expectMessage(parseMessage(Buffer.from(INVITE))) as SipRequest;
    const again = expectMessage(parseMessage(req.encode())) as SipRequest;
    expect(again.method).toBe(req.method);
    expect(again.headers.entries().map((h) => [h.key, h.value])).toEqual(req.headers.entries().map((h) => [h.key, h.value]));
    expect(again.body.equals(req.body)).toBe(true);
    expect(again.headers.get('content-length')).toBe(String(req.body.length));
  });

  it('encodes received lines as received while unchanged, and edited fields as edited', () => {
    const text = [
      'OPTIONS sip:a@y SIP/2.0',
      'Via: SIP/2.0/UDP h;branch=z9hG4bK1',
      'v:SIP/2.0/UDP g;branch=z9hG4bK0',
      'From: <sip:b@x>;tag=1',
      'To:   <sip:a@y>',
      'Call-ID: c1',
      'CSeq: 1 OPTIONS',
      'X-A: 1',
      'X-B: 2',
      'Content-Length: 0',
      '', '',
    ].join('\r\n');
    const req = expectMessage(parseMessage(Buffer.from(text))) as SipRequest;
    // Compact and oddly spaced lines come out in the serializer's own form.
    expect(req.encode().toString()).toBe(text.replace('v:SIP', 'Via: SIP').replace('To:   <', 'To: <'));
    req.headers.prepend('Via', 'SIP/2.0/TCP p;branch=z9hG4bK2');
    req.headers.set('X-A', 'one');
    req.headers.remove('Call-ID');
    req.headers.shift('via');
    req.headers.append('X-C', '3');
    expect(req.encode().toString()).toBe([
      'OPTIONS sip:a@y SIP/2.0',
      'Via: SIP/2.0/UDP h;branch=z9hG4bK1',
      'Via: SIP/2.0/UDP g;branch=z9hG4bK0',
      'From: <sip:b@x>;tag=1',
      'To: <sip:a@y>',
      'CSeq: 1 OPTIONS',
      'X-A: one',
      'X-B: 2',
      'X-C: 3',
      'Content-Length: 0',
      '', '',
    ].join('\r\n'));
    expect(req.headers.clone().getAll('via')).toEqual(req.headers.getAll('via'));
  });

  it.each([
    ['not SIP at all', 'hello world\r\n\r\n', 'not a SIP start line'],
    ['binary garbage', '\u0000\u0001\u0002\u00ff', 'not a SIP start line'],
    ['empty datagram of CRLFs', '\r\n\r\n', 'empty message'],
    ['bad status code', 'SIP/2.0 99x OK\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1\r\n\r\n', 'bad status code'],
    ['request without Via', 'OPTIONS sip:a SIP/2.0\r\nFrom: <sip:b>;tag=1\r\nTo: <sip:a>\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\n\r\n', 'missing via header'],
  ])('drops %s', (_name, text, reason) => {
    const o = parseMessage(Buffer.from(text, 'latin1'));
    expect(o.kind).toBe('drop');
    if (o.kind === 'drop') expect(o.error.message).toBe(reason);
  });

  const head = 'Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1\r\nFrom: <sip:b@x>;tag=1\r\nTo: <sip:a@y>\r\nCall-ID: c1\r\n';
  it.each([
    ['CSeq method mismatch', `OPTIONS sip:a@y SIP/2.0\r\n${head}CSeq: 1 INVITE\r\n\r\n`, 400, 'CSeq method does not match request method'],
    ['negative Content-Length', `OPTIONS sip:a@y SIP/2.0\r\n${head}CSeq: 1 OPTIONS\r\nContent-Length: -1\r\n\r\n`, 400, 'bad Content-Length'],
    ['truncated body', `INVITE sip:a@y SIP/2.0\r\n${head}CSeq: 1 INVITE\r\nContent-Length: 50\r\n\r\nv=0\r\n`, 400, 'Content-Length larger than body'],
    ['bad header line', `OPTIONS sip:a@y SIP/2.0\r\n${head}CSeq: 1 OPTIONS\r\nno colon here\r\n\r\n`, 400, 'malformed header line'],
    ['unsupported version', `OPTIONS sip:a@y SIP/3.0\r\n${head}CSeq: 1 OPTIONS\r\n\r\n`, 505, 'Version Not Supported'],
    ['malformed From', `OPTIONS sip:a@y SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: "unterminated <sip:b@x>\r\nTo: <sip:a@y>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n\r\n`, 400, 'malformed From header: unterminated quoted string'],
  ])('rejects %s with a status naming the problem', (_name, text, status, reason) => {
    const o = parseMessage(Buffer.from(text));
    expect(o.kind).toBe('reject');
    if (o.kind === 'reject') {
      expect(o.error.status).toBe(status);
      expect(o.error.message).toBe(reason);
      expect(o.request.callId).toBeTruthy();
    }
  });

  it('never throws on random bytes', () => {
    let seed = 42;
    const rnd = (): number => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed; };
    const base = Buffer.from(INVITE);
    for (let i = 0; i < 2000; i++) {
      const buf = Buffer.from(base);
      for (let k = 0; k < 8; k++) buf[rnd() % buf.length] = rnd() & 0xff;
      const o = parseMessage(buf.subarray(0, rnd() % buf.length));
      expect(['message', 'reject', 'drop']).toContain(o.kind);
    }
  });
});

describe('StreamFramer', () => {
  const msg = (body: string): string =>
    `OPTIONS sip:a@y SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

  it('cuts messages split across chunks and coalesced in one chunk', () => {
    const f = new StreamFramer();
    const all = Buffer.from(msg('hello') + msg('') + msg('wörld'));
    const events = [...f.push(all.subarray(0, 30)), ...f.push(all.subarray(30, 100)), ...f.push(all.subarray(100))];
    const bodies = events.map((e) => (e.kind === 'message' ? e.bytes.toString().split('\r\n\r\n')[1] : e.kind));
    expect(bodies).toEqual(['hello', '', 'wörld']);
  });

  it('reports a double-CRLF keepalive as a ping and skips single CRLFs', () => {
    const f = new StreamFramer();
    const events = f.push(Buffer.from(`\r\n\r\n${msg('x')}`));
    expect(events.map((e) => e.kind)).toEqual(['ping', 'message']);
  });

  it('fails framing on a bad Content-Length and on oversized headers', () => {
    const f = new StreamFramer();
    const bad = f.push(Buffer.from('OPTIONS sip:a SIP/2.0\r\nl: abc\r\n\r\n'));
    expect(bad.map((e) => e.kind)).toEqual(['error']);
    const g = new StreamFramer(1000);
    expect(g.push(Buffer.alloc(2000, 0x41)).map((e) => e.kind)).toEqual(['error']);
  });
});
