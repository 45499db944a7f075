import { writeRtpHeader, RTP_HEADER_SIZE } from '../../../rtp/index.ts';
import { sharedMediaTicker, type TickSource } from '../../media-ticker.ts';
import type { AudioCodecName } from '../../negotiated-media.ts';
import { SendStream } from '../../send-stream.ts';
import { ComfortNoiseSender, frameRms, type ComfortNoiseSenderOptions } from '../cn/index.ts';
import { OPUS_FRAME_SAMPLES } from '../opus-codec.ts';
import { MixEncoder, normalisedPtime, type EncodedPayload } from './mix-encoder.ts';
import { MixSource, type MixSourceDrop } from './mix-source.ts';

export interface MeetingMixHubOptions {
  /** At most this many speakers are mixed (the loudest). Default 6. */
  maxSpeakers?: number;
  /** A source below this RMS (16-bit scale) is not a speaker. Default 60 (≈ -55 dBFS). */
  speakerThreshold?: number;
  /** A source with no input for this long leaves the mix, ms. Default 1000. */
  sourceTimeoutMs?: number;
  /** A feeding leg silent for this long hands the source to another leg, ms. Default 100. */
  feederTimeoutMs?: number;
  /**
   * 20 ms frames a source must hold before it is mixed. Default 1: the calls' jitter buffers
   * (bridge/jitter) already absorb network jitter, so more would only add delay.
   */
  prefillFrames?: number;
  ticker?: TickSource;
}

export interface MixSubscriberOptions {
  codec: AudioCodecName;
  payloadType: number;
  /** Room's packetisation interval, ms (G.711). Opus is always 20. */
  ptimeMs: number;
  /** Sends one RTP packet to the room (ownership passes). */
  send: (rtp: Buffer) => void;
  onDrop: (key: MixSourceDrop, detail: object) => void;
  /** Continue an existing stream (SSRC, seq, ts) when switching from a standalone downlink. */
  stream?: SendStream;
  /** RFC 3389 CN payload type the room negotiated: silence toward it becomes CN packets. */
  cnPt?: number;
  comfortNoise?: ComfortNoiseSenderOptions;
  /**
   * The hub takes each source from one room's leg: it asks the others to stop receiving a source
   * another leg already feeds (wanted false: the SFU stops forwarding it, nothing to decrypt), and
   * to take it again when the feeding leg leaves (wanted true). Returns false when the leg cannot
   * stop a source (it keeps receiving, and may take a source over from a feeder gone quiet).
   */
  onSourceWanted?: (sourceId: string, wanted: boolean) => boolean;
}

export interface MeetingMixHubStats {
  sources: number;
  subscribers: number;
  /** Speakers in the last mixed frame. */
  speakers: number;
  /** Distinct encodes in the last tick (shared mixes + personal mix-minus ones). */
  encodesLastTick: number;
  /** Packets of a source delivered by a second leg, ignored (each source is decoded once). */
  duplicateFeeds: number;
  /** Sources rooms' legs were asked not to receive (another leg of the meeting feeds them). */
  sourcesUnwanted: number;
  /** Quiet frames left out to take back delay a source's queue had gathered (MixSource.push). */
  trimmedFrames: number;
}

/**
 * The meeting → rooms audio of every room of one meeting in this process. Each meeting source is
 * decoded once; every 20 ms the loudest `maxSpeakers` sources (audio levels, like RFC 6464's use)
 * are mixed. A room whose own voice is among them hears a mix-minus of itself, encoded for it
 * alone; every other room hears the common mix, encoded ONCE per codec and packetisation and
 * shared: in a large meeting most rooms are listeners, so the cost per extra room is one RTP
 * header and one send.
 */
export class MeetingMixHub {
  private readonly sources = new Map<string, MixSource>();
  /** Which room's leg each source is taken from, and when that leg last delivered it (claim()). */
  private readonly feeders = new Map<string, MixSubscription>();
  private readonly claimedAt = new Map<string, number>();
  /** Every room whose leg has delivered a source (it can feed it if the feeder leaves). */
  private readonly holders = new Map<string, Set<MixSubscription>>();
  private readonly subscribers = new Set<MixSubscription>();
  private readonly encoders = new Map<string, { encoder: MixEncoder; lastUsedTick: number }>();
  private readonly maxSpeakers: number;
  private readonly threshold: number;
  private readonly sourceTimeoutMs: number;
  private readonly feederTimeoutMs: number;
  private readonly prefillSamples: number;
  private readonly ticker: TickSource;
  private untick: (() => void) | undefined;
  private readonly full = new Float32Array(OPUS_FRAME_SAMPLES);
  private readonly personal = new Float32Array(OPUS_FRAME_SAMPLES);
  private readonly speakers: string[] = [];
  private tickCount = 0;
  private encodesLastTick = 0;
  private duplicateFeeds = 0;
  private trimmedFrames = 0;

  constructor(opts: MeetingMixHubOptions = {}) {
    this.maxSpeakers = opts.maxSpeakers ?? 6;
    const threshold = opts.speakerThreshold ?? 60;
    this.threshold = threshold * threshold; // compared with mean squares
    this.sourceTimeoutMs = opts.sourceTimeoutMs ?? 1000;
    this.feederTimeoutMs = opts.feederTimeoutMs ?? 100;
    this.prefillSamples = Math.max(1, opts.prefillFrames ?? 1) * OPUS_FRAME_SAMPLES;
    this.ticker = opts.ticker ?? sharedMediaTicker();
  }

  subscribe(opts: MixSubscriberOptions): MixSubscription {
    const sub = new MixSubscription(this, opts);
    this.subscribers.add(sub);
    // after the calls' jitter buffers released this tick's packets (TickPhase)
    this.untick ??= this.ticker.subscribe((now) => this.tick(now), 'mix');
    return sub;
  }

  stats(): MeetingMixHubStats {
    return {
      sources: this.sources.size,
      subscribers: this.subscribers.size,
      speakers: this.speakers.length,
      encodesLastTick: this.encodesLastTick,
      duplicateFeeds: this.duplicateFeeds,
      sourcesUnwanted: [...this.subscribers].reduce((n, sub) => n + sub.unwantedCount, 0),
      trimmedFrames: this.trimmedFrames,
    };
  }

  /** Sources a subscriber hears (all but its own). */
  sourceCountFor(sub: MixSubscription): number {
    return this.sources.size - (sub.ownSourceId !== undefined && this.sources.has(sub.ownSourceId) ? 1 : 0);
  }

  /**
   * @internal via MixSubscription.claimSource: is `from` the leg this source is taken from? The
   * first leg to deliver it is; another takes over when that one closes or goes quiet.
   */
  claim(from: MixSubscription, sourceId: string, nowMs: number): boolean {
    const owner = this.feeders.get(sourceId);
    if (owner === from) {
      this.claimedAt.set(sourceId, nowMs);
      return true;
    }
    let holders = this.holders.get(sourceId);
    if (!holders) this.holders.set(sourceId, (holders = new Set()));
    holders.add(from);
    // a leg asked to stop receiving the source never takes it over (its last packets drain while
    // the SFU pauses it; were it the feeder, both legs could end up paused)
    if (from.isUnwanted(sourceId)) {
      this.duplicateFeeds++;
      return false;
    }
    if (owner && !owner.closed && nowMs - (this.claimedAt.get(sourceId) ?? 0) <= this.feederTimeoutMs) {
      this.duplicateFeeds++;
      from.markUnwanted(sourceId);
      return false;
    }
    this.feeders.set(sourceId, from);
    this.claimedAt.set(sourceId, nowMs);
    return true;
  }

  /** @internal via MixSubscription.onCloudAudio */
  push(from: MixSubscription, sourceId: string, rtp: Buffer, nowMs: number): void {
    let src = this.sources.get(sourceId);
    if (!src) {
      src = new MixSource(from, nowMs, this.prefillSamples);
      this.sources.set(sourceId, src);
    } else if (src.feeder !== from && this.feeders.get(sourceId) === from) {
      src.changeFeeder(from); // claim() moved the source to this leg
    } else if (src.feeder !== from) {
      const feeder = src.feeder as MixSubscription;
      if (!feeder.closed && nowMs - src.lastInputMs <= this.feederTimeoutMs) {
        this.duplicateFeeds++;
        return;
      }
      src.changeFeeder(from);
    }
    const trimmedBefore = src.trimmed;
    const dropped = src.push(rtp, nowMs);
    this.trimmedFrames += src.trimmed - trimmedBefore;
    if (dropped) from.opts.onDrop(dropped, { sourceId });
  }

  /** @internal via MixSubscription.concealSource: only the feeding leg's losses count. */
  conceal(from: MixSubscription, sourceId: string, samples: number, nowMs: number): void {
    const src = this.sources.get(sourceId);
    if (src && src.feeder === from) src.conceal(samples, nowMs);
  }

  /** @internal */
  queuedSamples(sourceId: string): number {
    return this.sources.get(sourceId)?.queuedSamples ?? 0;
  }

  /** @internal: the source is gone from the meeting (its producer closed). */
  removeSource(sourceId: string): void {
    this.sources.delete(sourceId);
    this.feeders.delete(sourceId);
    this.claimedAt.delete(sourceId);
    for (const sub of this.holders.get(sourceId) ?? []) sub.forgetUnwanted(sourceId);
    this.holders.delete(sourceId);
  }

  /** @internal */
  unsubscribe(sub: MixSubscription): void {
    this.subscribers.delete(sub);
    for (const [sourceId, holders] of this.holders) {
      holders.delete(sub);
      if (this.feeders.get(sourceId) !== sub) continue;
      // The feeding leg leaves: the other legs that hold the source receive it again; the first
      // to deliver becomes the feeder and the rest are asked to stop once more (claim()).
      this.feeders.delete(sourceId);
      this.claimedAt.delete(sourceId);
      for (const other of holders) other.markWanted(sourceId);
    }
    if (this.subscribers.size === 0) {
      this.untick?.();
      this.untick = undefined;
      this.sources.clear();
      this.feeders.clear();
      this.claimedAt.clear();
      this.holders.clear();
      this.encoders.clear();
    }
  }

  /** One 20 ms frame for every room. Exposed for tests driving a manual clock. */
  tick(nowMs: number): void {
    this.tickCount++;
    this.pullAndRank(nowMs);
    const full = this.full;
    full.fill(0);
    for (const id of this.speakers) {
      const f = this.sources.get(id)!.frame;
      for (let i = 0; i < OPUS_FRAME_SAMPLES; i++) full[i]! += f[i]!;
    }
    const shared = new Map<string, EncodedPayload[]>();
    const levels = new Map<string, number>();
    let encodes = 0;
    for (const sub of this.subscribers) {
      const own = sub.ownSourceId;
      const minus = own !== undefined && this.speakers.includes(own);
      const key = `${minus ? `minus:${own}` : 'all'}|${sub.opts.codec}|${sub.ptime}`;
      let payloads = shared.get(key);
      if (!payloads) {
        let frame = full;
        if (minus) {
          // RFC 7667 3.6 (mixer): a participant is not sent its own contribution
          const mine = this.sources.get(own)!.frame;
          frame = this.personal;
          for (let i = 0; i < OPUS_FRAME_SAMPLES; i++) frame[i] = full[i]! - mine[i]!;
        }
        clip(frame);
        payloads = this.encoderFor(key, sub).encode(frame);
        shared.set(key, payloads);
        levels.set(key, frameRms(frame)); // for rooms sending CN (RFC 3389) in their silences
        encodes++;
      }
      sub.sendPayloads(payloads, nowMs, levels.get(key));
    }
    this.encodesLastTick = encodes;
    // forget encoders of mixes nobody has heard for a second
    if (this.tickCount % 50 === 0) {
      for (const [k, e] of this.encoders) if (this.tickCount - e.lastUsedTick > 50) this.encoders.delete(k);
    }
  }

  private pullAndRank(nowMs: number): void {
    this.speakers.length = 0;
    const ranked: MixSource[] = [];
    for (const [id, src] of this.sources) {
      if (src.expired(nowMs, this.sourceTimeoutMs)) {
        // silent (muted, DTX): out of the mix; who feeds it and who holds it stay as they are
        this.sources.delete(id);
        continue;
      }
      if (src.pull() && src.level >= this.threshold) ranked.push(src);
    }
    ranked.sort((a, b) => b.level - a.level);
    for (const [id, src] of this.sources) {
      const rank = ranked.indexOf(src);
      if (rank >= 0 && rank < this.maxSpeakers) this.speakers.push(id);
    }
  }

  private encoderFor(key: string, sub: MixSubscription): MixEncoder {
    let e = this.encoders.get(key);
    if (!e) {
      e = { encoder: new MixEncoder(sub.opts.codec, sub.ptime), lastUsedTick: this.tickCount };
      this.encoders.set(key, e);
    }
    e.lastUsedTick = this.tickCount;
    return e.encoder;
  }
}

function clip(frame: Float32Array): void {
  for (let i = 0; i < frame.length; i++) {
    const v = frame[i]!;
    if (v > 32767) frame[i] = 32767;
    else if (v < -32768) frame[i] = -32768;
  }
}

/** One room's place in a hub: its own RTP stream (SSRC, seq, ts) carrying the shared payloads. */
export class MixSubscription {
  readonly stream: SendStream;
  readonly ptime: number;
  /** The meeting source id of this room's own voice (its leg's peer), excluded from what it hears. */
  ownSourceId: string | undefined;
  closed = false;
  /**
   * While true (an RFC 4733 event is on the wire on this stream) frames advance the clock but
   * are not sent; the first one after carries the marker (RFC 3551 4.1, RFC 4733 2.5.1.5).
   */
  suppressed = false;
  private marker = true;
  /** Sources this room's leg was asked not to receive (another leg feeds them). */
  private readonly unwanted = new Set<string>();
  /** Discontinuous transmission with CN when the room negotiated it (never for Opus: RFC 7587 DTX). */
  readonly comfortNoise: ComfortNoiseSender | undefined;

  constructor(
    private readonly hub: MeetingMixHub,
    readonly opts: MixSubscriberOptions,
  ) {
    this.ptime = opts.codec === 'opus' ? 20 : normalisedPtime(opts.ptimeMs);
    this.stream = opts.stream ?? new SendStream(opts.codec === 'opus' ? 48000 : 8000);
    this.comfortNoise = opts.cnPt !== undefined && opts.codec !== 'opus' ? new ComfortNoiseSender(opts.comfortNoise) : undefined;
  }

  /** Should this room's leg hand that source's packets on (false: another leg feeds it)? */
  claimSource(sourceId: string, nowMs: number): boolean {
    return !this.closed && this.hub.claim(this, sourceId, nowMs);
  }

  /** Opus RTP of one meeting source, as this room's leg received it. */
  onCloudAudio(sourceId: string, rtp: Buffer, nowMs: number): void {
    if (!this.closed) this.hub.push(this, sourceId, rtp, nowMs);
  }

  removeSource(sourceId: string): void {
    this.hub.removeSource(sourceId);
  }

  /** The jitter buffer of this room's leg lost a packet of that source. */
  concealSource(sourceId: string, samples: number, nowMs: number): void {
    if (!this.closed) this.hub.conceal(this, sourceId, samples, nowMs);
  }

  queuedSamples(sourceId: string): number {
    return this.hub.queuedSamples(sourceId);
  }

  get activeSources(): number {
    return this.hub.sourceCountFor(this);
  }

  isUnwanted(sourceId: string): boolean {
    return this.unwanted.has(sourceId);
  }

  get unwantedCount(): number {
    return this.unwanted.size;
  }

  /** @internal: another leg feeds this source; this room's leg need not receive it. */
  markUnwanted(sourceId: string): void {
    if (this.closed || this.unwanted.has(sourceId)) return;
    if (this.opts.onSourceWanted?.(sourceId, false)) this.unwanted.add(sourceId);
  }

  /** @internal: the feeding leg left; this room's leg should receive the source again. */
  markWanted(sourceId: string): void {
    if (this.closed || !this.unwanted.delete(sourceId)) return;
    this.opts.onSourceWanted?.(sourceId, true);
  }

  /** @internal: the source left the meeting; nothing to resume. */
  forgetUnwanted(sourceId: string): void {
    this.unwanted.delete(sourceId);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    // the leg may outlive this subscription (a re-INVITE re-subscribes): let it receive again
    for (const sourceId of this.unwanted) this.opts.onSourceWanted?.(sourceId, true);
    this.unwanted.clear();
    this.hub.unsubscribe(this);
  }

  /**
   * @internal: the hub hands this tick's payloads (shared with other rooms: copied, never
   * modified) and the RMS of the 20 ms frame they came from.
   */
  sendPayloads(payloads: EncodedPayload[], nowMs: number, rms = 0): void {
    const s = this.stream;
    const cn = this.comfortNoise;
    cn?.observeFrame(rms);
    for (const { payload, samples } of payloads) {
      if (this.suppressed) {
        s.ts = (s.ts + samples) >>> 0;
        this.marker = true;
        continue;
      }
      let body = payload;
      let pt = this.opts.payloadType;
      if (cn) {
        const d = cn.decide(nowMs);
        if (d.kind === 'skip') {
          s.ts = (s.ts + samples) >>> 0; // RFC 3389 4: the clock runs on through the silence
          continue;
        }
        if (d.kind === 'sid') {
          body = d.payload;
          pt = this.opts.cnPt!;
        } else if (d.marker) {
          this.marker = true; // RFC 3551 4.1: first packet of a talkspurt
        }
      }
      const pkt = Buffer.allocUnsafe(RTP_HEADER_SIZE + body.length);
      body.copy(pkt, RTP_HEADER_SIZE);
      const ts = s.ts;
      const marker = pt === this.opts.payloadType && this.marker;
      writeRtpHeader(pkt, pt, marker, s.nextSeq(), ts, s.ssrc);
      if (marker) this.marker = false;
      s.ts = (ts + samples) >>> 0;
      s.record(ts, body.length, nowMs);
      this.opts.send(pkt);
    }
  }
}

/** Hubs by meeting, shared by the calls of this process; a hub lives while a call holds it. */
export class MeetingMixHubs {
  private readonly hubs = new Map<string, { hub: MeetingMixHub; refs: number }>();

  constructor(private readonly opts: MeetingMixHubOptions = {}) {}

  acquire(meetingId: string): MixHubLease {
    let entry = this.hubs.get(meetingId);
    if (!entry) {
      entry = { hub: new MeetingMixHub(this.opts), refs: 0 };
      this.hubs.set(meetingId, entry);
    }
    entry.refs++;
    const held = entry;
    let released = false;
    return {
      hub: held.hub,
      release: () => {
        if (released) return;
        released = true;
        if (--held.refs === 0 && this.hubs.get(meetingId) === held) this.hubs.delete(meetingId);
      },
    };
  }

  get size(): number {
    return this.hubs.size;
  }
}

export interface MixHubLease {
  hub: MeetingMixHub;
  release(): void;
}
