export { startMeetingServer, type MeetingServer, type MeetingServerOptions } from './server.ts';
export type { MeetingStats } from './room-registry.ts';
export type { RoomDtmfEvent, RoomDtmfSummary } from './room.ts';
export type { PeerInfo, PeerKind, NotificationName } from './protocol.ts';
export { createMeetingLogger, type MeetingLogger } from './logger.ts';
