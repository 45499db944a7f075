// rtp/srtp: SRTP/SRTCP (RFC 3711) with AES-CM + HMAC-SHA1 and AES-GCM (RFC 7714). Public surface.
export { SRTP_SUITES, srtpSuite, findSrtpSuite, type SrtpSuite, type SrtpSuiteName } from './suites.ts';
export { deriveSessionKey, deriveSessionKeys, KdfLabel, type SessionKeys } from './key-derivation.ts';
export { AesCmKeystream } from './aes-cm.ts';
export { SrtpCipher } from './srtp-cipher.ts';
export { ReplayWindow, REPLAY_WINDOW_SIZE } from './replay-window.ts';
export { RolloverState, packetIndex } from './rollover.ts';
export { SrtpSession, rtpHeaderLength, type SrtpParameters, type SrtpDrop, type SrtpStats } from './srtp-session.ts';
