// bridge/: media between the room (legacy RTP) and the cloud leg. Public surface.
export type { CloudMediaPort, CloudMediaPortEvents, CloudMediaPortEvent } from './cloud-media-port.ts';
export type { NegotiatedMedia, NegotiatedAudio, NegotiatedVideo, AudioCodecName } from './negotiated-media.ts';
export type { CallMediaOptions, CallMediaStats, CallMediaEvents, DirectionCounters } from './call-media-types.ts';
export { CallMedia } from './call-media.ts';
export { MediaTicker, sharedMediaTicker, type MediaTickerOptions, type TickListener, type TickPhase, type TickSource } from './media-ticker.ts';
export { AudioMixer, type MixerOptions } from './audio/mixer.ts';
export {
  MeetingMixHub, MeetingMixHubs, MixSubscription,
  type MeetingMixHubOptions, type MeetingMixHubStats, type MixHubLease, type MixSubscriberOptions,
} from './audio/mix/meeting-mix-hub.ts';
export { Upsampler8to48, Downsampler48to8, Upsampler16to48, Downsampler48to16, floatToInt16, RESAMPLE_FACTOR, RESAMPLER_DELAY_48K, RESAMPLER16_DELAY_48K } from './audio/resampler.ts';
export { G722Encoder, G722Decoder, type G722Mode } from './audio/g722/index.ts';
export { g711Decode, g711Encode, g711Silence, type G711Law } from './audio/g711.ts';
export { OpusAudioEncoder, OpusAudioDecoder, OPUS_FRAME_SAMPLES } from './audio/opus-codec.ts';
export { PortAllocator } from '../rtp/port-allocator.ts';
export type { Logger } from '../rtp/logger.ts';
export { parseDtmfDigit, clampDtmfDuration, digitOfEvent, type DtmfDigit } from './dtmf/index.ts';
export { newCallMediaStats } from './media-counters.ts';
export type { CallDtmfStats } from './dtmf/call-dtmf.ts';
