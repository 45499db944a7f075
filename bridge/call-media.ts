import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { Goodbye, ReceiverReport, RtpEndpoint, rtpPayloadType, silentLogger, type Logger } from '../rtp/index.ts';
import { MeetingAudioToRoom } from './audio/meeting-audio-to-room.ts';
import type { MixSubscription } from './audio/mix/meeting-mix-hub.ts';
import { RoomAudioToMeeting } from './audio/room-audio-to-meeting.ts';
import type { CallMediaEvents, CallMediaOptions, CallMediaStats } from './call-media-types.ts';
import type { CloudMediaPort, CloudMediaPortEvents } from './cloud-media-port.ts';
import { CallDtmf } from './dtmf/call-dtmf.ts';
import type { DtmfDigit } from './dtmf/dtmf-digit.ts';
import { KeyframeLimiter } from './keyframe-limiter.ts';
import { count, DropLog, newCallMediaStats } from './media-counters.ts';
import { sharedMediaTicker, type TickSource } from './media-ticker.ts';
import type { NegotiatedAudio, NegotiatedMedia, NegotiatedVideo } from './negotiated-media.ts';
import { buildPliCompound, buildReceiverReport, buildSenderReport, randomisedInterval } from './rtcp-sender.ts';
import type { SendStream } from './send-stream.ts';
import { packetizationModeOf } from './video/h264-single-nal.ts';
import { VideoRelay } from './video/video-relay.ts';
import { NO_BITRATE_LIMIT, RoomVideoBitrateLimit } from './video/room-bitrate-limit.ts';
import { concealerFor } from './audio/concealment.ts';
import { CloudAudioPlayout } from './jitter/cloud-audio-playout.ts';
import { MediaLiveness } from './jitter/media-liveness.ts';
import { RoomAudioPlayout } from './jitter/room-audio-playout.ts';
import { StreamQuality } from './jitter/stream-quality.ts';

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
  private downlink: MeetingAudioToRoom | MixSubscription | undefined;
  /** The meeting source id of the room's own voice (its leg's peer): never mixed back to it. */
  private ownSourceId: string | undefined;
  private video: VideoRelay | undefined;
  private readonly dtmf: CallDtmf;
  private audioDesc: NegotiatedAudio | undefined;
  private videoDesc: NegotiatedVideo | undefined;
  private cloud: CloudMediaPort | undefined;
  private cloudListeners: CloudListeners | undefined;
  private untick: (() => void) | undefined;
  private rtcpTimer: NodeJS.Timeout | undefined;
  /** Watches an outstanding keyframe request toward the room (see armRoomKeyframeWatch). */
  private roomKeyframeWatch: NodeJS.Timeout | undefined;
  private roomKeyframeRetries = 0;
  private closed = false;
  // issue #4: reception quality both ways, jitter buffers, media liveness (bridge/jitter/)
  private readonly audioQuality = new StreamQuality(8000);
  private readonly videoQuality = new StreamQuality(90000);
  private roomPlayout: RoomAudioPlayout | undefined;
  private cloudPlayout: CloudAudioPlayout | undefined;
  private liveness: MediaLiveness | undefined;
  private livenessTimer: NodeJS.Timeout | undefined;
  // issue #4: the room's video bit rate limit (SDP b=, RTCP TMMBR/REMB) told to the cloud port
  private readonly videoLimit = new RoomVideoBitrateLimit({
    onLimit: (bps) => this.cloud?.limitVideoBitrate?.(bps),
    sendRtcp: (pkt) => {
      count(this.counters.room.rtcpOut, pkt.length);
      this.videoEp?.sendRtcp(pkt);
    },
    onDrop: (key, detail) => this.drop(`video:${key}`, detail),
  });

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
    this.dtmf = new CallDtmf({
      onStart: (digit, at) => this.emit('dtmf-start', digit, at),
      onDigit: (d) => this.emit('dtmf', d.digit, d.durationMs, d.startedAtMs),
      send: (rtp) => {
        count(this.counters.room.audioOut, rtp.length);
        this.audioEp.sendRtp(rtp);
      },
    });
    this.wireEndpoints();
  }

  /** Bind the room-side ports (audio, and video unless `video: false`). */
  static async create(opts: CallMediaOptions): Promise<CallMedia> {
    const base = opts.logger ?? silentLogger;
    const logger = base.child?.({ component: 'call-media' }) ?? base;
    let audioEp: RtpEndpoint;
    try {
      audioEp = await RtpEndpoint.open({ ports: opts.ports, bindAddress: opts.bindAddress, logger, label: 'audio' });
    } catch (err) {
      opts.mixHub?.release();
      throw err;
    }
    let videoEp: RtpEndpoint | undefined;
    if (opts.video !== false) {
      try {
        videoEp = await RtpEndpoint.open({ ports: opts.ports, bindAddress: opts.bindAddress, logger, label: 'video' });
      } catch (err) {
        audioEp.close();
        opts.mixHub?.release();
        throw err;
      }
    }
    return new CallMedia(opts, audioEp, videoEp, logger);
  }

  /** Apply the negotiated media (SDP answer). May be called again after a re-INVITE. */
  setRemote(desc: NegotiatedMedia): void {
    if (this.closed) return;
    this.startLiveness();
    this.applyAudio(desc.address, desc.audio);
    this.applyVideo(desc.address, desc.video);
    this.videoLimit.setSdpLimit(desc.video?.maxBitrateBps);
    if (!this.rtcpTimer) this.scheduleRtcp();
  }

  /**
   * The room's signalling limits the video we send it (H.245 flowControlCommand; undefined lifts
   * it): combined with its SDP/RTCP limits, it picks the simulcast layer as b=TIAS does.
   */
  limitVideoFromSignalling(bps: number | undefined): void {
    if (!this.closed) this.videoLimit.setSignalledLimit(bps);
  }

  /**
   * Connect the meeting side. Replaces (and detaches from) a previously attached port.
   * `ownSourceId`: the sourceId under which the meeting knows this room's own audio (its leg's
   * peer), so a shared mix never plays the room back to itself.
   */
  attachCloud(port: CloudMediaPort, ownSourceId?: string): void {
    if (this.closed) return;
    this.detachCloud();
    this.ownSourceId = ownSourceId;
    if (this.downlink && 'ownSourceId' in this.downlink) this.downlink.ownSourceId = ownSourceId;
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
    // always, so the port knows the room's limit from the start (NO_BITRATE_LIMIT: none stated)
    port.limitVideoBitrate?.(this.videoLimit.limitBps ?? NO_BITRATE_LIMIT);
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
    this.cloudPlayout?.remove(sourceId);
    this.downlink?.removeSource(sourceId);
  }

  /**
   * Send one key to the room as RFC 4733 events (queued behind earlier ones). False when no
   * telephone-event was negotiated at the audio clock, or the queue is full: the caller falls
   * back to SIP INFO.
   */
  sendDtmf(digit: DtmfDigit, durationMs?: number): boolean {
    return !this.closed && this.dtmf.send(digit, durationMs);
  }

  /** True when the room negotiated telephone-event (RFC 4733) for its audio. */
  get canSendRfc4733(): boolean {
    return !this.closed && this.dtmf.canSend;
  }

  dtmfStats(): ReturnType<CallDtmf['stats']> {
    return this.dtmf.stats();
  }

  stats(): CallMediaStats {
    const s = structuredClone(this.counters);
    const a = this.audioEp.stats();
    const v = this.videoEp?.stats();
    s.malformedDropped += a.malformed + (v?.malformed ?? 0);
    s.room.rtcpIn.packets = a.rtcpIn + (v?.rtcpIn ?? 0);
    s.activeCloudAudioSources = this.downlink?.activeSources ?? 0;
    s.videoSourceSwitches = this.video?.switches ?? 0;
    s.videoHeldForKeyframe = this.video?.heldForKeyframe ?? 0;
    s.videoBitrateLimit = this.videoLimit.stats();
    s.quality = { audio: this.audioQuality.snapshot(), video: this.videoQuality.snapshot() };
    s.jitter = { roomAudio: this.roomPlayout?.stats(), cloudAudio: this.cloudPlayout?.stats() };
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
    if (this.roomKeyframeWatch) clearTimeout(this.roomKeyframeWatch);
    this.roomKeyframeWatch = undefined;
    if (this.livenessTimer) clearInterval(this.livenessTimer);
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
    this.closeDownlink();
    this.opts.mixHub?.release();
    this.video = undefined;
    this.dtmf.configure(undefined, undefined);
    this.removeAllListeners();
  }

  private wireEndpoints(): void {
    this.audioEp.on('rtp', this.onRoomAudio);
    this.audioEp.on('rtcp', (buf) => this.guard('room-rtcp', () => {
      this.counters.room.rtcpIn.bytes += buf.length;
      this.liveness?.heard(performance.now());
      this.audioQuality.onRtcp(buf, this.downlink?.stream.ssrc, performance.now(), Date.now());
    }));
    this.audioEp.on('latched', (which, r) => { if (which === 'rtp') this.emit('remote-latched', 'audio', r.address, r.port); });
    const v = this.videoEp;
    if (!v) return;
    v.on('rtp', this.onRoomVideo);
    v.on('rtcp', (buf) => this.guard('room-rtcp', () => {
      this.counters.room.rtcpIn.bytes += buf.length;
      this.liveness?.heard(performance.now());
      this.videoQuality.onRtcp(buf, this.video?.stream.ssrc, performance.now(), Date.now());
      this.video?.onRoomRtcp(buf);
      if (this.video) this.videoLimit.onRoomRtcp(buf, this.video.stream.ssrc, this.cname);
    }));
    v.on('latched', (which, r) => { if (which === 'rtp') this.emit('remote-latched', 'video', r.address, r.port); });
  }

  // Per-packet handlers: bound once, try/catch inline (no closure per packet).
  private readonly onRoomAudio = (buf: Buffer): void => {
    if (this.closed) return;
    try {
      count(this.counters.room.audioIn, buf.length);
      const now = performance.now();
      this.liveness?.heard(now);
      // RFC 4733 events never reach the audio decoder
      if (this.dtmf.isEventPt(rtpPayloadType(buf))) return this.dtmf.onRoomRtp(buf, now);
      this.audioQuality.onRtp(buf, now);
      if (!this.cloud) return; // nobody to hear it: skip the Opus encode
      if (this.roomPlayout) this.roomPlayout.push(buf, now);
      else this.uplink?.onRoomRtp(buf);
    } catch (err) {
      this.failed('room-audio', err);
    }
  };

  private readonly onRoomVideo = (buf: Buffer): void => {
    if (this.closed) return;
    try {
      count(this.counters.room.videoIn, buf.length);
      const now = performance.now();
      this.liveness?.heard(now);
      this.videoQuality.onRtp(buf, now);
      this.video?.onRoomRtp(buf);
    } catch (err) {
      this.failed('room-video', err);
    }
  };

  private readonly onCloudAudio = (sourceId: string, rtp: Buffer): void => {
    if (this.closed) return;
    try {
      count(this.counters.cloud.audioIn, rtp.length);
      const now = performance.now();
      const d = this.downlink;
      // A shared mix takes each source from one room's leg only: the others skip their jitter buffer.
      if (d && 'claimSource' in d && !d.claimSource(sourceId, now)) return;
      if (this.cloudPlayout) this.cloudPlayout.push(sourceId, rtp, now);
      else d?.onCloudAudio(sourceId, rtp, now);
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
      this.roomPlayout?.tick(now);
      this.cloudPlayout?.tick(now);
      this.dtmf.tick(now); // before the audio, so a starting event suppresses this tick's frame
      const d = this.downlink;
      if (d) {
        d.suppressed = this.dtmf.sending;
        if ('tick' in d) d.tick(now);
      }
    } catch (err) {
      this.failed('tick', err);
    }
  };

  private applyAudio(address: string, audio: NegotiatedAudio | undefined): void {
    if (!audio || audio.port === 0) {
      this.untick?.();
      this.untick = undefined;
      this.uplink = undefined;
      this.closeDownlink();
      this.roomPlayout = undefined;
      this.cloudPlayout = undefined;
      this.audioDesc = undefined;
      this.dtmf.configure(undefined, undefined);
      return;
    }
    this.audioEp.setRemote(address, audio.port, { ...(audio.srtp ? { srtp: audio.srtp } : {}), ...(audio.rtcpPort ? { rtcpPort: audio.rtcpPort } : {}) });
    this.liveness?.setRoomSending(audio.direction !== 'recvonly' && audio.direction !== 'inactive', performance.now());
    const prev = this.audioDesc;
    this.audioDesc = audio;
    if (prev && prev.codec === audio.codec && prev.payloadType === audio.payloadType && prev.ptimeMs === audio.ptimeMs
      && prev.telephoneEventPt === audio.telephoneEventPt && prev.telephoneEventRate === audio.telephoneEventRate
      && prev.cnPt === audio.cnPt) return;
    this.uplink = new RoomAudioToMeeting({
      codec: audio.codec,
      payloadType: audio.payloadType,
      telephoneEventPt: audio.telephoneEventPt,
      cnPt: audio.cnPt,
      send: (rtp) => {
        const c = this.cloud;
        if (!c) return;
        count(this.counters.cloud.audioOut, rtp.length);
        c.sendAudio(rtp);
      },
      onDrop: (key, detail) => this.drop(`room-audio:${key}`, detail),
    });
    const previous = this.downlink?.stream;
    this.closeDownlink();
    const downlinkOpts = {
      codec: audio.codec,
      payloadType: audio.payloadType,
      ptimeMs: audio.ptimeMs,
      cnPt: audio.cnPt, // RFC 3389: silence toward the room as CN
      send: (rtp: Buffer) => {
        count(this.counters.room.audioOut, rtp.length);
        this.audioEp.sendRtp(rtp);
      },
      onDrop: (key: string, detail: object) => this.drop(`cloud-audio:${key}`, detail),
      // the meeting's shared mix takes each source from one leg: the others stop receiving it
      onSourceWanted: (sourceId: string, wanted: boolean) => {
        const cloud = this.cloud;
        if (!cloud?.setAudioSourceWanted) return false;
        cloud.setAudioSourceWanted(sourceId, wanted);
        return true;
      },
      // same codec clock: keep SSRC/seq/ts continuous across a re-INVITE (RFC 3550 5.1)
      ...(previous && previous.clockRate === (audio.codec === 'opus' ? 48000 : 8000) ? { stream: previous } : {}),
    };
    const hub = this.opts.mixHub?.hub;
    if (hub) {
      const sub = hub.subscribe(downlinkOpts);
      sub.ownSourceId = this.ownSourceId;
      this.downlink = sub;
    } else {
      this.downlink = new MeetingAudioToRoom({ ...downlinkOpts, sourceTimeoutMs: this.opts.sourceTimeoutMs });
    }
    this.dtmf.configure(audio.telephoneEventPt === undefined ? undefined : { payloadType: audio.telephoneEventPt, clockRate: audio.telephoneEventRate ?? audio.clockRate }, this.downlink.stream);
    this.audioQuality.setClockRate(audio.clockRate);
    this.attachJitterBuffers(audio);
    // DTMF events, jitter buffers (and a standalone downlink) run on the 20 ms clock
    this.untick ??= this.ticker.subscribe(this.onTick);
  }


  /** Jitter buffers before the transcoder (room → meeting) and before the mixer (meeting → room). */
  private attachJitterBuffers(audio: NegotiatedAudio): void {
    const jb = this.opts.jitterBuffer;
    if (!jb) return;
    const jitter = jb === true ? {} : jb;
    const uplink = this.uplink!;
    const downlink = this.downlink!;
    // An Opus room is passed through as it came: the meeting's receivers reorder and conceal
    // (with the in-band FEC we cannot decode) in their own jitter buffers, without our delay.
    this.roomPlayout = audio.codec === 'opus' ? undefined : new RoomAudioPlayout({
      clockRate: audio.clockRate,
      payloadType: audio.payloadType,
      concealer: concealerFor(audio.codec),
      deliver: (rtp) => uplink.onRoomRtp(rtp),
      jitter,
      // RFC 3389: comfort noise from the room's CN packets, on the room's timeline
      cnPt: audio.cnPt,
      samplesPerTs: audio.codec === 'G722' ? 2 : 1,
      deliverPcm: (ts, pcm) => uplink.onRoomPcm(ts, pcm),
      onDrop: (key, detail) => this.drop(`room-audio:${key}`, detail),
    });
    this.cloudPlayout = new CloudAudioPlayout({
      deliver: (id, rtp, now) => downlink.onCloudAudio(id, rtp, now),
      conceal: (id, samples, now) => downlink.concealSource(id, samples, now),
      queuedSamples: (id) => downlink.queuedSamples(id),
      jitter,
    });
  }

  /** The media timeout runs from the first negotiated media (not while a dial-out rings). */
  private startLiveness(): void {
    const ms = this.opts.mediaTimeoutMs;
    if (!ms || this.liveness) return;
    this.liveness = new MediaLiveness({ timeoutMs: ms }, performance.now());
    this.livenessTimer = setInterval(() => this.checkLiveness(), Math.min(1000, ms / 4));
    this.livenessTimer.unref?.();
  }

  private checkLiveness(): void {
    const now = performance.now();
    if (this.closed || !this.liveness?.check(now)) return;
    const silentMs = Math.round(this.liveness.silentForMs(now));
    this.logger.warn('no media from the room', { silentMs });
    this.emit('media-timeout', silentMs);
  }

  private closeDownlink(): void {
    if (this.downlink && 'close' in this.downlink) this.downlink.close();
    this.downlink = undefined;
  }

  private applyVideo(address: string, video: NegotiatedVideo | undefined): void {
    if (!this.videoEp) return;
    if (!video || video.port === 0) {
      this.video = undefined;
      this.videoDesc = undefined;
      return;
    }
    this.videoEp.setRemote(address, video.port, { ...(video.srtp ? { srtp: video.srtp } : {}), ...(video.rtcpPort ? { rtcpPort: video.rtcpPort } : {}) });
    if (this.videoDesc?.payloadType === video.payloadType && this.video) return;
    this.videoDesc = video;
    this.video = new VideoRelay({
      payloadType: video.payloadType,
      packetizationMode: packetizationModeOf(video.fmtp),
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
    this.armRoomKeyframeWatch();
    const v = this.video;
    if (v && this.videoEp) {
      // RFC 4585 6.3.1: PLI from our video SSRC about the room's video SSRC
      const pkt = buildPliCompound(v.stream.ssrc, v.roomSsrc, this.cname);
      count(this.counters.room.rtcpOut, pkt.length);
      this.videoEp.sendRtcp(pkt);
    }
  }

  /**
   * Some terminals ignore a keyframe request (INFO or PLI) now and then, or until asked again:
   * when no keyframe arrives within `keyframeRetryMs`, ask again, at most 3 times per request.
   */
  private armRoomKeyframeWatch(): void {
    const relay = this.video;
    if (!relay || this.roomKeyframeWatch || this.closed) return;
    const seen = relay.roomKeyframes;
    this.roomKeyframeWatch = setTimeout(() => {
      this.roomKeyframeWatch = undefined;
      if (this.closed || this.video !== relay) return;
      if (relay.roomKeyframes !== seen || this.roomKeyframeRetries >= 3) {
        this.roomKeyframeRetries = 0;
        return;
      }
      this.roomKeyframeRetries++;
      this.counters.keyframeRetriesToRoom++;
      this.toRoomKeyframes.request();
    }, this.opts.keyframeRetryMs ?? 1000);
    this.roomKeyframeWatch.unref?.();
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
    const triples: [SendStream | undefined, RtpEndpoint | undefined, StreamQuality][] = [
      [this.downlink?.stream, this.audioEp, this.audioQuality],
      [this.video?.stream, this.videoEp, this.videoQuality],
    ];
    for (const [stream, ep, quality] of triples) {
      if (!stream || !ep) continue;
      // RFC 3550 6.4: SR once we send on this stream, RR before that; the block carries the
      // true loss/jitter of the room's stream (A.3, A.8).
      const blocks = quality.reportBlocks(mono);
      if (stream.packets === 0 && blocks.length === 0) continue;
      const pkt = stream.packets > 0
        ? buildSenderReport(stream, this.cname, unix, mono, blocks)
        : buildReceiverReport(stream.ssrc, this.cname, blocks);
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
