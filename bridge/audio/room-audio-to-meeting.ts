import { randomInt } from 'node:crypto';
import { parseRtpHeader, rtpPayloadType, rtpSequence, rtpTimestamp, setRtpPayloadType, writeRtpHeader, RTP_HEADER_SIZE } from '../../rtp/index.ts';
import type { AudioCodecName } from '../negotiated-media.ts';
import { g711Decode, type G711Law } from './g711.ts';
import { OPUS_FRAME_SAMPLES, OpusAudioEncoder } from './opus-codec.ts';
import { Upsampler8to48, floatToInt16 } from './resampler.ts';

/** Payload type the bridge uses toward the cloud leg for Opus (the leg may rewrite it). */
export const CLOUD_OPUS_PT = 111;
const FRAME_8K = 160; // 20 ms at 8 kHz
const MAX_PAYLOAD = 1500;
/** Timestamp jumps beyond this (8 kHz samples, 2 s) are a restart of the room's stream. */
const MAX_GAP_8K = 16000;
/** RFC 3551 4.5.14: comfort noise payload type. */
const PT_CN = 13;

export interface RoomAudioToMeetingOptions {
  codec: AudioCodecName;
  payloadType: number;
  telephoneEventPt?: number;
  /** Hands a finished Opus RTP packet (ownership passes) to the cloud. */
  send: (rtp: Buffer) => void;
  /** Called for input that had to be dropped: key names the reason. */
  onDrop: (key: 'unexpected-pt' | 'late' | 'oversize', detail: object) => void;
}

/**
 * room → meeting audio: G.711 RTP from the terminal is decoded, upsampled 8 → 48 kHz,
 * regrouped into 20 ms frames (terminals may send 10/30/40 ms) and Opus-encoded into RTP with
 * its own sequence numbers and 48 kHz timestamps. The room's timestamps drive ours, so silence
 * suppression gaps stay gaps (RFC 3550 5.1) and the first packet after one carries the marker
 * (RFC 3551 4.1). An Opus room is passed through with the payload type rewritten.
 */
export class RoomAudioToMeeting {
  private readonly law: G711Law | undefined;
  private readonly encoder: OpusAudioEncoder | undefined;
  private readonly upsampler = new Upsampler8to48();
  private readonly fifo = new Int16Array(FRAME_8K + MAX_PAYLOAD);
  private fifoSize = 0;
  /** Room timestamp of fifo[0]; undefined before the first packet. */
  private headTs: number | undefined;
  private readonly up48 = new Float32Array(OPUS_FRAME_SAMPLES);
  private readonly pcm48 = new Int16Array(OPUS_FRAME_SAMPLES);
  private readonly ssrc = randomInt(1, 0xffffffff);
  private seq = randomInt(0, 0x10000);
  private outTs = randomInt(0, 0xffffffff);
  private marker = true;
  framesEncoded = 0;
  /** Packets ignored by design (CN, telephone-event: DTMF translation is not done yet). */
  ignored = 0;

  constructor(private readonly opts: RoomAudioToMeetingOptions) {
    if (opts.codec === 'opus') {
      this.law = undefined;
      this.encoder = undefined;
    } else {
      this.law = opts.codec;
      this.encoder = new OpusAudioEncoder();
    }
  }

  /** One validated RTP packet from the room's audio port. Ownership passes in. */
  onRoomRtp(buf: Buffer): void {
    const pt = rtpPayloadType(buf);
    if (pt !== this.opts.payloadType) {
      if (pt === PT_CN || pt === this.opts.telephoneEventPt) {
        this.ignored++;
        return;
      }
      this.opts.onDrop('unexpected-pt', { payloadType: pt, expected: this.opts.payloadType });
      return;
    }
    if (!this.law) {
      setRtpPayloadType(buf, CLOUD_OPUS_PT); // the cloud leg rewrites SSRC
      this.opts.send(buf);
      return;
    }
    const layout = parseRtpHeader(buf);
    const start = layout.payloadOffset;
    const end = buf.length - layout.paddingLength;
    const n = end - start;
    if (n <= 0) return;
    if (n > MAX_PAYLOAD) {
      this.opts.onDrop('oversize', { bytes: n });
      return;
    }
    if (!this.acceptTimestamp(rtpTimestamp(buf), rtpSequence(buf))) return;
    g711Decode(this.law, buf.subarray(start, end), this.fifo, this.fifoSize);
    this.fifoSize += n;
    this.drainFrames();
  }

  /** Place a packet with timestamp `ts` in the FIFO's timeline; false if it must be dropped. */
  private acceptTimestamp(ts: number, seq: number): boolean {
    if (this.headTs === undefined) {
      this.headTs = ts;
      return true;
    }
    const expected = (this.headTs + this.fifoSize) >>> 0;
    const diff = (ts - expected) | 0; // signed distance, wrap-safe (RFC 3550 A.1)
    if (diff === 0) return true;
    if (diff < 0 && diff > -MAX_GAP_8K) {
      this.opts.onDrop('late', { seq, behindSamples: -diff }); // duplicate or reordered
      return false;
    }
    // A gap (silence suppression, loss) or a restart of the room's stream: finish the partial
    // frame with silence, advance our timestamp by the rest of the gap, mark the talkspurt
    // start (RFC 3551 4.1).
    let padded = 0;
    if (this.fifoSize > 0) {
      padded = FRAME_8K - this.fifoSize;
      this.fifo.fill(0, this.fifoSize, FRAME_8K);
      this.fifoSize = FRAME_8K;
      this.drainFrames();
    }
    const isGap = diff > 0 && diff < MAX_GAP_8K;
    if (isGap) this.outTs = (this.outTs + Math.max(0, diff - padded) * 6) >>> 0;
    this.headTs = ts;
    this.fifoSize = 0;
    this.marker = true;
    return true;
  }

  private drainFrames(): void {
    let off = 0;
    while (this.fifoSize - off >= FRAME_8K) {
      this.upsampler.process(this.fifo, off, FRAME_8K, this.up48, 0);
      floatToInt16(this.up48, 0, OPUS_FRAME_SAMPLES, this.pcm48, 0);
      const payload = this.encoder!.encode(this.pcm48, 0);
      const pkt = Buffer.allocUnsafe(RTP_HEADER_SIZE + payload.length); // ownership passes to the leg
      writeRtpHeader(pkt, CLOUD_OPUS_PT, this.marker, this.seq, this.outTs, this.ssrc);
      payload.copy(pkt, RTP_HEADER_SIZE);
      this.marker = false;
      this.seq = (this.seq + 1) & 0xffff;
      this.outTs = (this.outTs + OPUS_FRAME_SAMPLES) >>> 0;
      this.framesEncoded++;
      off += FRAME_8K;
      this.opts.send(pkt);
    }
    if (off > 0) {
      this.fifo.copyWithin(0, off, this.fifoSize);
      this.fifoSize -= off;
      this.headTs = ((this.headTs ?? 0) + off) >>> 0;
    }
  }
}
