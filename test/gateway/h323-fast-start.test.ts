// gateway/h323/olc.ts: fastStart proposals read, one pair chosen per media type (H.323 8.1.7.1),
// answers built with our addresses; Erlang's independent asn1 codec decodes each answer to the
// OpenLogicalChannel we meant.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { h323Codec, type AsnType, type MediaCapability } from '../../h323/asn1/index.ts';
import { answerFromRoom, answerToRoom, chooseFastStart, proposeFastStart, readFastStartChannel, type FastStartChannel } from '../../gateway/h323/olc.ts';
import { carriesCodec, negotiatedMedia, rtcpOf } from '../../gateway/h323/h323-media.ts';
import { ErlangAsn1Peer } from '../h323/erlang/erlang-peer.ts';
import { parseTerm } from '../h323/erlang/term.ts';
import { ErlangValueMapping } from '../h323/erlang/value-mapping.ts';

const room = { rtp: { ip: '127.0.0.2', port: 30000 }, rtcp: { ip: '127.0.0.2', port: 30001 } };
const ULAW: MediaCapability = { codec: 'g711Ulaw64k', framesPerPacket: 20 };
const ALAW: MediaCapability = { codec: 'g711Alaw64k', framesPerPacket: 30 };
const G729 = 'g729'; // no builder: proposed below as raw bytes
const H264: MediaCapability = { codec: 'h264', maxBitRate: 3840, profile: 64, level: 43 };

function read(list: Uint8Array[]): FastStartChannel[] {
  return list.map((b, i) => readFastStartChannel(b, i)).filter((c): c is FastStartChannel => c !== undefined);
}

describe('fastStart proposals', () => {
  it('reads direction, media, session and the room\'s addresses', () => {
    const [f, t] = read([
      proposeFastStart({ direction: 'fromRoom', channel: 5, media: ULAW, sessionId: 1, ...room }),
      proposeFastStart({ direction: 'toRoom', channel: 6, media: H264, sessionId: 2, payloadType: 97, ...room }),
    ]);
    expect(f).toMatchObject({ index: 0, channel: 5, direction: 'fromRoom', kind: 'audio', media: ULAW, sessionId: 1, mediaControlChannel: room.rtcp });
    expect(f!.mediaChannel).toBeUndefined();
    expect(t).toMatchObject({ index: 1, channel: 6, direction: 'toRoom', kind: 'video', media: H264, sessionId: 2, mediaChannel: room.rtp, payloadType: 97 });
  });

  it('ignores undecodable elements and codecs it has no reading for', () => {
    expect(readFastStartChannel(new Uint8Array([0xff, 0x00, 0x13]), 0)).toBeUndefined();
    const codec = h323Codec();
    const g729 = codec.encode('MULTIMEDIA-SYSTEM-CONTROL.OpenLogicalChannel', {
      forwardLogicalChannelNumber: 1,
      forwardLogicalChannelParameters: {
        dataType: { type: 'audioData', value: { type: G729, value: 2 } },
        multiplexParameters: { type: 'h2250LogicalChannelParameters', value: { sessionID: 1 } },
      },
    });
    expect(readFastStartChannel(g729, 0)).toBeUndefined();
  });

  it('accepts one pair per media type, the first toRoom proposal with a same-codec fromRoom partner, in the room\'s order', () => {
    const channels = read([
      proposeFastStart({ direction: 'toRoom', channel: 10, media: ALAW, sessionId: 1, ...room }), // no A-law fromRoom: skipped
      proposeFastStart({ direction: 'fromRoom', channel: 11, media: ULAW, sessionId: 1, ...room }),
      proposeFastStart({ direction: 'toRoom', channel: 12, media: ULAW, sessionId: 1, ...room }),
      proposeFastStart({ direction: 'fromRoom', channel: 13, media: { ...ULAW, framesPerPacket: 30 }, sessionId: 1, ...room }),
      proposeFastStart({ direction: 'fromRoom', channel: 14, media: H264, sessionId: 2, payloadType: 96, ...room }),
      proposeFastStart({ direction: 'toRoom', channel: 15, media: H264, sessionId: 2, payloadType: 96, ...room }),
    ]);
    const chosen = chooseFastStart(channels, carriesCodec);
    expect([chosen.audio?.fromRoom.channel, chosen.audio?.toRoom.channel]).toEqual([11, 12]);
    expect([chosen.video?.fromRoom.channel, chosen.video?.toRoom.channel]).toEqual([14, 15]);
    expect(chooseFastStart(channels, (m) => m.codec === 'h264').audio).toBeUndefined();
    expect(negotiatedMedia({ media: chosen.audio!.toRoom.media, rtp: chosen.audio!.toRoom.mediaChannel! }, { media: H264, rtp: room.rtp, payloadType: 96 }))
      .toEqual({
        address: '127.0.0.2',
        audio: { port: 30000, payloadType: 0, codec: 'PCMU', clockRate: 8000, channels: 1, ptimeMs: 20 },
        // maxBitRate 3840 × 100 bit/s (H.245 units) → the room's video limit (simulcast layer choice)
        video: { port: 30000, payloadType: 96, codec: 'H264', fmtp: 'packetization-mode=1', maxBitrateBps: 384_000 },
      });
  });

  it('the room\'s announced RTCP address (mediaControlChannel) becomes its RTCP port; one on another host is left to port + 1 and latching', () => {
    const [toRoom] = read([proposeFastStart({ direction: 'toRoom', channel: 12, media: ULAW, sessionId: 1, rtp: room.rtp, rtcp: { ip: room.rtp.ip, port: 30007 } })]);
    const desc = negotiatedMedia({ media: ULAW, rtp: toRoom!.mediaChannel!, ...rtcpOf(toRoom!) }, { media: H264, rtp: room.rtp, rtcp: { ip: room.rtp.ip, port: 30009 } });
    expect(desc.audio?.rtcpPort).toBe(30007);
    expect(desc.video?.rtcpPort).toBe(30009);
    expect(negotiatedMedia({ media: ULAW, rtp: room.rtp, rtcp: { ip: '127.0.0.3', port: 30007 } }).audio?.rtcpPort).toBeUndefined();
    expect(negotiatedMedia({ media: ULAW, rtp: room.rtp }).audio?.rtcpPort).toBeUndefined();
  });
});

describe('fastStart answers, decoded by Erlang asn1', () => {
  const codec = h323Codec();
  const mapping = new ErlangValueMapping(codec.schema);
  const t = codec.typeRef('MULTIMEDIA-SYSTEM-CONTROL.OpenLogicalChannel') as Extract<AsnType, { kind: 'ref' }>;
  let peer: ErlangAsn1Peer;
  beforeAll(() => { peer = ErlangAsn1Peer.start(); }, 120_000);
  afterAll(() => peer?.close());

  const gw = { rtp: { ip: '127.0.0.1', port: 40000 }, rtcp: { ip: '127.0.0.1', port: 40001 } };
  const addr = (a: { ip: string; port: number }) => ({ type: 'unicastAddress', value: { type: 'iPAddress', value: { network: Uint8Array.from(a.ip.split('.').map(Number)), tsapIdentifier: a.port } } });

  it('fromRoom: the forward parameters carry our RTP and RTCP addresses', async () => {
    const [p] = read([proposeFastStart({ direction: 'fromRoom', channel: 11, media: ULAW, sessionId: 1, ...room })]);
    const answer = answerFromRoom(p!, gw);
    const theirs = mapping.fromErlang(t, parseTerm(await peer.decode(t.ref, answer))) as Record<string, unknown>;
    expect(theirs).toEqual({
      forwardLogicalChannelNumber: 11,
      forwardLogicalChannelParameters: {
        dataType: { type: 'audioData', value: { type: 'g711Ulaw64k', value: 20 } },
        multiplexParameters: { type: 'h2250LogicalChannelParameters', value: { sessionID: 1, mediaChannel: addr(gw.rtp), mediaControlChannel: addr(gw.rtcp) } },
      },
    });
    expect(readFastStartChannel(answer, 0)).toMatchObject({ direction: 'fromRoom', mediaChannel: gw.rtp, mediaControlChannel: gw.rtcp });
  });

  it('toRoom: our channel number, the room\'s RTP address kept, our RTCP address in the reverse parameters', async () => {
    const [p] = read([proposeFastStart({ direction: 'toRoom', channel: 12, media: ULAW, sessionId: 1, ...room })]);
    const answer = answerToRoom(p!, { channel: 101, rtcp: gw.rtcp });
    const theirs = mapping.fromErlang(t, parseTerm(await peer.decode(t.ref, answer))) as Record<string, unknown>;
    expect(theirs).toEqual({
      forwardLogicalChannelNumber: 101,
      forwardLogicalChannelParameters: { dataType: { type: 'nullData', value: null }, multiplexParameters: { type: 'none', value: null } },
      reverseLogicalChannelParameters: {
        dataType: { type: 'audioData', value: { type: 'g711Ulaw64k', value: 20 } },
        multiplexParameters: { type: 'h2250LogicalChannelParameters', value: { sessionID: 1, mediaChannel: addr(room.rtp), mediaControlChannel: addr(gw.rtcp) } },
      },
    });
  });
});
