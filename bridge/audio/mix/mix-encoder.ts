import type { AudioCodecName } from '../../negotiated-media.ts';
import { g711Encode, type G711Law } from '../g711.ts';
import { G722Encoder } from '../g722/index.ts';
import { OPUS_FRAME_SAMPLES, OpusAudioEncoder } from '../opus-codec.ts';
import { Downsampler48to16, Downsampler48to8, floatToInt16 } from '../resampler.ts';

/** RTP timestamp units per 20 ms for G.711 and G.722 (RFC 3551 4.5.2: G.722 uses an 8000 Hz clock). */
const FRAME_TS = 160;

/** One encoded packet payload and the RTP timestamp units it covers. */
export interface EncodedPayload {
  payload: Buffer;
  samples: number;
}

/**
 * Encodes a stream of 20 ms 48 kHz mixed frames for one codec and packetisation: Opus at 48 kHz
 * (20 ms), G.711 at 8 kHz or G.722 at 16 kHz in packets of the room's ptime (10-60 ms,
 * RFC 3551 4.5.14). Stateful (encoder, resampler filter, packet FIFO): one per distinct mix.
 */
export class MixEncoder {
  private readonly opus: OpusAudioEncoder | undefined;
  private readonly law: G711Law | undefined;
  private readonly g722: G722Encoder | undefined;
  private readonly pcm48 = new Int16Array(OPUS_FRAME_SAMPLES);
  /** PCM samples per RTP timestamp unit: 1 for G.711, 2 for G.722. */
  private readonly samplesPerTs: number;
  private readonly frame: number;
  private readonly downsampler: Downsampler48to8 | Downsampler48to16 | undefined;
  private readonly down: Float32Array;
  private readonly fifo: Int16Array;
  private fifoSize = 0;
  private readonly samplesPerPacket: number;

  constructor(codec: AudioCodecName, ptimeMs: number) {
    this.opus = codec === 'opus' ? new OpusAudioEncoder() : undefined;
    this.law = codec === 'PCMU' || codec === 'PCMA' ? codec : undefined;
    this.g722 = codec === 'G722' ? new G722Encoder() : undefined;
    this.samplesPerTs = this.g722 ? 2 : 1;
    this.frame = FRAME_TS * this.samplesPerTs;
    this.downsampler = this.opus ? undefined : this.g722 ? new Downsampler48to16() : new Downsampler48to8();
    this.down = new Float32Array(this.frame);
    this.fifo = new Int16Array(this.frame * 8);
    this.samplesPerPacket = this.opus ? OPUS_FRAME_SAMPLES : normalisedPtime(ptimeMs) * 8 * this.samplesPerTs;
  }

  /** Encode one 48 kHz frame (16-bit scale floats, already clipped); returns 0..n payloads. */
  encode(frame: Float32Array): EncodedPayload[] {
    if (this.opus) {
      floatToInt16(frame, 0, OPUS_FRAME_SAMPLES, this.pcm48, 0);
      return [{ payload: this.opus.encode(this.pcm48, 0), samples: OPUS_FRAME_SAMPLES }];
    }
    this.downsampler!.process(frame, 0, OPUS_FRAME_SAMPLES, this.down, 0);
    floatToInt16(this.down, 0, this.frame, this.fifo, this.fifoSize);
    this.fifoSize += this.frame;
    const out: EncodedPayload[] = [];
    const spp = this.samplesPerPacket;
    const tsPerPacket = spp / this.samplesPerTs;
    let off = 0;
    while (this.fifoSize - off >= spp) {
      // G.711: one octet per sample; G.722 1.4: one octet per two samples. Either way the
      // payload is as long as the timestamp step.
      const payload = Buffer.allocUnsafe(tsPerPacket);
      if (this.g722) this.g722.encode(this.fifo, off, spp, payload, 0);
      else g711Encode(this.law!, this.fifo, off, spp, payload, 0);
      out.push({ payload, samples: tsPerPacket });
      off += spp;
    }
    if (off > 0) {
      this.fifo.copyWithin(0, off, this.fifoSize);
      this.fifoSize -= off;
    }
    return out;
  }
}

/** G.711/G.722 ptime rounded to 10 ms steps within 10-60 ms; Opus is always 20 ms here. */
export function normalisedPtime(ptimeMs: number): number {
  return Math.min(60, Math.max(10, Math.round((ptimeMs || 20) / 10) * 10));
}
