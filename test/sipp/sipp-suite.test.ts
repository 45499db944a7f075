/**
 * The project's SIPp scenario suite (issue #3 acceptance 1): the real SIPp 3.6 against a SipStack
 * UAS or UAC on 127.0.0.1, free ports, lowered timers (T1 = 50 ms; scenarios retransmit at 50 ms).
 * Calls, hold/resume, UPDATE, delayed offer, INFO, OPTIONS, CANCEL, 100rel and session timers.
 * Tests run concurrently (each owns its stack and its SIPp) so the whole suite stays short.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, vi, type TestContext } from 'vitest';
import { SipStack, type Dialog, type IncomingInvite } from '../../sip/index.ts';
import { answerDirection, directionOf, withDirection } from '../../sip/session/index.ts';
import { captureLogger, SDP_A, SDP_B } from '../sip/helpers.ts';
import { freePort, type SippResult } from '../sip/sipp.ts';

const scenario = (name: string): string => fileURLToPath(new URL(`./${name}`, import.meta.url));
const TIMERS = { t1Ms: 50, t2Ms: 400, t4Ms: 200, tdMs: 500 };

const children = new Set<ReturnType<typeof spawn>>();
afterAll(() => { for (const c of children) c.kill('SIGKILL'); });

function counter(output: string, name: string): number {
  const cells = (output.split('\n').filter((l) => l.includes(name)).at(-1) ?? '').split('|');
  return Number(cells[2]?.trim() ?? NaN);
}

async function startStack(ctx: TestContext, minSe?: number): Promise<SipStack> {
  const s = await SipStack.start({ bindAddress: '127.0.0.1', port: 0, logger: captureLogger(), timers: TIMERS,
    sessionTimers: minSe === undefined ? undefined : { minSeSeconds: minSe } });
  ctx.onTestFinished(() => s.close());
  return s;
}

/**
 * Runs SIPp bound to 127.0.0.1 with a global timeout. Resolves on 'close' (not 'exit'), so the
 * final statistics screen has been read from stdout before the counters are parsed.
 */
function sipp(ctx: TestContext, args: string[]): Promise<SippResult> {
  const dir = mkdtempSync(join(tmpdir(), 'roomgate-sipp-suite-'));
  const errorFile = join(dir, 'errors.log');
  const child = spawn('sipp', ['-i', '127.0.0.1', '-nostdin', '-timeout', '30s', '-timeout_error',
    '-trace_err', '-error_file', errorFile, ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  ctx.onTestFinished(() => { if (child.exitCode === null) child.kill('SIGKILL'); });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => { output += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { output += d.toString(); });
  return new Promise<SippResult>((resolve) => {
    child.on('close', (code) => {
      children.delete(child);
      try { output += `\n--- sipp errors ---\n${readFileSync(errorFile, 'utf8').slice(0, 4000)}`; } catch { /* none */ }
      resolve({ code, output, successful: counter(output, 'Successful call'), failed: counter(output, 'Failed call') });
    });
  });
}

function expectPassed(r: SippResult, calls: number): void {
  expect(r.code, r.output.slice(-3000)).toBe(0);
  expect(r.successful, r.output.slice(-3000)).toBe(calls);
  expect(r.failed, r.output.slice(-3000)).toBe(0);
}

interface UasSeen {
  invites: IncomingInvite[];
  dialogs: Dialog[];
  ended: number;
  reinviteOffers: string[];
  updateOffers: string[];
  infos: string[];
  pracks: number;
  cancels: number;
}

/** A SipStack UAS app: rings, answers SDP_B (after the PRACK when 100rel is required), answers hold by direction. */
function uas(stack: SipStack, opts: { ring?: boolean } = {}): UasSeen {
  const seen: UasSeen = { invites: [], dialogs: [], ended: 0, reinviteOffers: [], updateOffers: [], infos: [], pracks: 0, cancels: 0 };
  stack.on('invite', (inv) => {
    seen.invites.push(inv);
    inv.on('cancel', () => { seen.cancels++; });
    const accept = (): void => {
      inv.accept({ sdp: SDP_B }).then((d) => {
        seen.dialogs.push(d);
        d.on('terminated', () => { seen.ended++; });
        d.on('reinvite', (offer, respond) => {
          seen.reinviteOffers.push(offer ?? '');
          respond(200, offer ? withDirection(SDP_B, answerDirection(directionOf(offer))) : SDP_B);
        });
        d.on('update', (offer, respond) => { seen.updateOffers.push(offer ?? ''); respond(200, SDP_B); });
        d.on('info', (req, respond) => { seen.infos.push(`${req.headers.get('content-type')}|${req.bodyText}`); respond(200); });
      }, () => undefined);
    };
    if (opts.ring === false) return;
    inv.progress(180);
    if (inv.request.headers.getAll('require').includes('100rel')) {
      inv.on('prack', () => { seen.pracks++; accept(); });
    } else {
      accept();
    }
  });
  return seen;
}

async function expectDrained(stack: SipStack): Promise<void> {
  // Transactions linger for their final timers (J, L = 64·T1 = 3.2 s here) and must then be gone.
  await vi.waitFor(() => {
    const s = stack.stats();
    expect({ s: s.serverTransactions, c: s.clientTransactions, d: s.dialogs }).toEqual({ s: 0, c: 0, d: 0 });
  }, { timeout: 15_000, interval: 100 });
}

/** SIPp's own port is chosen free too (concurrent SIPps must not all take 5060). */
const target = (stack: SipStack): string => `127.0.0.1:${stack.port}`;

describe.concurrent('SIPp UAC → roomgate UAS', () => {
  it('basic call (built-in uac scenario), 5 calls over UDP; SIPp hangs up', async (ctx) => {
    const stack = await startStack(ctx);
    const seen = uas(stack);
    expectPassed(await sipp(ctx, ['-sn', 'uac', target(stack), '-p', String(await freePort()), '-m', '5', '-r', '10']), 5);
    await vi.waitFor(() => expect(seen.ended).toBe(5));
    await expectDrained(stack);
  });

  it('re-INVITE hold (sendonly → recvonly) and resume; the call survives until BYE', async (ctx) => {
    const stack = await startStack(ctx);
    const seen = uas(stack);
    expectPassed(await sipp(ctx, ['-sf', scenario('uac-hold-resume.xml'), target(stack), '-p', String(await freePort()), '-m', '3', '-r', '10']), 3);
    expect(seen.reinviteOffers.map(directionOf)).toEqual(['sendonly', 'sendrecv', 'sendonly', 'sendrecv', 'sendonly', 'sendrecv']);
    await vi.waitFor(() => expect(seen.ended).toBe(3));
    await expectDrained(stack);
  });

  it('UPDATE with an offer is answered in its 200 (RFC 3311)', async (ctx) => {
    const stack = await startStack(ctx);
    const seen = uas(stack);
    expectPassed(await sipp(ctx, ['-sf', scenario('uac-update.xml'), target(stack), '-p', String(await freePort()), '-m', '3', '-r', '10']), 3);
    expect(seen.updateOffers).toHaveLength(3);
    expect(seen.updateOffers.every((o) => o.includes('m=audio'))).toBe(true);
    await expectDrained(stack);
  });

  it('delayed offer: INVITE without SDP, our 200 offers, the ACK answer becomes dialog.remoteSdp', async (ctx) => {
    const stack = await startStack(ctx);
    const seen = uas(stack);
    expectPassed(await sipp(ctx, ['-sf', scenario('uac-delayed-offer.xml'), target(stack), '-p', String(await freePort()), '-m', '3', '-r', '10']), 3);
    expect(seen.invites.every((i) => i.offerSdp === undefined)).toBe(true);
    expect(seen.dialogs).toHaveLength(3);
    expect(seen.dialogs.every((d) => d.remoteSdp?.includes('m=audio'))).toBe(true);
    await expectDrained(stack);
  });

  it('INFO application/dtmf-relay reaches the app as "info"', async (ctx) => {
    const stack = await startStack(ctx);
    const seen = uas(stack);
    expectPassed(await sipp(ctx, ['-sf', scenario('uac-info.xml'), target(stack), '-p', String(await freePort()), '-m', '3', '-r', '10']), 3);
    expect(seen.infos).toHaveLength(3);
    expect(seen.infos[0]).toMatch(/^application\/dtmf-relay\|Signal=5\r?\nDuration=160/);
    await expectDrained(stack);
  });

  it('OPTIONS: 200 with Allow (UPDATE, PRACK) and Supported (100rel)', async (ctx) => {
    const stack = await startStack(ctx);
    expectPassed(await sipp(ctx, ['-sf', scenario('options.xml'), target(stack), '-p', String(await freePort()), '-m', '3', '-r', '10']), 3);
    await expectDrained(stack);
  });

  it('CANCEL before answer: 200 to the CANCEL, 487 to the INVITE', async (ctx) => {
    const stack = await startStack(ctx);
    const seen = uas(stack, { ring: false });
    stack.on('invite', (inv) => inv.progress(180));
    expectPassed(await sipp(ctx, ['-sf', scenario('uac-cancel.xml'), target(stack), '-p', String(await freePort()), '-m', '3', '-r', '10']), 3);
    expect(seen.cancels).toBe(3);
    await expectDrained(stack);
  });

  it('100rel: the 180 is sent reliably, SIPp PRACKs it, and only then the 200 goes out', async (ctx) => {
    const stack = await startStack(ctx);
    const seen = uas(stack);
    expectPassed(await sipp(ctx, ['-sf', scenario('uac-100rel.xml'), target(stack), '-p', String(await freePort()), '-m', '3', '-r', '10']), 3);
    expect(seen.pracks).toBe(3);
    await expectDrained(stack);
  });

  it('session timer (Session-Expires 4 s, refresher=uas): roomgate refreshes by UPDATE, then answers SIPp\'s refresh', async (ctx) => {
    const stack = await startStack(ctx, 1);
    const seen = uas(stack);
    expectPassed(await sipp(ctx, ['-sf', scenario('uac-session-timer.xml'), target(stack), '-p', String(await freePort()), '-m', '2', '-r', '10']), 2);
    expect(seen.reinviteOffers).toHaveLength(2); // SIPp's re-INVITE refreshes
    await expectDrained(stack);
  });
});

describe.concurrent('roomgate UAC → SIPp UAS', () => {
  async function placeCall(stack: SipStack, port: number, opts: { sessionExpires?: number } = {}): Promise<Dialog> {
    const out = stack.invite({ requestUri: `sip:service@127.0.0.1:${port}`, fromUri: 'sip:gateway@127.0.0.1', sdp: SDP_A, ...opts });
    return out.result;
  }

  it('basic call (built-in uas scenario), 3 calls; roomgate hangs up', async (ctx) => {
    const stack = await startStack(ctx);
    const port = await freePort();
    const done = sipp(ctx, ['-sn', 'uas', '-p', String(port), '-m', '3']);
    for (let i = 0; i < 3; i++) {
      const d = await placeCall(stack, port); // Timer A retransmissions cover SIPp's start-up
      expect(d.answerSdp).toContain('m=audio');
      await d.bye();
    }
    expectPassed(await done, 3);
    await expectDrained(stack);
  });

  it('hold and resume by re-INVITE: SIPp answers recvonly then sendrecv', async (ctx) => {
    const stack = await startStack(ctx);
    const port = await freePort();
    const done = sipp(ctx, ['-sf', scenario('uas-hold-resume.xml'), '-p', String(port), '-m', '2']);
    for (let i = 0; i < 2; i++) {
      const d = await placeCall(stack, port);
      await d.hold();
      expect(directionOf(d.remoteSdp ?? '')).toBe('recvonly');
      expect(directionOf(d.localSdp ?? '')).toBe('sendonly');
      await d.resume();
      expect(directionOf(d.remoteSdp ?? '')).toBe('sendrecv');
      expect(d.terminated).toBe(false);
      await d.bye();
    }
    expectPassed(await done, 2);
    await expectDrained(stack);
  });

  it('491 on a hold re-INVITE: roomgate ACKs the 491, retries after the RFC 3261 14.1 wait, and the hold succeeds', async (ctx) => {
    const stack = await startStack(ctx);
    const port = await freePort();
    const done = sipp(ctx, ['-sf', scenario('uas-glare-491.xml'), '-p', String(port), '-m', '2']);
    for (let i = 0; i < 2; i++) {
      const d = await placeCall(stack, port);
      const r = await d.hold();
      expect(r.status).toBe(200);
      expect(directionOf(d.remoteSdp ?? '')).toBe('recvonly');
      expect(d.terminated).toBe(false);
      await d.bye();
    }
    expectPassed(await done, 2);
    await expectDrained(stack);
  });

  it('100rel: roomgate PRACKs the reliable 180 with the right RAck', async (ctx) => {
    const stack = await startStack(ctx);
    const port = await freePort();
    const done = sipp(ctx, ['-sf', scenario('uas-100rel.xml'), '-p', String(port), '-m', '2']);
    for (let i = 0; i < 2; i++) {
      const d = await placeCall(stack, port);
      await d.bye();
    }
    expectPassed(await done, 2);
    await expectDrained(stack);
  });

  it('early media: the 183 SDP reaches the app as provisional and early dialog; then the 200', async (ctx) => {
    const stack = await startStack(ctx);
    const port = await freePort();
    const done = sipp(ctx, ['-sf', scenario('uas-early-media.xml'), '-p', String(port), '-m', '2']);
    for (let i = 0; i < 2; i++) {
      const out = stack.invite({ requestUri: `sip:service@127.0.0.1:${port}`, fromUri: 'sip:gateway@127.0.0.1', sdp: SDP_A });
      const early: (string | undefined)[] = [];
      out.on('provisional', (status, sdp) => { if (status === 183) early.push(sdp); });
      let earlyDialogSdp: string | undefined;
      out.on('early', (d) => { earlyDialogSdp = d.remoteSdp; });
      const d = await out.result;
      expect(early).toHaveLength(1);
      expect(early[0]).toContain('m=audio');
      expect(earlyDialogSdp).toContain('m=audio');
      await d.bye();
    }
    expectPassed(await done, 2);
    await expectDrained(stack);
  });

  it('delayed offer as UAC: INVITE without SDP, SIPp offers in the 200, our ACK carries the answer', async (ctx) => {
    const stack = await startStack(ctx);
    const port = await freePort();
    const done = sipp(ctx, ['-sf', scenario('uas-delayed-offer.xml'), '-p', String(port), '-m', '2']);
    for (let i = 0; i < 2; i++) {
      const offers: string[] = [];
      const d = await stack.invite({ requestUri: `sip:service@127.0.0.1:${port}`, fromUri: 'sip:gateway@127.0.0.1',
        answer: (offer) => { offers.push(offer); return SDP_A; } }).result;
      expect(offers).toHaveLength(1);
      expect(d.remoteSdp).toBe(offers[0]);
      expect(d.localSdp).toBe(SDP_A);
      await d.bye();
    }
    expectPassed(await done, 2);
    await expectDrained(stack);
  });

  it('session timer as UAC: refresher=uac → roomgate refreshes by UPDATE at half of 4 s', async (ctx) => {
    const stack = await startStack(ctx, 1);
    const port = await freePort();
    const done = sipp(ctx, ['-sf', scenario('uas-session-timer.xml'), '-p', String(port), '-m', '2']);
    for (let i = 0; i < 2; i++) {
      const d = await placeCall(stack, port, { sessionExpires: 4 });
      expect(d.session).toEqual({ seconds: 4, weRefresh: true });
      await new Promise<void>((resolve) => d.once('session-refreshed', () => resolve()));
      expect(d.terminated).toBe(false);
      await d.bye();
    }
    expectPassed(await done, 2);
    await expectDrained(stack);
  });
});
