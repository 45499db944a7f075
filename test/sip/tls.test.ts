/** SIP over TLS (RFC 3261 26.2): stack-to-stack calls, peer verification, a raw TLS peer. */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import tls from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseMessage, SipFailure, SipStack, type Dialog, type SipResponse } from '../../sip/index.ts';
import { makeTestCerts, type TestCerts } from '../fixtures/tls/make-certs.ts';
import { captureLogger, FAST_TIMERS, receivedText, SDP_A, SDP_B } from './helpers.ts';

let certs: TestCerts;
beforeAll(() => { certs = makeTestCerts(); });
afterAll(() => certs.remove());

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  while (open.length > 0) await open.pop()!.close();
});

async function tlsStack(tlsOpts: { caFile?: string; verifyPeer?: boolean; self?: boolean } = {}) {
  const logger = captureLogger();
  const s = await SipStack.start({
    bindAddress: '127.0.0.1', port: 0, logger, timers: FAST_TIMERS,
    tls: {
      port: 0, certFile: tlsOpts.self ? certs.selfSignedCertFile : certs.certFile,
      keyFile: tlsOpts.self ? certs.selfSignedKeyFile : certs.keyFile,
      caFile: 'caFile' in tlsOpts ? tlsOpts.caFile : certs.caFile, verifyPeer: tlsOpts.verifyPeer,
    },
  });
  open.push(s);
  return { s, logger };
}

function answerAll(b: SipStack): Promise<Dialog> {
  return new Promise((resolve) => b.on('invite', (inv) => { inv.accept({ sdp: SDP_B }).then(resolve); }));
}

const drained = { serverTransactions: 0, clientTransactions: 0, dialogs: 0 };

describe('SIP over TLS between two stacks', () => {
  it('places a call verified against the CA, Via/Contact say TLS, one connection reused for BYE', async () => {
    const a = (await tlsStack()).s;
    const b = (await tlsStack()).s;
    expect(b.portFor('tls')).not.toBe(b.port);
    let viaSeen = '';
    let contactSeen = '';
    const uasDialog = new Promise<Dialog>((resolve) => b.on('invite', (inv) => {
      viaSeen = inv.request.headers.get('via') ?? '';
      contactSeen = inv.request.headers.get('contact') ?? '';
      expect(inv.source.transport).toBe('tls');
      inv.accept({ sdp: SDP_B }).then(resolve);
    }));
    const uri = `sip:room@127.0.0.1:${b.portFor('tls')};transport=tls`;
    const uac = await a.invite({ requestUri: uri, fromUri: 'sip:gw@127.0.0.1', sdp: SDP_A }).result;
    const uas = await uasDialog;
    expect(uac.answerSdp).toBe(SDP_B);
    expect(viaSeen).toMatch(new RegExp(`^SIP/2\\.0/TLS 127\\.0\\.0\\.1:${a.portFor('tls')};`));
    expect(contactSeen).toContain(`:${a.portFor('tls')};transport=tls`);
    const ended = new Promise((r) => uas.on('terminated', r));
    await uac.bye();
    expect(await ended).toEqual({ by: 'remote' });
    // RFC 3261 18.2.2 / 18.1.1: responses and the BYE reused the INVITE's connection.
    expect(a.transportStats().connections.tls).toBe(1);
    expect(b.transportStats().connections.tls).toBe(1);
    await vi.waitFor(() => { expect(a.stats()).toEqual(drained); expect(b.stats()).toEqual(drained); },
      { timeout: 5000, interval: 50 });
  });

  it('reaches a sips: URI over TLS on the port given', async () => {
    const a = (await tlsStack()).s;
    const b = (await tlsStack()).s;
    const uasDialog = answerAll(b);
    const uac = await a.invite({ requestUri: `sips:room@127.0.0.1:${b.portFor('tls')}`, fromUri: 'sip:gw@127.0.0.1', sdp: SDP_A }).result;
    await uasDialog;
    expect(uac.answerSdp).toBe(SDP_B);
    await uac.bye();
  });

  it('refuses a server whose certificate no configured CA signed (503), unless verifyPeer is false', async () => {
    const b = (await tlsStack({ self: true })).s;
    b.on('invite', (inv) => { void inv.accept({ sdp: SDP_B }); });
    const uri = `sip:room@127.0.0.1:${b.portFor('tls')};transport=tls`;
    const strict = (await tlsStack()).s;
    const err = await strict.invite({ requestUri: uri, fromUri: 'sip:gw@127.0.0.1', sdp: SDP_A }).result.catch((e) => e);
    expect(err).toBeInstanceOf(SipFailure);
    expect(err.status).toBe(503);
    const lax = (await tlsStack({ verifyPeer: false })).s;
    const uac = await lax.invite({ requestUri: uri, fromUri: 'sip:gw@127.0.0.1', sdp: SDP_A }).result;
    expect(uac.answerSdp).toBe(SDP_B);
    await uac.bye();
  });

  it('fails start-up naming the missing certificate file', async () => {
    await expect(SipStack.start({ bindAddress: '127.0.0.1', port: 0, logger: captureLogger(),
      tls: { port: 0, certFile: '/nonexistent/cert.pem', keyFile: certs.keyFile } })).rejects.toThrow('/nonexistent/cert.pem');
  });
});

describe('SIP over TLS with a raw TLS client', () => {
  async function rawClient(port: number) {
    const sock = tls.connect({ host: '127.0.0.1', port, ca: [readFileSync(certs.caFile)] });
    await new Promise((r) => sock.once('secureConnect', r));
    open.push({ close: async () => { sock.destroy(); } });
    return { sock, until: receivedText(sock) };
  }

  it('answers OPTIONS on the same connection and a CRLFCRLF ping with a CRLF pong (RFC 5626 3.5.1)', async () => {
    const { s } = await tlsStack();
    const { sock, until } = await rawClient(s.portFor('tls'));
    sock.write('\r\n\r\n');
    expect(await until((b) => b.length >= 2)).toBe('\r\n');
    sock.write([
      `OPTIONS sip:room@127.0.0.1:${s.portFor('tls')};transport=tls SIP/2.0`,
      'Via: SIP/2.0/TLS client.invalid;branch=z9hG4bKtls1', 'Max-Forwards: 70', 'From: <sip:t@127.0.0.1>;tag=a',
      'To: <sip:room@127.0.0.1>', 'Call-ID: tls-opt-1', 'CSeq: 1 OPTIONS', 'Content-Length: 0', '', '',
    ].join('\r\n'));
    const text = await until((b) => b.includes('\r\n\r\n', 2));
    const o = parseMessage(Buffer.from(text.slice(2)));
    expect(o.kind).toBe('message');
    const res = (o as { message: SipResponse }).message;
    expect(res.status).toBe(200);
    expect(res.topVia.params.get('received')).toBe('127.0.0.1'); // RFC 3261 18.2.1
  });

  it('interoperates with OpenSSL s_client as the TLS peer (chain verified by OpenSSL): OPTIONS → 200', async () => {
    const { s } = await tlsStack();
    const port = s.portFor('tls');
    const child = spawn('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-CAfile', certs.caFile,
      '-verify_return_error', '-verify_ip', '127.0.0.1', '-quiet', '-ign_eof'], { stdio: ['pipe', 'pipe', 'pipe'] });
    open.push({ close: async () => { child.kill('SIGKILL'); } });
    let out = '';
    let err = '';
    const answered = new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => { out += d.toString(); if (out.includes('\r\n\r\n')) resolve(out); });
      child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
      child.on('exit', (code) => reject(new Error(`openssl exited ${code}: ${err}`)));
    });
    child.stdin.write([
      `OPTIONS sip:room@127.0.0.1:${port};transport=tls SIP/2.0`,
      'Via: SIP/2.0/TLS 127.0.0.1:5999;branch=z9hG4bKossl1', 'Max-Forwards: 70', 'From: <sip:o@127.0.0.1>;tag=o',
      'To: <sip:room@127.0.0.1>', 'Call-ID: openssl-opt-1', 'CSeq: 1 OPTIONS', 'Content-Length: 0', '', '',
    ].join('\r\n'));
    const text = await answered;
    expect(text).toMatch(/^SIP\/2\.0 200 /);
    expect(text).toContain('Call-ID: openssl-opt-1');
  });

  it('caps concurrent TLS connections per source, counting before the handshake, and frees the slot on close', async () => {
    const logger = captureLogger();
    const s = await SipStack.start({ bindAddress: '127.0.0.1', port: 0, logger, timers: FAST_TIMERS, maxConnectionsPerSource: 1,
      tls: { port: 0, certFile: certs.certFile, keyFile: certs.keyFile, caFile: certs.caFile } });
    open.push(s);
    const port = s.portFor('tls');
    const attempt = () => new Promise<'up' | 'refused'>((resolve) => {
      const sock = tls.connect({ host: '127.0.0.1', port, ca: [readFileSync(certs.caFile)] });
      open.push({ close: async () => { sock.destroy(); } });
      sock.once('secureConnect', () => { active.push(sock); resolve('up'); });
      sock.once('error', () => resolve('refused'));
      sock.once('close', () => resolve('refused'));
    });
    const active: tls.TLSSocket[] = [];
    expect(await attempt()).toBe('up');
    expect(await attempt()).toBe('refused');
    expect(s.transportStats().connectionsRefused).toBe(1);
    const first = active[0];
    first.destroy();
    await vi.waitFor(() => expect(s.transportStats().connections.tls).toBe(0), { timeout: 5000, interval: 20 });
    // The slot is freed (no leak): a new connection is admitted once the close has been processed.
    await vi.waitFor(async () => expect(await attempt()).toBe('up'), { timeout: 5000, interval: 50 });
  });
});
