import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { CloudMediaPort, CloudMediaPortEvents } from '../../bridge/index.ts';

// Type-level check: a typed EventEmitter subclass satisfies the contract (tsc verifies).
class LegLike extends EventEmitter<CloudMediaPortEvents> implements CloudMediaPort {
  sent: Buffer[] = [];
  sendAudio(rtp: Buffer): void { this.sent.push(rtp); }
  sendVideo(rtp: Buffer): void { this.sent.push(rtp); }
  requestKeyframe(): void {}
}

describe('CloudMediaPort contract', () => {
  it('is implementable by a typed EventEmitter and delivers audio events with sourceId', () => {
    const leg: CloudMediaPort = new LegLike();
    const got: string[] = [];
    leg.on('audio', (sourceId, rtp) => got.push(`${sourceId}:${rtp.length}`));
    (leg as LegLike).emit('audio', 'p1', Buffer.alloc(3));
    expect(got).toEqual(['p1:3']);
  });
});

// A plain (untyped) EventEmitter subclass satisfies the contract too.
class UntypedLeg extends EventEmitter implements CloudMediaPort {
  sendAudio(): void {}
  sendVideo(): void {}
  requestKeyframe(): void {}
}

describe('CloudMediaPort contract (untyped emitter)', () => {
  it('delivers keyframe-request through an untyped EventEmitter', () => {
    const leg: CloudMediaPort = new UntypedLeg();
    let n = 0;
    leg.on('keyframe-request', () => n++);
    (leg as UntypedLeg).emit('keyframe-request');
    expect(n).toBe(1);
  });
});
