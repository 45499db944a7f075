// rtp/: RTP/RTCP wire objects, port allocation, room-side RTP endpoints. Public surface.
export type { Logger } from './logger.ts';
export { silentLogger } from './logger.ts';
export { RtpError, RtpDecodeError, PortsExhaustedError, type RtpErrorCode } from './errors.ts';
export { PortAllocator, type PortAllocatorOptions } from './port-allocator.ts';
export {
  RtpPacket, parseRtpHeader, looksLikeRtcp, writeRtpHeader, RTP_HEADER_SIZE,
  rtpPayloadType, rtpMarker, rtpSequence, rtpTimestamp, rtpSsrc,
  setRtpPayloadType, setRtpSequence, setRtpTimestamp, setRtpSsrc,
  type RtpPacketFields, type RtpHeaderExtension, type RtpHeaderLayout,
} from './rtp-packet.ts';
export {
  parseHeaderExtensions, serializeHeaderExtensions, ONE_BYTE_PROFILE, TWO_BYTE_PROFILE,
  type HeaderExtensionElement,
} from './header-extension.ts';
export { RtcpType, readRtcpHeader, type RtcpHeader } from './rtcp/rtcp-header.ts';
export { ReportBlock } from './rtcp/report-block.ts';
export { SenderReport, ntpFromUnixMs } from './rtcp/sender-report.ts';
export { ReceiverReport } from './rtcp/receiver-report.ts';
export { SourceDescription, SDES_CNAME, type SdesChunk, type SdesItem } from './rtcp/source-description.ts';
export { Goodbye } from './rtcp/goodbye.ts';
export { PictureLossIndication } from './rtcp/picture-loss-indication.ts';
export { FullIntraRequest, type FirEntry } from './rtcp/full-intra-request.ts';
export { TemporaryMaxBitrateRequest, TMMBR_FMT } from './rtcp/tmmbr.ts';
export { TemporaryMaxBitrateNotification, TMMBN_FMT } from './rtcp/tmmbn.ts';
export type { TmmbEntry } from './rtcp/tmmb-entry.ts';
export { ReceiverEstimatedMaxBitrate, AFB_FMT } from './rtcp/receiver-estimated-max-bitrate.ts';
export {
  UnknownRtcp, iterateRtcp, decodeRtcpPacket, decodeRtcpCompound, encodeRtcpCompound, type RtcpPacket,
} from './rtcp/compound.ts';
export { RtpEndpoint, type RtpEndpointOptions, type RtpEndpointEvents, type RtpEndpointStats, type RemoteAddress } from './rtp-endpoint.ts';
export {
  SrtpSession, SRTP_SUITES, findSrtpSuite, srtpSuite,
  type SrtpParameters, type SrtpSuiteName, type SrtpSuite, type SrtpStats, type SrtpDrop,
} from './srtp/index.ts';
