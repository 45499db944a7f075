// Issue #4: "Toward the cloud … simulcast/SVC layer chosen to fit the room's negotiated bandwidth".
// A Chromium participant publishes its camera as three H.264 simulcast layers (320×180, 640×360,
// 1280×720). Two rooms join the meeting at the same time:
// - a SIP room whose SDP offer says b=TIAS:256000 on its video m-line (written by hand here:
//   baresip 1.0.0 writes no b= line) must receive the low layer;
// - a baresip room, stating no limit, must receive the top layer;
// - a hand-written room without a limit that then sends RTCP TMMBR 600 kbit/s (RFC 5104 4.2.1)
//   must move from the top layer to the middle one, and get a TMMBN back.
// Checked by the leg's choice, by the layer mediasoup forwards to each gateway consumer
// (currentLayers, GET /api/rooms), by tshark reading the SPS of the H.264 each room received
// (pic_width_in_mbs_minus1: 19 → 320 px, 39 → 640 px, 79 → 1280 px), and by baresip's decoder.
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBaresip, type Baresip } from '../helpers/baresip.ts';
import { openParticipant, type Participant } from '../helpers/browser-participant.ts';
import { LoopbackCapture } from '../helpers/rtp-capture.ts';
import { ReceiverReport, TemporaryMaxBitrateNotification, TemporaryMaxBitrateRequest, decodeRtcpCompound } from '../../rtp/index.ts';
import { startHarness, type Harness } from './harness.ts';
import { RawSipClient } from './raw-sip.ts';

const ROOM = 'simulcast';
const MEDIA_PORTS = { min: 42500, max: 42599 };
let h: Harness;
let publisher: Participant;
let baresip: Baresip;
let limited: SdpRoom;
let tmmbrRoom: SdpRoom;
let capture: LoopbackCapture;
let tmmbrAtMs = 0;
let tmmbrPort = 0;

interface SendLayer { rid?: string; frameWidth?: number; frameHeight?: number; bytesSent: number; codec?: string; encoderImplementation?: string }
interface ConsumerView { peerId: string; type: string; currentLayers: { spatialLayer: number } | null }

/**
 * A SIP room written by hand: raw SIP over UDP, UDP sockets standing for its audio and video
 * receivers and its video RTCP. It may state its video bandwidth in SDP (RFC 3890 b=TIAS) and
 * send TMMBR (RFC 5104 4.2.1).
 */
class SdpRoom {
  videoBytes = 0;
  videoPackets = 0;
  /** SSRC of the video the gateway sends us. */
  gatewaySsrc: number | undefined;
  gatewayVideoPort = 0;
  readonly tmmbn: TemporaryMaxBitrateNotification[] = [];
  private constructor(
    private readonly sip: RawSipClient,
    private readonly audio: Socket,
    private readonly video: Socket,
    private readonly rtcp: Socket,
  ) {
    video.on('message', (m) => {
      this.videoBytes += m.length;
      this.videoPackets++;
      if (m.length >= 12 && m[1]! < 200) this.gatewaySsrc ??= m.readUInt32BE(8);
    });
    audio.on('message', () => {});
    rtcp.on('message', (m) => {
      try {
        for (const p of decodeRtcpCompound(m)) if (p instanceof TemporaryMaxBitrateNotification) this.tmmbn.push(p);
      } catch {
        // our SRs and RRs are well formed; nothing else is expected here
      }
    });
  }

  static async open(): Promise<SdpRoom> {
    const bind = async () => {
      const s = createSocket('udp4');
      await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
      return s;
    };
    return new SdpRoom(await RawSipClient.open(), await bind(), await bind(), await bind());
  }

  /** RR + TMMBR for the gateway's video SSRC, from our RTCP socket (which the gateway latches). */
  sendTmmbr(bitrateBps: number): void {
    if (this.gatewaySsrc === undefined) throw new Error('no video from the gateway yet');
    const ours = 0x5eed;
    const pkt = Buffer.concat([
      new ReceiverReport(ours).encode(),
      new TemporaryMaxBitrateRequest(ours, [{ ssrc: this.gatewaySsrc, bitrateBps, overheadBytes: 40 }]).encode(),
    ]);
    this.rtcp.send(pkt, this.gatewayVideoPort + 1, '127.0.0.1');
  }

  get videoPort(): number {
    return this.video.address().port;
  }

  /** INVITE (with b=TIAS on the video m-line when given), then the 2xx ACK (RFC 3261 13.2.2.4). */
  async call(ruri: string, gatewayPort: number, tias?: number): Promise<void> {
    const sdp = [
      'v=0', 'o=limited 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0',
      `m=audio ${this.audio.address().port} RTP/AVP 0`, 'a=rtpmap:0 PCMU/8000', 'a=sendrecv',
      `m=video ${this.videoPort} RTP/AVP 96`, ...(tias ? [`b=TIAS:${tias}`] : []), 'a=rtpmap:96 H264/90000',
      'a=fmtp:96 packetization-mode=1;profile-level-id=42e01f', 'a=rtcp-fb:96 nack pli', 'a=sendrecv', '',
    ].join('\r\n');
    const invite = this.sip.invite({ ruri, sdp });
    await this.sip.send(invite.text, gatewayPort);
    const ok = await this.sip.finalResponse(invite.callId, 20_000);
    if (ok.status !== 200) throw new Error(`the gateway answered ${ok.status}`);
    this.gatewayVideoPort = Number(/^m=video (\d+)/m.exec(ok.text)?.[1] ?? 0);
    const contact = /<([^>]+)>/.exec(ok.header('contact') ?? '')?.[1] ?? ruri;
    const line = (name: string) => new RegExp(`^${name}:.*$`, 'mi').exec(invite.text)![0];
    const ack = [
      `ACK ${contact} SIP/2.0`, `Via: SIP/2.0/UDP 127.0.0.1:${this.sip.port};branch=z9hG4bK${randomBytes(6).toString('hex')};rport`,
      'Max-Forwards: 70', line('From'), `To: ${ok.header('to')}`, line('Call-ID'), 'CSeq: 1 ACK', 'Content-Length: 0', '', '',
    ].join('\r\n');
    await this.sip.send(ack, gatewayPort);
  }

  close(): void {
    this.sip.close();
    this.audio.close();
    this.video.close();
    this.rtcp.close();
  }
}

beforeAll(async () => {
  h = await startHarness({ mediaPorts: MEDIA_PORTS });
  publisher = await openParticipant({ meetingUrl: h.meeting.url, room: ROOM, name: 'Presenter', tone: 500, simulcast: true });
  // everything the gateway sends from its media ports (to both rooms), with room for an SPS
  capture = await LoopbackCapture.start(`udp and src portrange ${MEDIA_PORTS.min}-${MEDIA_PORTS.max}`, 160);
});

afterAll(async () => {
  await capture?.stop().catch(() => undefined);
  await baresip?.stop().catch(() => undefined);
  limited?.close();
  tmmbrRoom?.close();
  await publisher?.close();
  await h?.close();
});

function sendLayers(): Promise<SendLayer[]> {
  return publisher.page.evaluate(() => window.roomgateTest!.videoSendStats());
}

/** Each gateway leg's video consumer in the meeting (mediasoup's view), by the leg's peer id. */
async function gatewayConsumers(): Promise<Map<string, ConsumerView>> {
  const list = (await (await fetch(new URL('/api/rooms', h.meeting.url))).json()) as { roomId: string; peers: { peerId: string; kind: string }[]; videoConsumers: ConsumerView[] }[];
  const room = list.find((r) => r.roomId === ROOM);
  const gatewayPeers = new Set(room?.peers.filter((p) => p.kind === 'gateway').map((p) => p.peerId));
  return new Map(room?.videoConsumers.filter((c) => gatewayPeers.has(c.peerId)).map((c) => [c.peerId, c]));
}

async function presenterPeerId(): Promise<string> {
  const list = (await (await fetch(new URL('/api/rooms', h.meeting.url))).json()) as { roomId: string; peers: { peerId: string; displayName: string }[] }[];
  const peer = list.find((r) => r.roomId === ROOM)?.peers.find((p) => p.displayName === 'Presenter');
  if (!peer) throw new Error('the presenter is not in the meeting');
  return peer.peerId;
}

/** The gateway call of the room that stated a video limit in its SDP (or of baresip, which did not). */
function callWithLimit(limited: boolean) {
  const call = h.gateway.activeCalls().find((c) => (c.media?.videoBitrateLimit?.sdpBps !== undefined) === limited && c.caller.includes(limited ? 'probe' : 'room-unlimited'));
  if (!call?.meeting) throw new Error(`no ${limited ? 'limited' : 'unlimited'} call with a meeting leg`);
  return call;
}

describe('simulcast layer toward a room, chosen from its negotiated bandwidth', () => {
  it('Chromium publishes three H.264 simulcast layers (OpenH264)', async () => {
    await expect.poll(async () => (await sendLayers()).filter((l) => (l.frameWidth ?? 0) > 0 && l.bytesSent > 0).length, { timeout: 45_000, interval: 500 }).toBe(3); // the top layer waits for bandwidth estimation and CPU
    const layers = await sendLayers();
    console.log(`publisher layers: ${layers.map((l) => `${l.rid} ${l.frameWidth}x${l.frameHeight} ${l.codec} ${l.encoderImplementation}`).join(', ')}`);
    expect(layers.every((l) => l.codec === 'video/H264')).toBe(true);
    expect(layers.map((l) => l.frameWidth).sort((a, b) => a! - b!)).toEqual([320, 640, 1280]);
  });

  it('both rooms join: the b=TIAS:256000 room is given layer 0, the room without a limit keeps the top layer', async () => {
    const uri = h.dialUri(ROOM);
    const sipPort = Number(/:(\d+)(?:[;>]|$)/.exec(uri)![1]);
    limited = await SdpRoom.open();
    await limited.call(uri, sipPort, 256_000);
    baresip = await startBaresip({ timeoutMs: 20_000, tone: 300, codecs: ['PCMU/8000/1'], video: true, videoCodecs: ['H264'], user: 'room-unlimited' });
    await baresip.dial(uri);
    await baresip.waitFor('CALL_ESTABLISHED');
    await expect.poll(() => h.gateway.activeCalls().filter((c) => c.meeting?.state === 'connected').length, { timeout: 15_000 }).toBe(2);

    // stats are snapshots from the media thread (gateway/media-plane): poll
    await expect.poll(() => h.gateway.activeCalls().find((c) => c.media?.videoBitrateLimit?.sdpBps !== undefined)?.media?.videoBitrateLimit, { timeout: 10_000 })
      .toMatchObject({ sdpBps: 256_000, limitBps: 256_000 });
    const low = callWithLimit(true);
    await expect.poll(() => callWithLimit(true).meeting?.videoLayer, { timeout: 15_000, interval: 200 })
      .toMatchObject({ limitBps: 256_000, spatialLayer: 0, layerBitrates: [150_000, 500_000, 1_500_000] });
    // each leg shows the active speaker, the presenter (at join a leg may first take another room's video)
    const presenterId = await presenterPeerId();
    await expect.poll(() => callWithLimit(false).meeting?.videoSourcePeerId, { timeout: 15_000, interval: 200 }).toBe(presenterId);
    await expect.poll(() => callWithLimit(true).meeting?.videoSourcePeerId, { timeout: 15_000, interval: 200 }).toBe(presenterId);
    const top = callWithLimit(false);
    // no limit stated: the bridge says so on attach (Infinity) and the leg moves from its cautious start to the top
    await expect.poll(() => callWithLimit(false).meeting?.videoLayer, { timeout: 10_000 }).toMatchObject({ limitBps: Number.POSITIVE_INFINITY, spatialLayer: 2 });

    // mediasoup forwards layer 0 to one leg and layer 2 to the other
    const lowPeer = low.meeting!.peerId;
    const topPeer = top.meeting!.peerId;
    await expect.poll(async () => (await gatewayConsumers()).get(lowPeer)?.currentLayers?.spatialLayer, { timeout: 15_000, interval: 300 }).toBe(0);
    await expect.poll(async () => (await gatewayConsumers()).get(topPeer)?.currentLayers?.spatialLayer, { timeout: 20_000, interval: 300 }).toBe(2);
  });

  it('a room without a limit that sends TMMBR 600 kbit/s moves from the top layer to the middle one, and gets a TMMBN', async () => {
    tmmbrRoom = await SdpRoom.open();
    const before = new Set(h.gateway.activeCalls().map((c) => c.callId));
    await tmmbrRoom.call(h.dialUri(ROOM), Number(/:(\d+)(?:[;>]|$)/.exec(h.dialUri(ROOM))![1]));
    const call = () => h.gateway.activeCalls().find((c) => !before.has(c.callId));
    await expect.poll(() => call()?.meeting?.state, { timeout: 15_000 }).toBe('connected');
    await expect.poll(() => call()?.meeting?.videoLayer.limitBps, { timeout: 10_000 }).toBe(Number.POSITIVE_INFINITY);
    const peer = call()!.meeting!.peerId;
    await expect.poll(() => call()?.meeting?.videoSourcePeerId, { timeout: 15_000, interval: 200 }).toBe(await presenterPeerId());
    await expect.poll(async () => (await gatewayConsumers()).get(peer)?.currentLayers?.spatialLayer, { timeout: 20_000, interval: 300 }).toBe(2);
    await expect.poll(() => tmmbrRoom.gatewaySsrc, { timeout: 10_000 }).toBeDefined();
    tmmbrAtMs = Date.now();
    tmmbrRoom.sendTmmbr(600_000);
    await expect.poll(() => tmmbrRoom.tmmbn.length, { timeout: 10_000 }).toBeGreaterThan(0);
    // RFC 5104 4.2.2.1: the TMMBN names the requester as the owner of the tuple it honours
    expect(tmmbrRoom.tmmbn[0]!.entries).toEqual([{ ssrc: 0x5eed, bitrateBps: 600_000, overheadBytes: 40 }]);
    await expect.poll(() => call()?.media?.videoBitrateLimit, { timeout: 5_000 }).toMatchObject({ tmmbrBps: 600_000, limitBps: 600_000 });
    await expect.poll(() => call()?.meeting?.videoLayer.spatialLayer, { timeout: 10_000 }).toBe(1);
    await expect.poll(async () => (await gatewayConsumers()).get(peer)?.currentLayers?.spatialLayer, { timeout: 15_000, interval: 300 }).toBe(1);
    tmmbrPort = tmmbrRoom.videoPort;
    await expect.poll(() => tmmbrRoom.videoPackets, { timeout: 10_000 }).toBeGreaterThan(200);
  });

  it('the rooms receive those layers: baresip decodes 1280×720, and the SPS each room got says 320, 1280, and 1280 then 640 px wide', async () => {
    await baresip.waitForDecodedFrames(20);
    await expect.poll(async () => (await baresip.videoStats()).receivedSize, { timeout: 15_000, interval: 300 }).toBe('1280 x 720');
    await expect.poll(() => limited.videoPackets, { timeout: 10_000 }).toBeGreaterThan(50);
    const rows = await capture.stopAndDissect({
      prefs: ['rtp.heuristic_rtp:TRUE'], // both rooms' video ports, whatever baresip chose
      decodeAs: ['rtp.pt==96,h264'],
      displayFilter: 'h264.pic_width_in_mbs_minus1',
      fields: ['udp.dstport', 'h264.pic_width_in_mbs_minus1', 'h264.pic_height_in_map_units_minus1', 'frame.time_epoch'],
    });
    // the TMMBR room: 1280 wide before its request; after it, once the switch is done, 640
    const toTmmbrRoom = rows.filter((r) => Number(r[0]) === tmmbrPort);
    const widthOf = (r: string[]) => (Number(r[1]) + 1) * 16;
    expect(toTmmbrRoom.filter((r) => Number(r[3]) * 1000 < tmmbrAtMs).map(widthOf)).toContain(1280);
    const after = toTmmbrRoom.filter((r) => Number(r[3]) * 1000 > tmmbrAtMs).map(widthOf);
    expect(after.at(-1), 'the last SPS the TMMBR room got').toBe(640);
    // H.264 7.4.2.1.1: width = (pic_width_in_mbs_minus1 + 1) · 16
    const widthsTo = (port: (p: number) => boolean) => [...new Set(rows.filter((r) => port(Number(r[0]))).map(widthOf))];
    const widths = widthsTo((p) => p === limited.videoPort);
    expect(widths, 'SPS widths sent to the b=TIAS:256000 room').toEqual([320]);
    expect(widthsTo((p) => p !== limited.videoPort && p !== tmmbrPort), 'SPS widths sent to baresip').toContain(1280);
    console.log(`limited room: ${limited.videoPackets} video packets, ${limited.videoBytes} bytes; SPS widths ${[...widths].join(', ')}`);
  });
});
