/** Unit tests of sip/session/: offer/answer states, hold directions, RFC 4028 negotiation, RFC 3262 retransmission. */
import { describe, expect, it } from 'vitest';
import { ManualClock, SipRequest, SipResponse } from '../../sip/index.ts';
import {
  answerDirection, decideAsUas, directionOf, OfferAnswer, parseRAck, parseSessionExpires, ReliableProvisionals,
  SessionTimer, withDirection,
} from '../../sip/session/index.ts';
import { SDP_A } from './helpers.ts';

const TIMERS = { t1: 100, t2: 800, t4: 1000, td: 1000 };

function invite(headers: Record<string, string>): SipRequest {
  const r = new SipRequest('INVITE', 'sip:a@127.0.0.1');
  for (const [k, v] of Object.entries(headers)) r.headers.append(k, v);
  return r;
}

describe('OfferAnswer (RFC 3264, RFC 6337)', () => {
  it('allows one outstanding offer and rejects a second one as an illegal transition', () => {
    const oa = new OfferAnswer();
    expect(oa.canOffer).toBe(true);
    oa.localOffer();
    expect(oa.state).toBe('local-offer');
    expect(oa.canOffer).toBe(false);
    expect(() => oa.remoteOffer()).toThrow(/illegal offer\/answer transition local-offer -> remote-offer/);
    oa.settle();
    expect(oa.state).toBe('stable');
    oa.settle(); // idempotent in stable
    oa.remoteOffer();
    expect(() => oa.localOffer()).toThrow();
  });
});

describe('hold directions (RFC 3264 5.1, 6.1, 8.4)', () => {
  it('rewrites every media section, replaces an existing direction and bumps the o= version', () => {
    const two = `${SDP_A}m=video 40004 RTP/AVP 96\r\na=sendrecv\r\n`;
    const held = withDirection(two, 'sendonly');
    expect(held.match(/a=sendonly/g)).toHaveLength(2);
    expect(held).not.toContain('a=sendrecv');
    expect(held).toContain('o=- 1 2 IN IP4');
    expect(directionOf(held)).toBe('sendonly');
    expect(withDirection(held, 'sendonly')).toBe(held); // unchanged: version not bumped again
  });

  it('reads sendrecv when absent and answers sendonly with recvonly, inactive with inactive', () => {
    expect(directionOf(SDP_A)).toBe('sendrecv');
    expect(answerDirection('sendonly')).toBe('recvonly');
    expect(answerDirection('recvonly')).toBe('sendonly');
    expect(answerDirection('inactive')).toBe('inactive');
  });
});

describe('session timer negotiation (RFC 4028)', () => {
  it.each([
    ['no Session-Expires', {}, { kind: 'none' }],
    ['below Min-SE → 422 naming the larger Min-SE', { 'Session-Expires': '60', 'Min-SE': '120' }, { kind: 'too-small', minSe: 120 }],
    ['UAC supports timer, no refresher → uac refreshes', { 'Session-Expires': '1800', Supported: 'timer' },
      { kind: 'use', seconds: 1800, refresher: 'uac', uacSupports: true }],
    ['UAC without timer support → we refresh', { 'Session-Expires': '1800' }, { kind: 'use', seconds: 1800, refresher: 'uas', uacSupports: false }],
    ['refresher chosen by the UAC is kept', { 'Session-Expires': '600;refresher=uas', Supported: 'timer' },
      { kind: 'use', seconds: 600, refresher: 'uas', uacSupports: true }],
  ])('%s', (_n, headers, expected) => {
    expect(decideAsUas(invite(headers), 90)).toEqual(expected);
  });

  it('parses the compact form x and ignores a malformed delta', () => {
    expect(parseSessionExpires(invite({ x: '300;refresher=uac' }))).toEqual({ seconds: 300, refresher: 'uac' });
    expect(parseSessionExpires(invite({ 'Session-Expires': 'soon' }))).toBeUndefined();
  });

  it('refresher fires at half the interval; the other side expires at interval - min(32, interval/3)', () => {
    const clock = new ManualClock();
    const fired: string[] = [];
    const t = new SessionTimer(clock, { refresh: () => fired.push(`refresh@${clock.now()}`), expire: () => fired.push(`expire@${clock.now()}`) });
    t.start(90, true);
    clock.advance(90_000);
    t.start(90, false);
    clock.advance(90_000);
    expect(fired).toEqual(['refresh@45000', 'expire@150000']); // 90 + (90 - 30)
    t.stop();
    t.start(90, true);
    clock.advance(90_000);
    expect(fired).toHaveLength(2); // stopped for good
  });
});

describe('reliable provisionals (RFC 3262 3)', () => {
  function setup() {
    const clock = new ManualClock();
    const sent: string[] = [];
    let timedOut = 0;
    const rp = new ReliableProvisionals(clock, TIMERS, 1, (res) => sent.push(`${res.status}/${res.headers.get('rseq')}@${clock.now()}`),
      () => { timedOut++; });
    return { clock, sent, rp, timedOut: () => timedOut };
  }

  it('retransmits at T1, 2·T1, 4·T1... and gives up after 64·T1', () => {
    const { clock, sent, rp, timedOut } = setup();
    rp.send(new SipResponse(180, 'Ringing'));
    clock.advance(64 * TIMERS.t1);
    const times = sent.map((s) => Number(s.split('@')[1]));
    expect(times.slice(0, 5)).toEqual([0, 100, 300, 700, 1500]);
    expect(timedOut()).toBe(1);
    expect(rp.pending).toBe(false);
  });

  it('a matching PRACK stops retransmission and releases the next queued provisional with RSeq + 1', () => {
    const { clock, sent, rp } = setup();
    rp.send(new SipResponse(180, 'Ringing'));
    rp.send(new SipResponse(183, 'Session Progress'));
    expect(sent).toHaveLength(1); // one outstanding at a time
    const rseq = Number(sent[0].split('/')[1].split('@')[0]);
    expect(rp.acknowledge({ rseq: rseq + 1, cseq: 1, method: 'INVITE' })).toBe(false);
    expect(rp.acknowledge({ rseq, cseq: 2, method: 'INVITE' })).toBe(false);
    expect(rp.acknowledge({ rseq, cseq: 1, method: 'INVITE' })).toBe(true);
    expect(sent[1]).toBe(`183/${rseq + 1}@0`);
    expect(rp.acknowledge({ rseq: rseq + 1, cseq: 1, method: 'INVITE' })).toBe(true);
    const before = sent.length;
    clock.advance(10_000);
    expect(sent).toHaveLength(before);
  });

  it('parses RAck and refuses malformed values', () => {
    expect(parseRAck('776656 1 INVITE')).toEqual({ rseq: 776656, cseq: 1, method: 'INVITE' });
    expect(parseRAck('1 INVITE')).toBeUndefined();
    expect(parseRAck(undefined)).toBeUndefined();
  });
});
