import { randomInt } from 'node:crypto';
import { parseRtpHeader, rtpPayloadType, rtpSequence, rtpTimestamp, setRtpPayloadType, writeRtpHeader, RTP_HEADER_SIZE } from '../../rtp/index.ts';
import type { AudioCodecName } from '../negotiated-media.ts';
import { g711Decode, type G711Law } from './g711.ts';
import { G722Decoder } from './g722/index.ts';
import { OPUS_FRAME_SAMPLES, OpusAudioEncoder, OpusBandwidth } from './opus-codec.ts';

/** Payload type the bridge uses toward the cloud leg for Opus (the leg may rewrite it). */
export const CLOUD_OPUS_PT = 111;
/** 20 ms in RTP timestamp units: G.711 and G.722 both count 8000 per second (RFC 3551 4.5.2). */
const FRAME_TS = 160;
/** 48 kHz samples per RTP timestamp unit of the room. */
const TS_TO_48K = 6;
const MAX_PAYLOAD = 1500;
/** Timestamp jumps beyond this (RTP units at 8000/s, 2 s) are a restart of the room's stream. */
const MAX_GAP_TS = 16000;
/** Opus complexity for re-encoding a room's G.711/G.722 toward the meeting. */
const ROOM_ENCODER_COMPLEXITY = 5;
/** RFC 3551 4.5.14: comfort noise payload type. */
const PT_CN = 13;

export interface RoomAudioToMeetingOptions {
  codec: AudioCodecName;
  payloadType: number;
  telephoneEventPt?: number;
  /** RFC 3389 comfort noise payload type negotiated with the room (ignored here: see RoomAudioPlayout). */
  cnPt?: number;
  /** Hands a finished Opus RTP packet (ownership passes) to the cloud. */
  send: (rtp: Buffer) => void;
  /** Called for input that had to be dropped: key names the reason. */
  onDrop: (key: 'unexpected-pt' | 'late' | 'oversize', detail: object) => void;
}

/**
 * room → meeting audio: G.711 (G.722) RTP from the terminal is decoded, regrouped into 20 ms
 * frames (terminals may send 10/30/40 ms) and Opus-encoded at its own 8 (16) kHz rate into RTP with
 * its own sequence numbers and 48 kHz timestamps. The room's timestamps drive ours, so silence
 * suppression gaps stay gaps (RFC 3550 5.1) and the first packet after one carries the marker
 * (RFC 3551 4.1). An Opus room is passed through with the payload type rewritten.
 */
export class RoomAudioToMeeting {
  private readonly law: G711Law | undefined;
  private readonly g722: G722Decoder | undefined;
  private readonly encoder: OpusAudioEncoder | undefined;
  /** PCM samples per RTP timestamp unit: 1 for G.711, 2 for G.722 (16 kHz on an 8000 clock). */
  private readonly samplesPerTs: number;
  /** 20 ms of room PCM: 160 samples at 8 kHz, 320 at 16 kHz. */
  private readonly frame: number;
  private readonly fifo: Int16Array;
  /** PCM samples in the FIFO (at the room's sampling rate). */
  private fifoSize = 0;
  /** Room timestamp of fifo[0]; undefined before the first packet. */
  private headTs: number | undefined;
  private readonly ssrc = randomInt(1, 0xffffffff);
  private seq = randomInt(0, 0x10000);
  private outTs = randomInt(0, 0xffffffff);
  private marker = true;
  framesEncoded = 0;
  /** Packets ignored by design (CN, telephone-event: DTMF translation is not done yet). */
  ignored = 0;

  constructor(private readonly opts: RoomAudioToMeetingOptions) {
    this.law = opts.codec === 'PCMU' || opts.codec === 'PCMA' ? opts.codec : undefined;
    this.g722 = opts.codec === 'G722' ? new G722Decoder() : undefined;
    // The room's codec bounds what there is to code (G.711: 4 kHz, G.722: 7 kHz): the encoder takes
    // the decoded PCM at its own rate (no resampling on our side or inside libopus), is told the
    // bandwidth, and runs at complexity 5, which measured about half the CPU of 10 with no audible
    // difference on band-limited speech (bench/media-audio.ts, codec-cost line).
    this.encoder = opts.codec === 'opus' ? undefined : new OpusAudioEncoder({
      sampleRate: opts.codec === 'G722' ? 16000 : 8000,
      complexity: ROOM_ENCODER_COMPLEXITY,
      maxBandwidth: opts.codec === 'G722' ? OpusBandwidth.wideband : OpusBandwidth.narrowband,
    });
    this.samplesPerTs = this.g722 ? 2 : 1;
    this.frame = FRAME_TS * this.samplesPerTs;
    this.fifo = new Int16Array(this.frame + MAX_PAYLOAD * this.samplesPerTs);
  }

  /** One validated RTP packet from the room's audio port. Ownership passes in. */
  onRoomRtp(buf: Buffer): void {
    const pt = rtpPayloadType(buf);
    if (pt !== this.opts.payloadType) {
      if (pt === PT_CN || pt === this.opts.cnPt || pt === this.opts.telephoneEventPt) {
        this.ignored++;
        return;
      }
      this.opts.onDrop('unexpected-pt', { payloadType: pt, expected: this.opts.payloadType });
      return;
    }
    if (!this.encoder) {
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
    // G.722 1.4: one octet decodes to two 16 kHz samples
    if (this.g722) this.fifoSize += this.g722.decode(buf.subarray(start, end), this.fifo, this.fifoSize);
    else this.fifoSize += g711Decode(this.law!, buf.subarray(start, end), this.fifo, this.fifoSize);
    this.drainFrames();
  }

  /**
   * PCM at the room's sampling rate (8 kHz G.711, 16 kHz G.722) standing for the timestamps from
   * `ts` on, as if a packet had carried it: comfort noise generated during the room's silence
   * (RFC 3389). Ignored for an Opus room (passed through).
   */
  onRoomPcm(ts: number, pcm: Int16Array): void {
    if (!this.encoder || pcm.length === 0) return;
    if (pcm.length > MAX_PAYLOAD * this.samplesPerTs) {
      this.opts.onDrop('oversize', { samples: pcm.length });
      return;
    }
    if (!this.acceptTimestamp(ts >>> 0, -1)) return;
    this.fifo.set(pcm, this.fifoSize);
    this.fifoSize += pcm.length;
    this.drainFrames();
  }

  /** Place a packet with timestamp `ts` in the FIFO's timeline; false if it must be dropped. */
  private acceptTimestamp(ts: number, seq: number): boolean {
    if (this.headTs === undefined) {
      this.headTs = ts;
      return true;
    }
    const spt = this.samplesPerTs;
    const expected = (this.headTs + this.fifoSize / spt) >>> 0;
    const diff = (ts - expected) | 0; // signed distance, wrap-safe (RFC 3550 A.1)
    if (diff === 0) return true;
    if (diff < 0 && diff > -MAX_GAP_TS) {
      this.opts.onDrop('late', { seq, behindSamples: -diff }); // duplicate or reordered
      return false;
    }
    // A gap (silence suppression, loss) or a restart of the room's stream: finish the partial
    // frame with silence, advance our timestamp by the rest of the gap, mark the talkspurt
    // start (RFC 3551 4.1).
    let padded = 0; // in RTP timestamp units
    if (this.fifoSize > 0) {
      padded = (this.frame - this.fifoSize) / spt;
      this.fifo.fill(0, this.fifoSize, this.frame);
      this.fifoSize = this.frame;
      this.drainFrames();
    }
    const isGap = diff > 0 && diff < MAX_GAP_TS;
    if (isGap) this.outTs = (this.outTs + Math.max(0, diff - padded) * TS_TO_48K) >>> 0;
    this.headTs = ts;
    this.fifoSize = 0;
    this.marker = true;
    return true;
  }

  private drainFrames(): void {
    let off = 0;
    const frame = this.frame;
    while (this.fifoSize - off >= frame) {
      const payload = this.encoder!.encode(this.fifo, off);
      const pkt = Buffer.allocUnsafe(RTP_HEADER_SIZE + payload.length); // ownership passes to the leg
      writeRtpHeader(pkt, CLOUD_OPUS_PT, this.marker, this.seq, this.outTs, this.ssrc);
      payload.copy(pkt, RTP_HEADER_SIZE);
      this.marker = false;
      this.seq = (this.seq + 1) & 0xffff;
      this.outTs = (this.outTs + OPUS_FRAME_SAMPLES) >>> 0;
      this.framesEncoded++;
      off += frame;
      this.opts.send(pkt);
    }
    if (off > 0) {
      this.fifo.copyWithin(0, off, this.fifoSize);
      this.fifoSize -= off;
      this.headTs = ((this.headTs ?? 0) + off / this.samplesPerTs) >>> 0;
    }
  }
}
