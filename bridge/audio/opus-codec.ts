import opus from '@discordjs/opus';

/** 20 ms at 48 kHz. */
export const OPUS_FRAME_SAMPLES = 960;
/** RFC 6716 3.2.1: at most 120 ms per packet. */
export const OPUS_MAX_FRAME_SAMPLES = 5760;

// opus_defines.h request codes
const OPUS_SET_BITRATE_REQUEST = 4002;
const OPUS_SET_INBAND_FEC_REQUEST = 4012;
const OPUS_SET_PACKET_LOSS_PERC_REQUEST = 4014;
const OPUS_SET_SIGNAL_REQUEST = 4024;
const OPUS_SIGNAL_VOICE = 3001;
const OPUS_SET_COMPLEXITY_REQUEST = 4010;
const OPUS_SET_MAX_BANDWIDTH_REQUEST = 4004;

/** opus_defines.h audio bandwidths (RFC 6716 2: NB 4 kHz, MB 6 kHz, WB 8 kHz, SWB 12 kHz, FB 20 kHz). */
export const OpusBandwidth = { narrowband: 1101, mediumband: 1102, wideband: 1103, superwideband: 1104, fullband: 1105 } as const;

/** Input sampling rates libopus takes (RFC 6716 2: the coded bandwidth, not the RTP clock, follows it). */
export type OpusInputRate = 8000 | 16000 | 48000;

export interface OpusEncoderOptions {
  /**
   * Sampling rate of the PCM handed to `encode`. A narrowband source (G.711) goes in at 8 kHz and
   * a wideband one (G.722) at 16 kHz: libopus codes it as is, instead of us upsampling to 48 kHz
   * and libopus resampling back down for SILK. The RTP clock stays 48 kHz (RFC 7587 4.1). Default 48000.
   */
  sampleRate?: OpusInputRate;
  /** Target bitrate, bit/s. Default 32000. */
  bitrate?: number;
  /** Expected loss, percent; drives how much in-band FEC is spent. Default 10. */
  packetLossPercent?: number;
  /** Encoder complexity 0-10 (RFC 6716 2.1.2 leaves the speed/quality trade to the encoder). Default 10. */
  complexity?: number;
  /**
   * Widest audio bandwidth coded. A G.711 source holds nothing above 4 kHz (narrowband) and G.722
   * nothing above 7 kHz (wideband): coding more spends CPU and bits on silence. Default fullband.
   */
  maxBandwidth?: (typeof OpusBandwidth)[keyof typeof OpusBandwidth];
}

/**
 * Mono Opus encoder (48 kHz input unless told otherwise) with in-band FEC on (RFC 6716 2.1.7;
 * RFC 7587 7 useinbandfec). Mono in an opus/48000/2 stream is legal (RFC 7587 7: stereo is a
 * receiver preference).
 */
export class OpusAudioEncoder {
  private readonly codec: InstanceType<typeof opus.OpusEncoder>;
  /** Samples of one 20 ms frame at the input rate. */
  readonly frameSamples: number;
  private readonly pcm: Int16Array;
  private readonly pcmBytes: Buffer;

  constructor(opts: OpusEncoderOptions = {}) {
    const rate = opts.sampleRate ?? 48000;
    this.codec = new opus.OpusEncoder(rate, 1);
    this.frameSamples = rate / 50;
    this.pcm = new Int16Array(this.frameSamples);
    this.pcmBytes = Buffer.from(this.pcm.buffer, this.pcm.byteOffset, this.pcm.byteLength);
    this.codec.applyEncoderCTL(OPUS_SET_SIGNAL_REQUEST, OPUS_SIGNAL_VOICE);
    this.codec.applyEncoderCTL(OPUS_SET_BITRATE_REQUEST, opts.bitrate ?? 32000);
    this.codec.applyEncoderCTL(OPUS_SET_INBAND_FEC_REQUEST, 1);
    this.codec.applyEncoderCTL(OPUS_SET_PACKET_LOSS_PERC_REQUEST, opts.packetLossPercent ?? 10);
    if (opts.complexity !== undefined) this.codec.applyEncoderCTL(OPUS_SET_COMPLEXITY_REQUEST, opts.complexity);
    if (opts.maxBandwidth !== undefined) this.codec.applyEncoderCTL(OPUS_SET_MAX_BANDWIDTH_REQUEST, opts.maxBandwidth);
  }

  /** Encode one 20 ms frame (`frameSamples` from `src` at `offset`). Returns a new payload buffer. */
  encode(src: Int16Array, offset = 0): Buffer {
    this.pcm.set(src.subarray(offset, offset + this.frameSamples));
    return this.codec.encode(this.pcmBytes);
  }
}

/** Mono 48 kHz Opus decoder (stereo packets are downmixed by libopus). */
export class OpusAudioDecoder {
  private readonly codec = new opus.OpusEncoder(48000, 1);

  /**
   * Decode one packet to PCM. Returns an Int16Array view (valid until the next call);
   * throws on a corrupt packet (the caller counts a decode error).
   */
  decode(payload: Buffer): Int16Array {
    const out = this.codec.decode(payload);
    if (out.byteOffset % 2 === 0) return new Int16Array(out.buffer, out.byteOffset, out.length >> 1);
    const copy = new Int16Array(out.length >> 1);
    Buffer.from(copy.buffer).set(out.subarray(0, copy.byteLength));
    return copy;
  }

  /**
   * Packet loss concealment (RFC 6716 4.4): libopus extrapolates from its state when asked to
   * decode an empty packet. Returns the first `samples` (≤ 120 ms) of it, a copy.
   * DEVIATION(RFC 6716 4.4, in-band FEC): @discordjs/opus 0.10 calls opus_decode with
   * decode_fec = 0 and a fixed 120 ms frame size, so neither FEC from the next packet nor a
   * 20 ms PLC request is reachable: the decoder conceals 120 ms and we keep the first frame
   * (its state then continues from the end of that stretch, which the next packet overrides).
   */
  conceal(samples = OPUS_FRAME_SAMPLES): Int16Array {
    const pcm = this.decode(Buffer.alloc(0));
    return Int16Array.from(pcm.subarray(0, Math.min(samples, pcm.length)));
  }
}
