// rtp/: RTP/RTCP wire objects, port allocation, room-side RTP endpoints. Public surface.
export type { Logger } from './logger.ts';
export { silentLogger } from './logger.ts';
export { RtpError, RtpDecodeError, PortsExhaustedError, type RtpErrorCode } from './errors.ts';
export { PortAllocator, type PortAllocatorOptions } from './port-allocator.ts';
