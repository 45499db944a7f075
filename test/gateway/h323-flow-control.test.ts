// H.245 FlowControlCommand → the limit on the video the gateway sends a room.
import { describe, expect, it } from 'vitest';
import { videoLimitFromFlowControl } from '../../gateway/h323/h323-media.ts';

const OUR_VIDEO = 102;

describe('videoLimitFromFlowControl (H.245 FlowControlCommand scope and restriction)', () => {
  it('our video channel: maximumBitRate is in units of 100 bit/s', () => {
    expect(videoLimitFromFlowControl({ scope: 'logicalChannelNumber', channel: OUR_VIDEO, maximumBitRate: 2560 }, OUR_VIDEO)).toBe(256_000);
  });

  it('our video channel with noRestriction lifts the limit', () => {
    expect(videoLimitFromFlowControl({ scope: 'logicalChannelNumber', channel: OUR_VIDEO }, OUR_VIDEO)).toBeUndefined();
  });

  it('another channel (our audio) does not limit the video', () => {
    expect(videoLimitFromFlowControl({ scope: 'logicalChannelNumber', channel: 101, maximumBitRate: 640 }, OUR_VIDEO)).toBe('ignore');
  });

  it('wholeMultiplex: video gets what our 64 kbit/s audio leaves, never below zero', () => {
    expect(videoLimitFromFlowControl({ scope: 'wholeMultiplex', maximumBitRate: 3840 }, OUR_VIDEO)).toBe(320_000);
    expect(videoLimitFromFlowControl({ scope: 'wholeMultiplex', maximumBitRate: 100 }, OUR_VIDEO)).toBe(0);
    expect(videoLimitFromFlowControl({ scope: 'wholeMultiplex' }, OUR_VIDEO)).toBeUndefined();
  });

  it('resourceID (H.245 for multiplexes we do not use) is ignored', () => {
    expect(videoLimitFromFlowControl({ scope: 'resourceID', maximumBitRate: 10 }, OUR_VIDEO)).toBe('ignore');
  });
});
