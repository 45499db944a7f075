// bridge/: media between the room (legacy RTP) and the cloud leg. Public surface.
export type { CloudMediaPort, CloudMediaPortEvents, CloudMediaPortEvent } from './cloud-media-port.ts';
export type { NegotiatedMedia, NegotiatedAudio, NegotiatedVideo, AudioCodecName } from './negotiated-media.ts';
export type { Logger } from '../rtp/logger.ts';
export type { CallMediaOptions, CallMediaStats, CallMediaEvents, DirectionCounters } from './call-media-types.ts';
export type { PortAllocator } from '../rtp/port-allocator.ts';
