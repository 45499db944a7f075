import { parseRtpHeader, rtpSequence, writeRtpHeader, RTP_HEADER_SIZE } from '../../rtp/index.ts';
import type { AudioCodecName } from '../negotiated-media.ts';
import { SendStream } from '../send-stream.ts';
import { ComfortNoiseSender, frameRms, type ComfortNoiseSenderOptions } from './cn/index.ts';
import { g711Encode, g711Silence, type G711Law } from './g711.ts';
import { G722Encoder } from './g722/index.ts';
import { AudioMixer } from './mixer.ts';
import { OPUS_FRAME_SAMPLES, OpusAudioDecoder, OpusAudioEncoder } from './opus-codec.ts';
import { Downsampler48to16, Downsampler48to8, floatToInt16 } from './resampler.ts';

/** 20 ms in RTP timestamp units: G.711 and G.722 both count 8000 per second (RFC 3551 4.5.2). */
const FRAME_TS = 160;

export interface MeetingAudioToRoomOptions {
  codec: AudioCodecName;
  payloadType: number;
  /** Room's packetisation interval, ms (G.711, G.722: 10-60 in steps of 10). Opus always 20. */
  ptimeMs: number;
  /** Sends one RTP packet to the room (ownership passes: UDP sends complete asynchronously). */
  send: (rtp: Buffer) => void;
  onDrop: (key: 'malformed' | 'late' | 'decode-error', detail: object) => void;
  sourceTimeoutMs?: number;
  stream?: SendStream;
  /** RFC 3389 CN payload type the room negotiated: silence toward it becomes CN packets. */
  cnPt?: number;
  comfortNoise?: ComfortNoiseSenderOptions;
}

interface SourceState {
  decoder: OpusAudioDecoder;
  lastSeq: number;
}

/**
 * meeting → room audio: Opus RTP from each meeting source is decoded into the mixer; each
 * 20 ms tick mixes one frame, and for G.711 (G.722) rooms downsamples 48 → 8 (16) kHz and
 * encodes at the room's ptime; for Opus rooms re-encodes the mix. One stable SSRC, continuous sequence
 * numbers and timestamps (RFC 3550 5.1); silence is sent when nobody speaks so the room's
 * media timeout never fires.
 */
export class MeetingAudioToRoom {
  readonly stream: SendStream;
  private readonly mixer: AudioMixer;
  private readonly sources = new Map<string, SourceState>();
  private readonly mixOut = new Float32Array(OPUS_FRAME_SAMPLES);
  private readonly pcm48 = new Int16Array(OPUS_FRAME_SAMPLES);
  private readonly law: G711Law | undefined;
  private readonly g722: G722Encoder | undefined;
  /** PCM samples per RTP timestamp unit: 1 for G.711, 2 for G.722 (16 kHz on an 8000 clock). */
  private readonly samplesPerTs: number;
  /** 20 ms of room PCM: 160 samples at 8 kHz, 320 at 16 kHz. */
  private readonly frame: number;
  private readonly downsampler: Downsampler48to8 | Downsampler48to16;
  private readonly down: Float32Array;
  private readonly fifo: Int16Array;
  private fifoSize = 0;
  /** PCM samples per packet at the room's sampling rate. */
  private readonly samplesPerPacket: number;
  private readonly encoder: OpusAudioEncoder | undefined;
  private marker = true;
  /** Sources that contributed to the last mixed frame. */
  lastContributing = 0;
  /**
   * While true (an RFC 4733 event is on the wire) frames advance the clock but are not sent;
   * the first one after carries the marker (RFC 3551 4.1).
   */
  suppressed = false;
  /** Discontinuous transmission with CN when the room negotiated it (G.711/G.722 only). */
  readonly comfortNoise: ComfortNoiseSender | undefined;

  constructor(private readonly opts: MeetingAudioToRoomOptions) {
    this.comfortNoise = opts.cnPt !== undefined && opts.codec !== 'opus' ? new ComfortNoiseSender(opts.comfortNoise) : undefined;
    this.mixer = new AudioMixer({ sourceTimeoutMs: opts.sourceTimeoutMs });
    this.law = opts.codec === 'PCMU' || opts.codec === 'PCMA' ? opts.codec : undefined;
    this.g722 = opts.codec === 'G722' ? new G722Encoder() : undefined;
    this.samplesPerTs = this.g722 ? 2 : 1;
    this.frame = FRAME_TS * this.samplesPerTs;
    this.downsampler = this.g722 ? new Downsampler48to16() : new Downsampler48to8();
    this.down = new Float32Array(this.frame);
    this.fifo = new Int16Array(this.frame * 8);
    if (opts.codec === 'opus') {
      this.samplesPerPacket = OPUS_FRAME_SAMPLES;
      this.encoder = new OpusAudioEncoder();
      this.stream = opts.stream ?? new SendStream(48000);
    } else {
      this.encoder = undefined;
      const ptime = Math.min(60, Math.max(10, Math.round((opts.ptimeMs || 20) / 10) * 10));
      this.samplesPerPacket = ptime * 8 * this.samplesPerTs;
      this.stream = opts.stream ?? new SendStream(8000); // RFC 3551 4.5.2: G.722 too
    }
  }

  get activeSources(): number {
    return this.mixer.sourceCount;
  }

  /** Opus RTP from one meeting source. */
  onCloudAudio(sourceId: string, rtp: Buffer, nowMs: number): void {
    let layout;
    try {
      layout = parseRtpHeader(rtp);
    } catch (err) {
      this.opts.onDrop('malformed', { sourceId, error: (err as Error).message });
      return;
    }
    const payloadStart = layout.payloadOffset;
    const payloadEnd = rtp.length - layout.paddingLength;
    const seq = rtpSequence(rtp);
    let src = this.sources.get(sourceId);
    if (!src) {
      src = { decoder: new OpusAudioDecoder(), lastSeq: (seq - 1) & 0xffff };
      this.sources.set(sourceId, src);
    }
    const d = ((seq - src.lastSeq) << 16) >> 16; // signed 16-bit distance
    if (d <= 0 && d > -1000) {
      this.opts.onDrop('late', { sourceId, seq });
      return;
    }
    src.lastSeq = seq;
    if (payloadEnd <= payloadStart) return; // empty (DTX keep-alive): nothing to decode
    let pcm: Int16Array;
    try {
      pcm = src.decoder.decode(rtp.subarray(payloadStart, payloadEnd));
    } catch (err) {
      this.opts.onDrop('decode-error', { sourceId, seq, error: (err as Error).message });
      return;
    }
    this.mixer.push(sourceId, pcm, nowMs);
  }

  /** A lost packet of one source (its jitter buffer said so): the decoder's PLC into the mix. */
  concealSource(sourceId: string, samples: number, nowMs: number): void {
    const src = this.sources.get(sourceId);
    if (src) this.mixer.push(sourceId, src.decoder.conceal(samples), nowMs);
  }

  /** Samples of one source waiting in the mixer (drift control of the jitter buffer). */
  queuedSamples(sourceId: string): number {
    return this.mixer.queuedSamples(sourceId);
  }

  /** Drop a source at once (the meeting said its producer closed). */
  removeSource(sourceId: string): void {
    this.sources.delete(sourceId);
    this.mixer.removeSource(sourceId);
  }

  /** 20 ms clock: mix one frame and send what the room's ptime allows. */
  tick(nowMs: number): void {
    this.lastContributing = this.mixer.mix(this.mixOut, nowMs, (id) => this.sources.delete(id));
    if (this.encoder) {
      floatToInt16(this.mixOut, 0, OPUS_FRAME_SAMPLES, this.pcm48, 0);
      const payload = this.encoder!.encode(this.pcm48, 0);
      const pkt = Buffer.allocUnsafe(RTP_HEADER_SIZE + payload.length);
      payload.copy(pkt, RTP_HEADER_SIZE);
      this.emit(pkt, OPUS_FRAME_SAMPLES, payload.length, nowMs);
      return;
    }
    this.comfortNoise?.observeFrame(frameRms(this.mixOut));
    this.downsampler.process(this.mixOut, 0, OPUS_FRAME_SAMPLES, this.down, 0);
    floatToInt16(this.down, 0, this.frame, this.fifo, this.fifoSize);
    this.fifoSize += this.frame;
    const spp = this.samplesPerPacket;
    const tsPerPacket = spp / this.samplesPerTs;
    let off = 0;
    while (this.fifoSize - off >= spp) {
      // Small allocUnsafe buffers are slices of Node's shared pool (cheap); a reused buffer
      // would be overwritten before libuv has sent it when ticks catch up in a burst.
      // G.722 1.4: one octet per two samples, so the payload is as long as the timestamp step.
      const pkt = Buffer.allocUnsafe(RTP_HEADER_SIZE + tsPerPacket);
      if (this.g722) this.g722.encode(this.fifo, off, spp, pkt, RTP_HEADER_SIZE);
      else g711Encode(this.law!, this.fifo, off, spp, pkt, RTP_HEADER_SIZE);
      this.emit(pkt, tsPerPacket, tsPerPacket, nowMs);
      off += spp;
    }
    if (off > 0) {
      this.fifo.copyWithin(0, off, this.fifoSize);
      this.fifoSize -= off;
    }
  }

  private emit(pkt: Buffer, samples: number, payloadBytes: number, nowMs: number): void {
    const s = this.stream;
    const ts = s.ts;
    if (this.suppressed) {
      s.ts = (ts + samples) >>> 0;
      s.lastTs = ts;
      s.lastWallMs = nowMs;
      this.marker = true;
      return;
    }
    const d = this.comfortNoise?.decide(nowMs);
    if (d?.kind === 'skip') {
      s.ts = (ts + samples) >>> 0; // RFC 3389 4: the clock runs on through the silence
      return;
    }
    if (d?.kind === 'sid') {
      const sid = Buffer.allocUnsafe(RTP_HEADER_SIZE + d.payload.length);
      d.payload.copy(sid, RTP_HEADER_SIZE);
      writeRtpHeader(sid, this.opts.cnPt!, false, s.nextSeq(), ts, s.ssrc);
      s.ts = (ts + samples) >>> 0;
      s.record(ts, d.payload.length, nowMs);
      this.opts.send(sid);
      return;
    }
    if (d?.marker) this.marker = true; // RFC 3551 4.1: first packet of a talkspurt
    writeRtpHeader(pkt, this.opts.payloadType, this.marker, s.nextSeq(), ts, s.ssrc);
    this.marker = false;
    s.ts = (ts + samples) >>> 0;
    s.record(ts, payloadBytes, nowMs);
    this.opts.send(pkt);
  }

  /** Encoded G.711 silence byte for this room (tests). */
  get silenceByte(): number | undefined {
    return this.law ? g711Silence(this.law) : undefined;
  }
}
