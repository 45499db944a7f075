import type { CallMediaHandle, MeetingLegHandle } from '../../gateway/media-plane/handles.ts';
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { CallDtmfRelay } from '../../gateway/call-dtmf-relay.ts';
import type { Logger } from '../../gateway/logger.ts';

const quiet = { debug() {}, info() {}, warn() {}, error() {} } as unknown as Logger;

/** CallMedia's DTMF surface, driven by the test. */
class MediaStub extends EventEmitter {
  canSendRfc4733 = true;
  sent: string[] = [];
  sendDtmf(d: string): boolean {
    this.sent.push(d);
    return true;
  }
  dtmfStats() {
    return { received: { digits: 0, duplicates: 0, stale: 0, otherEvents: 0, malformed: 0 }, digitsSent: 0, packetsSent: 0 };
  }
}
/** The meeting leg's DTMF surface. */
class LegStub extends EventEmitter {
  toMeeting: string[] = [];
  sendDtmf(d: string): void {
    this.toMeeting.push(d);
  }
}

function relay() {
  let now = 0;
  const media = new MediaStub();
  const leg = new LegStub();
  const infos: string[] = [];
  const r = new CallDtmfRelay({
    media: media as unknown as CallMediaHandle,
    leg: leg as unknown as MeetingLegHandle,
    log: quiet,
    now: () => now,
    sendInfo: async (type, body) => {
      infos.push(`${type}|${body}`);
      return 200;
    },
  });
  return { r, media, leg, infos, at: (t: number) => (now = t) };
}

describe('CallDtmfRelay', () => {
  it('a terminal sending one press both as RFC 4733 and as INFO gives the meeting one digit', () => {
    const { r, media, leg, at } = relay();
    media.emit('dtmf-start', '5', 0);
    at(20);
    expect(r.onInfo('application/dtmf-relay', 'Signal=5\r\nDuration=160\r\n')).toBe(200); // still answered 200
    at(180);
    media.emit('dtmf', '5', 160, 0);
    at(1000);
    media.emit('dtmf-start', '5', 1000); // a second press, RFC 4733 only
    media.emit('dtmf', '5', 160, 1000);
    expect(leg.toMeeting).toEqual(['5', '5']);
    expect(r.stats().fromRoom).toEqual({ rfc4733: 2, info: 1, merged: 1 });
    expect(r.stats().lastDigits).toBe('55');
  });

  it('answers DTMF INFO 200, an unreadable DTMF body 400, and leaves other bodies to the call', () => {
    const { r, leg } = relay();
    expect(r.onInfo('application/dtmf', '#')).toBe(200);
    expect(r.onInfo('application/dtmf-relay', 'Signal=Z')).toBe(400);
    expect(r.onInfo('application/media_control+xml', '<picture_fast_update/>')).toBeUndefined();
    expect(leg.toMeeting).toEqual(['#']);
  });

  it('a key from the meeting goes out as RFC 4733 when negotiated, else as INFO dtmf-relay, in order', async () => {
    const a = relay();
    a.leg.emit('dtmf-request', '7', 200, 'p1');
    expect(a.media.sent).toEqual(['7']);
    expect(a.infos).toEqual([]);
    const b = relay();
    b.media.canSendRfc4733 = false;
    b.leg.emit('dtmf-request', '1', 120, 'p1');
    b.leg.emit('dtmf-request', '#', undefined, 'p1');
    b.leg.emit('dtmf-request', 'x', undefined, 'p1'); // not a key: refused
    await expect.poll(() => b.infos.length).toBe(2);
    expect(b.infos).toEqual(['application/dtmf-relay|Signal=1\r\nDuration=120\r\n', 'application/dtmf-relay|Signal=#\r\nDuration=160\r\n']);
    expect(b.r.stats().toRoom).toEqual({ rfc4733: 0, info: 2, refused: 1 });
  });

  it('after close nothing more is relayed', () => {
    const { r, media, leg } = relay();
    r.close();
    media.emit('dtmf', '1', 100, 0);
    leg.emit('dtmf-request', '2', 100, 'p');
    expect(leg.toMeeting).toEqual([]);
    expect(media.sent).toEqual([]);
  });
});
