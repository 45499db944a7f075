/**
 * Interop against the real SIPp 3.6 on 127.0.0.1: SIPp calls the stack (UAS side), the stack calls
 * SIPp (UAC side), CANCEL before answer, and UDP with SIPp-simulated loss (retransmissions).
 */
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { SipStack, type Dialog, type IncomingInvite } from '../../sip/index.ts';
import { captureLogger, SDP_B } from './helpers.ts';
import { freePort, killAllSipp, runSipp, waitForTcpListener } from './sipp.ts';

const scenario = (name: string): string => fileURLToPath(new URL(`./scenarios/${name}`, import.meta.url));
const TIMERS = { t1Ms: 50, t2Ms: 400, t4Ms: 200, tdMs: 500 };
const stacks: SipStack[] = [];

async function startStack(): Promise<SipStack> {
  const s = await SipStack.start({ bindAddress: '127.0.0.1', port: 0, logger: captureLogger(), timers: TIMERS });
  stacks.push(s);
  return s;
}

/** A tiny UAS: rings, answers with a fixed SDP, and counts how calls ended. */
function answeringUas(stack: SipStack) {
  const seen = { invites: 0, confirmed: 0, endedByRemote: 0, offers: [] as string[] };
  stack.on('invite', (inv: IncomingInvite) => {
    seen.invites++;
    if (inv.offerSdp) seen.offers.push(inv.offerSdp);
    inv.progress(180);
    inv.accept({ sdp: SDP_B }).then((d: Dialog) => {
      seen.confirmed++;
      d.on('terminated', (why) => { if (why.by === 'remote') seen.endedByRemote++; });
    }, () => undefined);
  });
  return seen;
}

async function expectDrained(stack: SipStack): Promise<void> {
  // Transactions linger for their final timers (J, L = 64·T1 = 3.2 s here) and must then be gone.
  await vi.waitFor(() => expect(stack.stats()).toEqual({ serverTransactions: 0, clientTransactions: 0, dialogs: 0 }),
    { timeout: 10_000, interval: 100 });
}

afterEach(async () => {
  killAllSipp();
  while (stacks.length > 0) await stacks.pop()!.close();
});

afterAll(() => killAllSipp());

describe('SIPp uac → SipStack UAS', () => {
  it.each([['UDP', 'u1'], ['TCP', 't1']])('answers 10 calls over %s with a fixed SDP; SIPp hangs up', async (_name, t) => {
    const stack = await startStack();
    const seen = answeringUas(stack);
    const { done } = runSipp(['-sn', 'uac', `127.0.0.1:${stack.port}`, '-t', t, '-m', '10', '-r', '20']);
    const r = await done;
    expect(r.code, r.output.slice(-1500)).toBe(0);
    expect(r.successful).toBe(10);
    expect(seen.invites).toBe(10);
    expect(seen.offers.every((o) => o.includes('m=audio'))).toBe(true);
    await vi.waitFor(() => expect(seen.endedByRemote).toBe(10));
    await expectDrained(stack);
  });

  it('CANCEL before answer: 200 to the CANCEL, 487 to the INVITE, ACK absorbed', async () => {
    const stack = await startStack();
    let cancels = 0;
    stack.on('invite', (inv) => {
      inv.progress(180);
      inv.on('cancel', () => { cancels++; });
    });
    const { done } = runSipp(['-sf', scenario('uac-cancel.xml'), `127.0.0.1:${stack.port}`, '-m', '5', '-r', '20']);
    const r = await done;
    expect(r.code, r.output.slice(-1500)).toBe(0);
    expect(r.successful).toBe(5);
    expect(cancels).toBe(5);
    await expectDrained(stack);
  });

  it('completes 20 calls over UDP with 10 % loss: retransmissions recover every loss', async () => {
    const stack = await startStack();
    const seen = answeringUas(stack);
    const { done } = runSipp(['-sf', scenario('uac-lossy.xml'), `127.0.0.1:${stack.port}`, '-m', '20', '-r', '20', '-lost', '10']);
    const r = await done;
    expect(r.code, r.output.slice(-6000)).toBe(0);
    expect(r.successful).toBe(20);
    expect(seen.confirmed).toBe(20);
    await vi.waitFor(() => expect(seen.endedByRemote).toBe(20));
    await expectDrained(stack);
  });
});

describe('SipStack UAC → SIPp uas', () => {
  async function callSipp(stack: SipStack, port: number, transport: 'udp' | 'tcp', lossy = false): Promise<void> {
    const out = stack.invite({
      requestUri: `sip:service@127.0.0.1:${port}${transport === 'tcp' ? ';transport=tcp' : ''}`,
      fromUri: 'sip:gateway@127.0.0.1', fromDisplayName: 'roomgate', sdp: SDP_B,
    });
    const provisional: number[] = [];
    out.on('provisional', (s) => provisional.push(s));
    const dialog = await out.result;
    if (!lossy) expect(provisional).toContain(180); // a lost 180 is never retransmitted
    expect(dialog.answerSdp).toContain('m=audio');
    await dialog.bye();
  }

  it.each([['UDP', 'u1', 'udp'], ['TCP', 't1', 'tcp']] as const)('places 5 calls over %s and hangs up', async (_n, t, transport) => {
    const stack = await startStack();
    const port = await freePort();
    const { done } = runSipp(['-sn', 'uas', '-p', String(port), '-t', t, '-m', '5']);
    if (transport === 'tcp') await waitForTcpListener(port);
    // Over UDP the INVITE's Timer A retransmissions cover SIPp's start-up.
    for (let i = 0; i < 5; i++) await callSipp(stack, port, transport);
    const r = await done;
    expect(r.code, r.output.slice(-1500)).toBe(0);
    expect(r.successful).toBe(5);
    await expectDrained(stack);
  });

  it('places 20 calls over UDP with 10 % loss at SIPp', async () => {
    const stack = await startStack();
    const port = await freePort();
    const { done } = runSipp(['-sf', scenario('uas-lossy.xml'), '-p', String(port), '-m', '20', '-lost', '10']);
    for (let i = 0; i < 20; i++) await callSipp(stack, port, 'udp', true);
    const r = await done;
    expect(r.code, r.output.slice(-6000)).toBe(0);
    expect(r.successful).toBe(20);
    await expectDrained(stack);
  });
});
