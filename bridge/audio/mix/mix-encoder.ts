import type { AudioCodecName } from '../../negotiated-media.ts';
import { g711Encode, type G711Law } from '../g711.ts';
import { OPUS_FRAME_SAMPLES, OpusAudioEncoder } from '../opus-codec.ts';
import { Downsampler48to8, floatToInt16 } from '../resampler.ts';

const FRAME_8K = 160;

/** One encoded packet payload and the RTP timestamp units it covers. */
export interface EncodedPayload {
  payload: Buffer;
  samples: number;
}

/**
 * Encodes a stream of 20 ms 48 kHz mixed frames for one codec and packetisation: Opus at 48 kHz
 * (20 ms), or G.711 at 8 kHz in packets of the room's ptime (10-60 ms, RFC 3551 4.5.14).
 * Stateful (Opus encoder, resampler filter, G.711 packet FIFO): one per distinct mix.
 */
export class MixEncoder {
  private readonly opus: OpusAudioEncoder | undefined;
  private readonly law: G711Law | undefined;
  private readonly downsampler = new Downsampler48to8();
  private readonly down8 = new Float32Array(FRAME_8K);
  private readonly pcm48 = new Int16Array(OPUS_FRAME_SAMPLES);
  private readonly fifo8 = new Int16Array(FRAME_8K * 8);
  private fifo8Size = 0;
  private readonly samplesPerPacket: number;

  constructor(codec: AudioCodecName, ptimeMs: number) {
    if (codec === 'opus') {
      this.opus = new OpusAudioEncoder();
      this.law = undefined;
      this.samplesPerPacket = OPUS_FRAME_SAMPLES;
    } else {
      this.opus = undefined;
      this.law = codec;
      this.samplesPerPacket = normalisedPtime(ptimeMs) * 8;
    }
  }

  /** Encode one 48 kHz frame (16-bit scale floats, already clipped); returns 0..n payloads. */
  encode(frame: Float32Array): EncodedPayload[] {
    if (this.opus) {
      floatToInt16(frame, 0, OPUS_FRAME_SAMPLES, this.pcm48, 0);
      return [{ payload: this.opus.encode(this.pcm48, 0), samples: OPUS_FRAME_SAMPLES }];
    }
    this.downsampler.process(frame, 0, OPUS_FRAME_SAMPLES, this.down8, 0);
    floatToInt16(this.down8, 0, FRAME_8K, this.fifo8, this.fifo8Size);
    this.fifo8Size += FRAME_8K;
    const out: EncodedPayload[] = [];
    const spp = this.samplesPerPacket;
    let off = 0;
    while (this.fifo8Size - off >= spp) {
      const payload = Buffer.allocUnsafe(spp);
      g711Encode(this.law!, this.fifo8, off, spp, payload, 0);
      out.push({ payload, samples: spp });
      off += spp;
    }
    if (off > 0) {
      this.fifo8.copyWithin(0, off, this.fifo8Size);
      this.fifo8Size -= off;
    }
    return out;
  }
}

/** G.711 ptime rounded to 10 ms steps within 10-60 ms; Opus is always 20 ms here. */
export function normalisedPtime(ptimeMs: number): number {
  return Math.min(60, Math.max(10, Math.round((ptimeMs || 20) / 10) * 10));
}
