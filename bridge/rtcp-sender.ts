import { ReceiverReport, SenderReport, SourceDescription, ntpFromUnixMs, PictureLossIndication, type ReportBlock } from '../rtp/index.ts';
import type { SendStream } from './send-stream.ts';

/**
 * Sender report + SDES CNAME compound for a stream we send (RFC 3550 6.1: a compound packet
 * starts with SR/RR and carries a CNAME).
 */
export function buildSenderReport(stream: SendStream, cname: string, unixMs: number, monoMs: number, reports: ReportBlock[] = []): Buffer {
  const ntp = ntpFromUnixMs(unixMs);
  const sr = new SenderReport(stream.ssrc, ntp.msw, ntp.lsw, stream.rtpTimestampAt(monoMs), stream.packets, stream.octets, reports);
  const sdes = SourceDescription.cname(stream.ssrc, cname);
  const out = Buffer.alloc(sr.encodedSize() + sdes.encodedSize());
  const n = sr.encodeInto(out, 0);
  sdes.encodeInto(out, n);
  return out;
}

/** RR + SDES CNAME compound when we have not sent since the last report (RFC 3550 6.4.2). */
export function buildReceiverReport(ssrc: number, cname: string, reports: ReportBlock[]): Buffer {
  const rr = new ReceiverReport(ssrc, reports);
  const sdes = SourceDescription.cname(ssrc, cname);
  const out = Buffer.alloc(rr.encodedSize() + sdes.encodedSize());
  sdes.encodeInto(out, rr.encodeInto(out, 0));
  return out;
}

/** PLI in a compound packet (RFC 4585 3.1: feedback rides in compound RTCP: RR, SDES, PLI). */
export function buildPliCompound(senderSsrc: number, mediaSsrc: number, cname: string): Buffer {
  const rr = new ReceiverReport(senderSsrc);
  const sdes = SourceDescription.cname(senderSsrc, cname);
  const pli = new PictureLossIndication(senderSsrc, mediaSsrc);
  const out = Buffer.alloc(rr.encodedSize() + sdes.encodedSize() + pli.encodedSize());
  let o = rr.encodeInto(out, 0);
  o += sdes.encodeInto(out, o);
  pli.encodeInto(out, o);
  return out;
}

/** RFC 3550 6.3.1: randomise the interval to [0.5, 1.5] × the nominal. */
export function randomisedInterval(nominalMs: number): number {
  return nominalMs * (0.5 + Math.random());
}
