import type { CallMediaHandle, MeetingLegHandle } from '../../gateway/media-plane/handles.ts';
import { EventEmitter } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import winston from 'winston';
import { parseConfig } from '../../config/index.ts';
import { OutboundCall, type OutboundCallDeps } from '../../gateway/outbound-call.ts';
import { TrunkSet } from '../../gateway/trunks/trunk-set.ts';
import { SipFailure, type OutgoingInvite, type OutgoingInviteOptions } from '../../sip/index.ts';

const logger = winston.createLogger({ silent: true });
const ANSWER = ['v=0', 'o=- 1 1 IN IP4 192.0.2.9', 's=-', 'c=IN IP4 192.0.2.9', 't=0 0', 'm=audio 30000 RTP/AVP 0', ''].join('\r\n');

/** An OutgoingInvite whose outcome the test decides. */
class FakeInvite extends EventEmitter {
  readonly callId = `sip-${Math.random().toString(16).slice(2)}`;
  cancelled = false;
  settle!: { answer(sdp?: string): FakeDialog; fail(status: number, reason: string): void };
  readonly result: Promise<unknown>;
  constructor(readonly opts: OutgoingInviteOptions) {
    super();
    this.result = new Promise((resolve, reject) => {
      this.settle = {
        answer: (sdp) => {
          const d = new FakeDialog(sdp);
          resolve(d);
          return d;
        },
        fail: (status, reason) => reject(new SipFailure(status, reason)),
      };
    });
  }
  cancel(): void {
    this.cancelled = true;
    this.settle.fail(487, 'Request Terminated');
  }
}

class FakeDialog extends EventEmitter {
  byes = 0;
  constructor(readonly answerSdp?: string) {
    super();
  }
  bye(): Promise<void> {
    this.byes++;
    return Promise.resolve();
  }
  info(): Promise<number> {
    return Promise.resolve(200);
  }
}

function setup(yamlTrunks: string, names: string[], extra: Partial<OutboundCallDeps> = {}) {
  const config = parseConfig(`trunks:\n${yamlTrunks}`);
  const trunkSet = new TrunkSet(config.trunks, []);
  const invites: FakeInvite[] = [];
  const media = Object.assign(new EventEmitter(), {
    audioPort: 20000,
    videoPort: 20002,
    setRemote: vi.fn(),
    attachCloud: vi.fn(),
    close: vi.fn(),
    onRoomKeyframeRequest: vi.fn(),
    stats: () => ({}),
  });
  const leg = Object.assign(new EventEmitter(), { peerId: 'leg-peer', leave: vi.fn(() => Promise.resolve()), stats: () => ({}) });
  const ended = vi.fn();
  const invited = new EventEmitter();
  const deps: OutboundCallDeps = {
    roomId: 'demo',
    to: 'sip:room1@10.1.1.5',
    number: 'room1',
    trunks: names.map((n) => trunkSet.get(n)!),
    acquire: (t) => trunkSet.tryAcquire(t),
    release: (t) => trunkSet.release(t),
    invite: (opts) => {
      const inv = new FakeInvite(opts);
      invites.push(inv);
      queueMicrotask(() => invited.emit('invite', inv));
      return inv as unknown as OutgoingInvite;
    },
    advertisedSipHost: '192.0.2.1',
    mediaAddress: { bind: '0.0.0.0', advertised: '192.0.2.1' },
    createMedia: () => Promise.resolve(media as unknown as CallMediaHandle),
    joinMeeting: () => Promise.resolve(leg as unknown as MeetingLegHandle),
    joinTimeoutMs: 1000,
    logger,
    onEnded: ended,
    ...extra,
  };
  const nextInvite = () => new Promise<FakeInvite>((resolve) => invited.once('invite', resolve));
  return { call: new OutboundCall(deps), trunkSet, invites, media, leg, ended, nextInvite };
}

const TWO = [
  "  - { name: a, outbound: { host: 127.0.0.1, port: 5071, transport: tcp }, permittedNumbers: ['.*'] }",
  "  - { name: b, outbound: { host: 127.0.0.1, port: 5072, codecs: { audio: [PCMU], video: [] } }, permittedNumbers: ['.*'], maxConcurrentCalls: 1 }",
].join('\n');

describe('outbound call', () => {
  it('fails over on 408 (timeout) to the next trunk and reports every attempt', async () => {
    const t = setup(TWO, ['a', 'b']);
    const outcome = t.call.run();
    (await t.nextInvite()).settle.fail(408, 'Request Timeout');
    const second = await t.nextInvite();
    expect(second.opts.requestUri).toBe('sip:room1@127.0.0.1:5072');
    expect(second.opts.toUri).toBe('sip:room1@10.1.1.5');
    second.settle.answer(ANSWER);
    expect(await outcome).toMatchObject({
      status: 'answered',
      trunk: 'b',
      attempts: [
        { trunk: 'a', status: 408 },
        { trunk: 'b', status: 200 },
      ],
    });
    expect(t.invites[0]!.opts.requestUri).toBe('sip:room1@127.0.0.1:5071;transport=tcp');
    expect(t.media.setRemote).toHaveBeenCalledWith(expect.objectContaining({ address: '192.0.2.9', audio: expect.objectContaining({ codec: 'PCMU' }) }));
    expect(t.media.attachCloud).toHaveBeenCalledWith(t.leg);
    expect(t.trunkSet.get('b')!.activeCalls).toBe(1);
    expect(t.trunkSet.get('a')!.activeCalls).toBe(0);
  });

  it('does not fail over on a final 4xx such as 486 Busy Here', async () => {
    const t = setup(TWO, ['a', 'b']);
    const outcome = t.call.run();
    (await t.nextInvite()).settle.fail(486, 'Busy Here');
    expect(await outcome).toMatchObject({ status: 'failed', sipStatus: 486, attempts: [{ trunk: 'a', status: 486 }] });
    expect(t.invites).toHaveLength(1);
    expect(t.ended).toHaveBeenCalledOnce();
    expect(t.media.close).toHaveBeenCalled();
    expect(t.leg.leave).toHaveBeenCalled();
  });

  it('plays early media from a 183 with SDP before the answer (RFC 3960)', async () => {
    const t = setup(TWO, ['b']);
    const outcome = t.call.run();
    const inv = await t.nextInvite();
    inv.emit('provisional', 183, ANSWER);
    expect(t.media.setRemote).toHaveBeenCalledTimes(1);
    expect(t.media.attachCloud).toHaveBeenCalledTimes(1);
    inv.settle.answer(ANSWER);
    expect((await outcome).status).toBe('answered');
  });

  it('skips a trunk at its call limit and one marked down by keepalive', async () => {
    const t = setup(TWO, ['a', 'b']);
    t.trunkSet.get('a')!.reachability = 'down';
    t.trunkSet.tryAcquire(t.trunkSet.get('b')!);
    const outcome = await t.call.run();
    expect(outcome).toMatchObject({
      status: 'failed',
      sipStatus: 503,
      attempts: [
        { trunk: 'a', status: 503, reason: 'trunk down (OPTIONS keepalive)' },
        { trunk: 'b', status: 503, reason: 'trunk at its concurrent call limit' },
      ],
    });
    expect(t.invites).toHaveLength(0);
  });

  it('hanging up while ringing cancels the INVITE and frees the trunk; after answer it sends BYE', async () => {
    const t = setup(TWO, ['b']);
    const outcome = t.call.run();
    const inv = await t.nextInvite();
    t.call.closeWith({ by: 'gateway', reason: 'hung up by the operator' });
    expect(inv.cancelled).toBe(true);
    expect(await outcome).toMatchObject({ status: 'failed', reason: 'hung up by the operator' });
    expect(t.trunkSet.get('b')!.activeCalls).toBe(0);

    const u = setup(TWO, ['b']);
    const answered = u.call.run();
    const dialog = (await u.nextInvite()).settle.answer(ANSWER);
    await answered;
    u.call.closeWith({ by: 'gateway', reason: 'hung up by the operator' });
    u.call.closeWith({ by: 'gateway', reason: 'twice' });
    expect(dialog.byes).toBe(1);
    expect(u.ended).toHaveBeenCalledOnce();
    expect(u.trunkSet.get('b')!.activeCalls).toBe(0);
  });

  it('ends an answered call whose SDP answer is unusable with BYE (RFC 3261 13.2.1)', async () => {
    const t = setup(TWO, ['b']);
    const outcome = t.call.run();
    const dialog = (await t.nextInvite()).settle.answer(ANSWER.replace('RTP/AVP 0', 'RTP/AVP 18'));
    expect(await outcome).toMatchObject({ status: 'failed', sipStatus: 488 });
    expect(dialog.byes).toBe(1);
  });

  it('hung up while joining the meeting: the media and the leg that arrive afterwards are released', async () => {
    const t = setup(TWO, ['b']);
    const outcome = t.call.run();
    t.call.closeWith({ by: 'gateway', reason: 'hung up by the operator' });
    expect(await outcome).toMatchObject({ status: 'failed', reason: 'hung up by the operator' });
    expect(t.media.close).toHaveBeenCalled();
    expect(t.invites).toHaveLength(0);
  });
});

describe('outbound call to a registered contact (RFC 3261 16.5)', () => {
  const registered = { aor: 'sip:room7@gw.example', contact: 'sip:room7-1a2b@192.0.2.77:5070;transport=udp', codecs: { audio: ['PCMU'] as const, video: [] as const }, fromUser: 'roomgate' };

  it('INVITEs the binding\'s Contact with the AOR in To, holding no trunk', async () => {
    const t = setup(TWO, [], { to: 'room7', number: 'room7', registered });
    const outcome = t.call.run();
    const inv = await t.nextInvite();
    expect(inv.opts.requestUri).toBe(registered.contact);
    expect(inv.opts.toUri).toBe('sip:room7@gw.example');
    expect(inv.opts.credentials).toBeUndefined();
    inv.settle.answer(ANSWER);
    expect(await outcome).toMatchObject({ status: 'answered', trunk: 'registrar', contact: registered.contact,
      attempts: [{ trunk: 'registrar', contact: registered.contact, status: 200 }] });
    expect(t.trunkSet.all().every((tr) => tr.activeCalls === 0)).toBe(true);
  });

  it('a failure at the contact ends the call without trying any trunk', async () => {
    const t = setup(TWO, ['a', 'b'], { registered });
    const outcome = t.call.run();
    (await t.nextInvite()).settle.fail(503, 'Service Unavailable');
    expect(await outcome).toMatchObject({ status: 'failed', sipStatus: 503, attempts: [{ trunk: 'registrar', status: 503 }] });
    expect(t.invites).toHaveLength(1);
    expect(t.media.close).toHaveBeenCalled();
  });
});
