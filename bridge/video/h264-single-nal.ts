/**
 * Turns an RFC 6184 non-interleaved stream (packetization-mode 1: single NAL units, STAP-A,
 * FU-A, as browsers send) into single-NAL-unit mode (packetization-mode 0, RFC 6184 6.2), which
 * some room systems are limited to: STAP-A aggregates are split into one packet per NAL unit
 * (5.7.1) and FU-A fragments are reassembled into the NAL unit they carry (5.8). A NAL unit
 * missing a fragment is dropped whole (the decoder conceals; a keyframe request follows loss).
 *
 * Works on RTP payloads; the caller writes the RTP headers (its own continuous sequence numbers,
 * the input timestamp, the marker on the last packet of an access unit).
 */
const STAP_A = 24;
const FU_A = 28;
/** Largest NAL unit reassembled (a 1080p IDR fits); bigger ones are dropped. */
const MAX_NAL_BYTES = 512 * 1024;

export interface SingleNalOutput {
  nal: Buffer;
  /** This NAL unit ends the access unit (the input packet's RTP marker, RFC 6184 5.1). */
  marker: boolean;
}

export class H264SingleNalRepacketizer {
  private fragments: Buffer[] = [];
  private fragmentBytes = 0;
  private fragmentTs = 0;
  private nextFragmentSeq = -1;
  /** NAL units dropped because a fragment was lost or the unit was malformed/too big. */
  droppedNals = 0;

  /** One input packet's payload; returns the NAL units to send, in order. */
  push(payload: Buffer, seq: number, timestamp: number, marker: boolean): SingleNalOutput[] {
    if (payload.length < 1) return [];
    const type = payload[0]! & 0x1f;
    if (type === STAP_A) return this.splitStapA(payload, marker);
    if (type === FU_A) return this.reassemble(payload, seq, timestamp, marker);
    this.abandonFragments(); // a single NAL unit in the middle of a fragmented one: that one is lost
    return [{ nal: payload, marker }];
  }

  private splitStapA(payload: Buffer, marker: boolean): SingleNalOutput[] {
    this.abandonFragments();
    const out: SingleNalOutput[] = [];
    let at = 1;
    while (at + 2 <= payload.length) {
      const size = payload.readUInt16BE(at);
      if (size === 0 || at + 2 + size > payload.length) {
        this.droppedNals++;
        break;
      }
      out.push({ nal: payload.subarray(at + 2, at + 2 + size), marker: false });
      at += 2 + size;
    }
    if (out.length > 0) out[out.length - 1]!.marker = marker;
    return out;
  }

  private reassemble(payload: Buffer, seq: number, timestamp: number, marker: boolean): SingleNalOutput[] {
    if (payload.length < 3) {
      this.abandonFragments();
      this.droppedNals++;
      return [];
    }
    const indicator = payload[0]!;
    const header = payload[1]!;
    const start = (header & 0x80) !== 0;
    const end = (header & 0x40) !== 0;
    if (start) {
      this.abandonFragments();
      // RFC 6184 5.8: the NAL header is F and NRI of the FU indicator with the FU header's type
      this.fragments = [Buffer.from([(indicator & 0xe0) | (header & 0x1f)])];
      this.fragmentBytes = 1;
      this.fragmentTs = timestamp;
    } else if (this.fragments.length === 0 || seq !== this.nextFragmentSeq || timestamp !== this.fragmentTs) {
      // a middle/end fragment without its start, or after a lost one
      if (this.fragments.length > 0) this.abandonFragments();
      return [];
    }
    const body = payload.subarray(2);
    this.fragmentBytes += body.length;
    if (this.fragmentBytes > MAX_NAL_BYTES) {
      this.abandonFragments();
      return [];
    }
    this.fragments.push(body);
    this.nextFragmentSeq = (seq + 1) & 0xffff;
    if (!end) return [];
    const nal = Buffer.concat(this.fragments, this.fragmentBytes);
    this.fragments = [];
    this.fragmentBytes = 0;
    return [{ nal, marker }];
  }

  private abandonFragments(): void {
    if (this.fragments.length > 0) this.droppedNals++;
    this.fragments = [];
    this.fragmentBytes = 0;
  }
}

/** The packetization-mode of an H.264 fmtp line (RFC 6184 8.1: absent means 0). */
export function packetizationModeOf(fmtp: string | undefined): 0 | 1 | 2 {
  const m = /(?:^|;)\s*packetization-mode=(\d)/.exec(fmtp ?? '');
  const mode = m ? Number(m[1]) : 0;
  return mode === 1 || mode === 2 ? mode : 0;
}
