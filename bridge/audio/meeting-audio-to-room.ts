import { parseRtpHeader, rtpSequence, writeRtpHeader, RTP_HEADER_SIZE } from '../../rtp/index.ts';
import type { AudioCodecName } from '../negotiated-media.ts';
import { SendStream } from '../send-stream.ts';
import { g711Encode, g711Silence, type G711Law } from './g711.ts';
import { AudioMixer } from './mixer.ts';
import { OPUS_FRAME_SAMPLES, OpusAudioDecoder, OpusAudioEncoder } from './opus-codec.ts';
import { Downsampler48to8, floatToInt16 } from './resampler.ts';

const FRAME_8K = 160;

export interface MeetingAudioToRoomOptions {
  codec: AudioCodecName;
  payloadType: number;
  /** Room's packetisation interval, ms (G.711: 10-60 in steps of 10). Opus always 20. */
  ptimeMs: number;
  /** Sends one RTP packet to the room (ownership passes: UDP sends complete asynchronously). */
  send: (rtp: Buffer) => void;
  onDrop: (key: 'malformed' | 'late' | 'decode-error', detail: object) => void;
  sourceTimeoutMs?: number;
  stream?: SendStream;
}

interface SourceState {
  decoder: OpusAudioDecoder;
  lastSeq: number;
}

/**
 * meeting → room audio: Opus RTP from each meeting source is decoded into the mixer; each
 * 20 ms tick mixes one frame, and for G.711 rooms downsamples 48 → 8 kHz and encodes at the
 * room's ptime; for Opus rooms re-encodes the mix. One stable SSRC, continuous sequence
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
  private readonly downsampler = new Downsampler48to8();
  private readonly down8 = new Float32Array(FRAME_8K);
  private readonly fifo8 = new Int16Array(FRAME_8K * 8);
  private fifo8Size = 0;
  private readonly samplesPerPacket: number;
  private readonly encoder: OpusAudioEncoder | undefined;
  private marker = true;
  /** Sources that contributed to the last mixed frame. */
  lastContributing = 0;

  constructor(private readonly opts: MeetingAudioToRoomOptions) {
    this.mixer = new AudioMixer({ sourceTimeoutMs: opts.sourceTimeoutMs });
    if (opts.codec === 'opus') {
      this.law = undefined;
      this.samplesPerPacket = OPUS_FRAME_SAMPLES;
      this.encoder = new OpusAudioEncoder();
      this.stream = opts.stream ?? new SendStream(48000);
    } else {
      this.law = opts.codec;
      this.encoder = undefined;
      const ptime = Math.min(60, Math.max(10, Math.round((opts.ptimeMs || 20) / 10) * 10));
      this.samplesPerPacket = ptime * 8;
      this.stream = opts.stream ?? new SendStream(8000);
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
    if (!this.law) {
      floatToInt16(this.mixOut, 0, OPUS_FRAME_SAMPLES, this.pcm48, 0);
      const payload = this.encoder!.encode(this.pcm48, 0);
      const pkt = Buffer.allocUnsafe(RTP_HEADER_SIZE + payload.length);
      payload.copy(pkt, RTP_HEADER_SIZE);
      this.emit(pkt, OPUS_FRAME_SAMPLES, payload.length, nowMs);
      return;
    }
    this.downsampler.process(this.mixOut, 0, OPUS_FRAME_SAMPLES, this.down8, 0);
    floatToInt16(this.down8, 0, FRAME_8K, this.fifo8, this.fifo8Size);
    this.fifo8Size += FRAME_8K;
    const spp = this.samplesPerPacket;
    let off = 0;
    while (this.fifo8Size - off >= spp) {
      // Small allocUnsafe buffers are slices of Node's shared pool (cheap); a reused buffer
      // would be overwritten before libuv has sent it when ticks catch up in a burst.
      const pkt = Buffer.allocUnsafe(RTP_HEADER_SIZE + spp);
      g711Encode(this.law, this.fifo8, off, spp, pkt, RTP_HEADER_SIZE);
      this.emit(pkt, spp, spp, nowMs);
      off += spp;
    }
    if (off > 0) {
      this.fifo8.copyWithin(0, off, this.fifo8Size);
      this.fifo8Size -= off;
    }
  }

  private emit(pkt: Buffer, samples: number, payloadBytes: number, nowMs: number): void {
    const s = this.stream;
    const ts = s.ts;
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
