// Public contract of the H.245 session (session.ts): options, requests, answers and events.
import type { CapabilityEntry, H245Message, IpPort, MediaCapability, OlcRejectCause } from '../asn1/index.ts';
import type { RemoteCapabilities } from './capabilities.ts';
import type { H245Channel } from './channel.ts';
import type { Clock } from './clock.ts';
import type { Logger } from './logger.ts';
import type { MsdStatus } from './master-slave.ts';

/** Procedure timers in ms. H.245 leaves the values to the system (H.323 6.2.8.5: at least the
 *  longest delivery time of the transport); 30 s each by default. */
export interface H245Timers {
  t101: number; // capability exchange
  t103: number; // uni-directional logical channel signalling
  t105: number; // round-trip delay
  t106: number; // master/slave determination
  t108: number; // close logical channel request
  /** How long endSession() waits for the peer's endSessionCommand before closing (default 5 s). */
  endSession: number;
  /** When the peer's endSessionCommand comes first: how long our CloseLogicalChannels wait for
   *  their Acks before we answer it (H.323 8.5 steps 1-4; default 1 s). */
  endSessionAnswer: number;
}

/** H.323 6.2.8.4 Table 1: terminalType of a gateway without MC. */
export const TERMINAL_TYPE_GATEWAY = 60;

export interface H245SessionOptions {
  channel: H245Channel;
  /** Our receive capabilities, numbered 1.. in the capabilityTable. */
  capabilities: CapabilityEntry[];
  /** Alternative sets of 0-based indexes into `capabilities` (default: audio | video | each user input). */
  simultaneous?: number[][];
  callId?: string;
  logger?: Logger;
  clock?: Clock;
  /** Default 60 (gateway without MC, H.323 Table 1). */
  terminalType?: number;
  /** Uniform in [0, 1): draws the 24-bit statusDeterminationNumber (default Math.random). */
  random?: () => number;
  timers?: Partial<H245Timers>;
  /** N100, attempts at master/slave determination (default 3). */
  n100?: number;
  /** End the session when MSD or capability exchange fails (default true: no media is possible). */
  endOnProcedureFailure?: boolean;
}

export interface OpenChannelRequest {
  /** forwardLogicalChannelNumber, 1..65535, unique among our outgoing channels. */
  number: number;
  capability: MediaCapability;
  /** RTP session: 1 audio, 2 video (H.225.0 5.x). */
  sessionID: number;
  /** Our RTCP address (reverse RTCP of this channel). */
  mediaControlChannel: IpPort;
  /** Dynamic RTP payload type (96..127), e.g. for H.264. */
  payloadType?: number;
}

export interface OpenedChannel {
  number: number;
  /** Where to send the RTP of this channel. */
  mediaChannel?: IpPort;
  mediaControlChannel?: IpPort;
}

/** An OpenLogicalChannel from the peer waiting for the application's answer. */
export interface IncomingChannel {
  number: number;
  media: MediaCapability;
  sessionID: number;
  /** The peer's RTCP address for this channel. */
  mediaControlChannel?: IpPort;
  payloadType?: number;
  /** OpenLogicalChannelAck with the addresses where we receive RTP and RTCP. */
  accept(addresses: { mediaChannel: IpPort; mediaControlChannel: IpPort }): boolean;
  reject(cause?: OlcRejectCause): boolean;
}

export interface ClosedChannel {
  number: number;
  direction: 'incoming' | 'outgoing';
  reason: string;
}

export interface CloseRequest {
  number: number;
  /** RequestChannelCloseAck, then CloseLogicalChannel. */
  accept(): void;
  reject(): void;
}

export type UserInput =
  | { kind: 'alphanumeric'; text: string }
  | { kind: 'signal'; signal: string; durationMs?: number }
  | { kind: 'signalUpdate'; durationMs: number };

export interface FlowControl {
  /** H.245 FlowControlCommand.scope: what the limit applies to. */
  scope: 'logicalChannelNumber' | 'resourceID' | 'wholeMultiplex';
  /** logicalChannelNumber scope; absent for wholeMultiplex/resourceID. */
  channel?: number;
  /** 100 bit/s units; undefined = noRestriction. */
  maximumBitRate?: number;
}

export interface H245SessionEvents {
  masterSlave: [result: MsdStatus];
  masterSlaveFailed: [reason: string];
  remoteCapabilities: [caps: RemoteCapabilities];
  capabilitiesAcked: [];
  capabilitiesFailed: [reason: string];
  incomingChannel: [request: IncomingChannel];
  channelClosed: [info: ClosedChannel];
  closeRequested: [request: CloseRequest];
  videoFastUpdate: [channel: number];
  flowControl: [fc: FlowControl];
  userInput: [ui: UserInput];
  /** FunctionNotSupported / FunctionNotUnderstood from the peer. */
  peerRefused: [what: string];
  ended: [reason: string];
}

/** Monitoring: every PDU both ways (message undefined when it did not decode). */
export interface H245ObserverEvents {
  pdu: [p: { direction: 'in' | 'out'; bytes: Uint8Array; message?: H245Message }];
}
