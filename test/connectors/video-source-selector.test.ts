import { describe, expect, it } from 'vitest';
import { VideoSourceSelector } from '../../gateway/connectors/mediasoup-meeting/video-source-selector.ts';

describe('VideoSourceSelector: the most recently joined peer with video, sticky until it goes', () => {
  it('chooses the most recently joined peer that has video, never itself', () => {
    const s = new VideoSourceSelector('me');
    s.peerJoined('a');
    s.peerJoined('b');
    s.peerJoined('c'); // no video
    s.videoProducerAdded('a', 'pa');
    s.videoProducerAdded('b', 'pb');
    s.videoProducerAdded('me', 'mine');
    expect(s.select()).toEqual({ peerId: 'b', producerId: 'pb' });
  });

  it('keeps its choice when a newer peer starts video, switches when the chosen peer leaves', () => {
    const s = new VideoSourceSelector('me');
    s.videoProducerAdded('a', 'pa');
    expect(s.select()?.peerId).toBe('a');
    s.videoProducerAdded('b', 'pb');
    expect(s.select()?.peerId).toBe('a');
    s.peerLeft('a');
    expect(s.current).toBeUndefined();
    expect(s.select()).toEqual({ peerId: 'b', producerId: 'pb' });
  });

  it('switches when the chosen producer closes, and has no choice when no video is left', () => {
    const s = new VideoSourceSelector('me');
    s.videoProducerAdded('a', 'pa');
    s.videoProducerAdded('b', 'pb');
    expect(s.select()?.producerId).toBe('pb');
    s.videoProducerClosed('pb');
    expect(s.select()?.producerId).toBe('pa');
    s.videoProducerClosed('pa');
    expect(s.select()).toBeUndefined();
  });
});

describe('VideoSourceSelector: voice-activated switching', () => {
  it('switches to an active speaker that has video; ignores speakers without video and itself', () => {
    const s = new VideoSourceSelector('me');
    s.videoProducerAdded('a', 'pa');
    s.videoProducerAdded('b', 'pb');
    s.peerJoined('c'); // audio only
    s.videoProducerAdded('me', 'mine');
    expect(s.select()?.peerId).toBe('b');
    expect(s.speakerChanged('a')).toEqual({ peerId: 'a', producerId: 'pa' });
    expect(s.select()?.peerId).toBe('a');
    expect(s.speakerChanged('a')).toBeUndefined(); // already shown
    expect(s.speakerChanged('c')).toBeUndefined(); // no video: keep showing a
    expect(s.speakerChanged('me')).toBeUndefined(); // the room speaking: never its own video
    expect(s.speakerChanged('unknown')).toBeUndefined();
    expect(s.current?.peerId).toBe('a');
    expect(s.speakerChanged('b')?.producerId).toBe('pb');
  });
});
