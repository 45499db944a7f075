import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { Goodbye, ReceiverReport, RtpEndpoint, silentLogger, type Logger } from '../rtp/index.ts';
import { MeetingAudioToRoom } from './audio/meeting-audio-to-room.ts';
import { RoomAudioToMeeting } from './audio/room-audio-to-meeting.ts';
import type { CallMediaEvents, CallMediaOptions, CallMediaStats } from './call-media-types.ts';
import type { CloudMediaPort, CloudMediaPortEvents } from './cloud-media-port.ts';
import { KeyframeLimiter } from './keyframe-limiter.ts';
import { count, DropLog, newCallMediaStats } from './media-counters.ts';
import { sharedMediaTicker, type TickSource } from './media-ticker.ts';
import type { NegotiatedAudio, NegotiatedMedia, NegotiatedVideo } from './negotiated-media.ts';
import { buildPliCompound, buildSenderReport, randomisedInterval } from './rtcp-sender.ts';
import type { SendStream } from './send-stream.ts';
import { VideoRelay } from './video/video-relay.ts';

type CloudListeners = { [K in keyof CloudMediaPortEvents]: (...args: CloudMediaPortEvents[K]) => void };

/**
 * The media of one call: the room-side RTP endpoints (audio, video), the transcoding between the
 * room's G.711/Opus and the meeting's Opus, H.264 passthrough, keyframe bridging and RTCP toward
 * the room. Closing frees both port pairs and every timer; it is idempotent.
 */
export class CallMedia extends EventEmitter<CallMediaEvents> {
  readonly audioPort: number;
  /** 0 when created without video. */
  readonly videoPort: number;
  private readonly audioEp: RtpEndpoint;
  private readonly videoEp: RtpEndpoint | undefined;
  private readonly logger: Logger;
  private readonly drops: DropLog;
  private readonly counters: CallMediaStats = newCallMediaStats();
  private readonly ticker: TickSource;
  private readonly opts: CallMediaOptions;
  private readonly cname = `roomgate-${randomBytes(6).toString('hex')}`;
  private readonly toCloudKeyframes: KeyframeLimiter;
  private readonly toRoomKeyframes: KeyframeLimiter;
  private uplink: RoomAudioToMeeting | undefined;
  private downlink: MeetingAudioToRoom | undefined;
  private video: VideoRelay | undefined;
  private audioDesc: NegotiatedAudio | undefined;
  private videoDesc: NegotiatedVideo | undefined;
  private cloud: CloudMediaPort | undefined;
  private cloudListeners: CloudListeners | undefined;
  private untick: (() => void) | undefined;
  private rtcpTimer: NodeJS.Timeout | undefined;
  private closed = false;

  private constructor(opts: CallMediaOptions, audioEp: RtpEndpoint, videoEp: RtpEndpoint | undefined, logger: Logger) {
    super();
    this.opts = opts;
    this.audioEp = audioEp;
    this.videoEp = videoEp;
    this.audioPort = audioEp.rtpPort;
    this.videoPort = videoEp?.rtpPort ?? 0;
    this.logger = logger;
    this.ticker = opts.ticker ?? sharedMediaTicker();
    this.drops = new DropLog((msg, meta) => this.logger.warn(msg, meta));
    const minKf = opts.keyframeMinIntervalMs ?? 500;
    this.toCloudKeyframes = new KeyframeLimiter(minKf, () => this.sendKeyframeRequestToCloud());
    this.toRoomKeyframes = new KeyframeLimiter(minKf, () => this.sendKeyframeRequestToRoom());
    this.wireEndpoints();
  }

  /** Bind the room-side ports (audio, and video unless `video: false`). */
  static async create(opts: CallMediaOptions): Promise<CallMedia> {
    const base = opts.logger ?? silentLogger;
    const logger = base.child?.({ component: 'call-media' }) ?? base;
    const audioEp = await RtpEndpoint.open({ ports: opts.ports, bindAddress: opts.bindAddress, logger, label: 'audio' });
    let videoEp: RtpEndpoint | undefined;
    if (opts.video !== false) {
      try {
        videoEp = await RtpEndpoint.open({ ports: opts.ports, bindAddress: opts.bindAddress, logger, label: 'video' });
      } catch (err) {
        audioEp.close();
        throw err;
      }
    }
    return new CallMedia(opts, audioEp, videoEp, logger);
  }

  /** Apply the negotiated media (SDP answer). May be called again after a re-INVITE. */
  setRemote(desc: NegotiatedMedia): void {
    if (this.closed) return;
    this.applyAudio(desc.address, desc.audio);
    this.applyVideo(desc.address, desc.video);
    if (!this.rtcpTimer) this.scheduleRtcp();
  }

  /** Connect the meeting side. Replaces (and detaches from) a previously attached port. */
  attachCloud(port: CloudMediaPort): void {
    if (this.closed) return;
    this.detachCloud();
    const l: CloudListeners = {
      audio: this.onCloudAudio,
      video: this.onCloudVideo,
      'keyframe-request': () => this.guard('cloud-keyframe', () => this.toRoomKeyframes.request()),
    };
    port.on('audio', l.audio);
    port.on('video', l.video);
    port.on('keyframe-request', l['keyframe-request']);
    this.cloud = port;
    this.cloudListeners = l;
  }

  /** Disconnect the meeting side (the room keeps getting silence). */
  detachCloud(): void {
    const c = this.cloud;
    const l = this.cloudListeners;
    if (c && l) {
      c.off('audio', l.audio);
      c.off('video', l.video);
      c.off('keyframe-request', l['keyframe-request']);
    }
    this.cloud = undefined;
    this.cloudListeners = undefined;
  }

  /** The room asked us for a keyframe (SIP INFO picture_fast_update): forwarded to the meeting. */
  onRoomKeyframeRequest(): void {
    if (!this.closed) this.toCloudKeyframes.request();
  }

  /** A meeting audio source is gone (producer closed): drop it from the mix now. */
  removeCloudAudioSource(sourceId: string): void {
    this.downlink?.removeSource(sourceId);
  }

  stats(): CallMediaStats {
    const s = structuredClone(this.counters);
    const a = this.audioEp.stats();
    const v = this.videoEp?.stats();
    s.malformedDropped += a.malformed + (v?.malformed ?? 0);
    s.room.rtcpIn.packets = a.rtcpIn + (v?.rtcpIn ?? 0);
    s.activeCloudAudioSources = this.downlink?.activeSources ?? 0;
    const suite = this.audioEp.srtpSession?.parameters.suite ?? this.videoEp?.srtpSession?.parameters.suite;
    if (suite) s.srtp = { suite, authFailures: a.srtpAuthFailures + (v?.srtpAuthFailures ?? 0), replays: a.srtpReplays + (v?.srtpReplays ?? 0) };
    return s;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Stop media, send RTCP BYE (RFC 3550 6.6), free ports and timers. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.untick?.();
    this.untick = undefined;
    if (this.rtcpTimer) clearTimeout(this.rtcpTimer);
    this.rtcpTimer = undefined;
    this.toCloudKeyframes.close();
    this.toRoomKeyframes.close();
    this.detachCloud();
    try {
      this.sendBye();
    } catch (err) {
      this.logger.debug('rtcp bye failed', { error: String(err) });
    }
    this.audioEp.close();
    this.videoEp?.close();
    this.uplink = undefined;
    this.downlink = undefined;
    this.video = undefined;
    this.removeAllListeners();
  }

  private wireEndpoints(): void {
    this.audioEp.on('rtp', this.onRoomAudio);
    this.audioEp.on('rtcp', (buf) => { this.counters.room.rtcpIn.bytes += buf.length; });
    this.audioEp.on('latched', (which, r) => { if (which === 'rtp') this.emit('remote-latched', 'audio', r.address, r.port); });
    const v = this.videoEp;
    if (!v) return;
    v.on('rtp', this.onRoomVideo);
    v.on('rtcp', (buf) => this.guard('room-rtcp', () => {
      this.counters.room.rtcpIn.bytes += buf.length;
      this.video?.onRoomRtcp(buf);
    }));
    v.on('latched', (which, r) => { if (which === 'rtp') this.emit('remote-latched', 'video', r.address, r.port); });
  }

  // Per-packet handlers: bound once, try/catch inline (no closure per packet).
  private readonly onRoomAudio = (buf: Buffer): void => {
    if (this.closed) return;
    try {
      count(this.counters.room.audioIn, buf.length);
      if (this.cloud) this.uplink?.onRoomRtp(buf); // nobody to hear it: skip the Opus encode
    } catch (err) {
      this.failed('room-audio', err);
    }
  };

  private readonly onRoomVideo = (buf: Buffer): void => {
    if (this.closed) return;
    try {
      count(this.counters.room.videoIn, buf.length);
      this.video?.onRoomRtp(buf);
    } catch (err) {
      this.failed('room-video', err);
    }
  };

  private readonly onCloudAudio = (sourceId: string, rtp: Buffer): void => {
    if (this.closed) return;
    try {
      count(this.counters.cloud.audioIn, rtp.length);
      this.downlink?.onCloudAudio(sourceId, rtp, performance.now());
    } catch (err) {
      this.failed('cloud-audio', err);
    }
  };

  private readonly onCloudVideo = (rtp: Buffer): void => {
    if (this.closed) return;
    try {
      count(this.counters.cloud.videoIn, rtp.length);
      this.video?.onCloudVideo(rtp);
    } catch (err) {
      this.failed('cloud-video', err);
    }
  };

  private readonly onTick = (now: number): void => {
    if (this.closed) return;
    try {
      this.downlink?.tick(now);
    } catch (err) {
      this.failed('tick', err);
    }
  };

  private applyAudio(address: string, audio: NegotiatedAudio | undefined): void {
    if (!audio || audio.port === 0) {
      this.untick?.();
      this.untick = undefined;
      this.uplink = undefined;
      this.downlink = undefined;
      this.audioDesc = undefined;
      return;
    }
    this.audioEp.setRemote(address, audio.port, audio.srtp ? { srtp: audio.srtp } : {});
    const prev = this.audioDesc;
    this.audioDesc = audio;
    if (prev && prev.codec === audio.codec && prev.payloadType === audio.payloadType && prev.ptimeMs === audio.ptimeMs) return;
    this.uplink = new RoomAudioToMeeting({
      codec: audio.codec,
      payloadType: audio.payloadType,
      telephoneEventPt: audio.telephoneEventPt,
      send: (rtp) => {
        const c = this.cloud;
        if (!c) return;
        count(this.counters.cloud.audioOut, rtp.length);
        c.sendAudio(rtp);
      },
      onDrop: (key, detail) => this.drop(`room-audio:${key}`, detail),
    });
    this.downlink = new MeetingAudioToRoom({
      codec: audio.codec,
      payloadType: audio.payloadType,
      ptimeMs: audio.ptimeMs,
      sourceTimeoutMs: this.opts.sourceTimeoutMs,
      send: (rtp) => {
        count(this.counters.room.audioOut, rtp.length);
        this.audioEp.sendRtp(rtp);
      },
      onDrop: (key, detail) => this.drop(`cloud-audio:${key}`, detail),
    });
    this.untick ??= this.ticker.subscribe(this.onTick);
  }

  private applyVideo(address: string, video: NegotiatedVideo | undefined): void {
    if (!this.videoEp) return;
    if (!video || video.port === 0) {
      this.video = undefined;
      this.videoDesc = undefined;
      return;
    }
    this.videoEp.setRemote(address, video.port, video.srtp ? { srtp: video.srtp } : {});
    if (this.videoDesc?.payloadType === video.payloadType && this.video) return;
    this.videoDesc = video;
    this.video = new VideoRelay({
      payloadType: video.payloadType,
      sendToRoom: (rtp) => {
        count(this.counters.room.videoOut, rtp.length);
        this.videoEp!.sendRtp(rtp);
      },
      sendToCloud: (rtp) => {
        const c = this.cloud;
        if (!c) return;
        count(this.counters.cloud.videoOut, rtp.length);
        c.sendVideo(rtp);
      },
      onRoomWantsKeyframe: () => this.toCloudKeyframes.request(),
      onCloudSourceSwitch: () => this.toCloudKeyframes.request(),
      onDrop: (key, detail) => this.drop(`video:${key}`, detail),
    });
  }

  private sendKeyframeRequestToCloud(): void {
    const c = this.cloud;
    if (!c) return;
    this.counters.keyframeRequestsToCloud++;
    c.requestKeyframe();
  }

  private sendKeyframeRequestToRoom(): void {
    this.counters.keyframeRequestsToRoom++;
    this.emit('room-keyframe-needed');
    const v = this.video;
    if (v && this.videoEp) {
      // RFC 4585 6.3.1: PLI from our video SSRC about the room's video SSRC
      const pkt = buildPliCompound(v.stream.ssrc, v.roomSsrc, this.cname);
      count(this.counters.room.rtcpOut, pkt.length);
      this.videoEp.sendRtcp(pkt);
    }
  }

  /** RFC 3550 6.2: sender reports for the streams we send to the room, about every 5 s. */
  private scheduleRtcp(): void {
    const nominal = this.opts.rtcpIntervalMs ?? 5000;
    this.rtcpTimer = setTimeout(() => {
      this.rtcpTimer = undefined;
      if (this.closed) return;
      this.guard('rtcp', () => this.sendSenderReports());
      this.scheduleRtcp();
    }, randomisedInterval(nominal));
    this.rtcpTimer.unref?.();
  }

  private sendSenderReports(): void {
    const unix = Date.now();
    const mono = performance.now();
    const pairs: [SendStream | undefined, RtpEndpoint | undefined][] = [
      [this.downlink?.stream, this.audioEp],
      [this.video?.stream, this.videoEp],
    ];
    for (const [stream, ep] of pairs) {
      if (!stream || !ep || stream.packets === 0) continue;
      const pkt = buildSenderReport(stream, this.cname, unix, mono);
      count(this.counters.room.rtcpOut, pkt.length);
      ep.sendRtcp(pkt);
    }
  }

  private sendBye(): void {
    const pairs: [SendStream | undefined, RtpEndpoint | undefined][] = [
      [this.downlink?.stream, this.audioEp],
      [this.video?.stream, this.videoEp],
    ];
    for (const [stream, ep] of pairs) {
      if (!stream || !ep || stream.packets === 0) continue;
      const rr = new ReceiverReport(stream.ssrc).encode();
      const bye = new Goodbye([stream.ssrc]).encode();
      ep.sendRtcp(Buffer.concat([rr, bye])); // RFC 3550 6.1: compound starts with SR/RR
    }
  }

  private drop(key: string, detail: object): void {
    if (key.endsWith('decode-error')) this.counters.decodeErrors++;
    else this.counters.malformedDropped++;
    this.drops.once(key, 'dropped media input', { key, ...detail });
  }

  /** Never let one bad packet or codec failure escape into a socket/emitter callback. */
  private guard(where: string, fn: () => void): void {
    if (this.closed) return;
    try {
      fn();
    } catch (err) {
      this.failed(where, err);
    }
  }

  private failed(where: string, err: unknown): void {
    this.counters.decodeErrors++;
    this.drops.once(`exception:${where}`, 'media handler failed', { where, error: String(err) });
  }
}
