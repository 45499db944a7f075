// A real Chromium participant of the embedded meeting (meeting/page), driven by playwright-core.
// Each participant runs in its own headless Chromium with a fresh profile directory.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { dominantFrequency } from './spectrum.ts';

// @discordjs/opus is CommonJS without named ESM exports
const { OpusEncoder } = createRequire(import.meta.url)('@discordjs/opus') as typeof import('@discordjs/opus');

export const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  '--allow-loopback-in-peer-connection', // else no ICE candidates on a loopback-only network
  '--disable-features=WebRtcHideLocalIpsWithMdns',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--autoplay-policy=no-user-gesture-required', // the tone's AudioContext starts without a click
];

export interface ParticipantOptions {
  /** Page URL of the meeting server, e.g. http://127.0.0.1:PORT/ */
  meetingUrl: string;
  room: string;
  name: string;
  /** Send a sine tone at this frequency (Hz) instead of the fake microphone. */
  tone?: number;
  /** Send the fake microphone (ignored with tone). Default true. */
  audio?: boolean;
  /** Send the fake camera. Default true. */
  video?: boolean;
  /** Send the camera as three H.264 simulcast layers (page flag `&simulcast=1`). Default false. */
  simulcast?: boolean;
}

export interface Participant {
  page: Page;
  /** Resolves when a tile named `name` is shown. */
  waitForPeer(name: string): Promise<void>;
  /** Resolves when no tile named `name` is shown. */
  waitForPeerGone(name: string): Promise<void>;
  /** Dominant frequency (Hz) of the Opus audio received from `peerName` (decoded in Node). */
  dominantFrequencyFrom(peerName: string, minFrames?: number): Promise<number>;
  /** Video frames decoded from `peerName` so far. */
  framesDecodedFrom(peerName: string): Promise<number>;
  close(): Promise<void>;
}

/** Opus frames skipped at the start of a stream (the encoder ramps up, the tone may start late). */
const SKIP_FRAMES = 25;

export async function openParticipant(opts: ParticipantOptions): Promise<Participant> {
  const profile = mkdtempSync(join(tmpdir(), 'roomgate-chromium-'));
  let context: BrowserContext | undefined;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: chromiumArgs,
      viewport: { width: 1280, height: 720 },
    });
    const page = context.pages()[0] ?? (await context.newPage());
    const url = new URL(opts.meetingUrl);
    url.searchParams.set('room', opts.room);
    url.searchParams.set('name', opts.name);
    if (opts.tone !== undefined) url.searchParams.set('tone', String(opts.tone));
    if (opts.audio === false) url.searchParams.set('audio', '0');
    if (opts.video === false) url.searchParams.set('video', '0');
    if (opts.simulcast) url.searchParams.set('simulcast', '1');
    await page.goto(url.toString());
    await page.waitForFunction(() => window.roomgateTest !== undefined);
    await page.evaluate(() => window.roomgateTest!.ready);
    return participant(page, context, profile);
  } catch (err) {
    await context?.close().catch(() => {});
    rmSync(profile, { recursive: true, force: true });
    throw err;
  }
}

function participant(page: Page, context: BrowserContext, profile: string): Participant {
  let closed = false;
  return {
    page,
    async waitForPeer(name) {
      await page.waitForFunction((n) => window.roomgateTest!.peers().includes(n), name);
    },
    async waitForPeerGone(name) {
      await page.waitForFunction((n) => !window.roomgateTest!.peers().includes(n), name);
    },
    async dominantFrequencyFrom(peerName, minFrames = 100) {
      await page.waitForFunction(
        ([n, count]) => window.roomgateTest!.audioFrameCount(n) >= count,
        [peerName, minFrames + SKIP_FRAMES] as const,
      );
      const frames = await page.evaluate((n) => window.roomgateTest!.audioFrames(n), peerName);
      return dominantFrequency(decodeOpus(frames.slice(SKIP_FRAMES)), 48000);
    },
    async framesDecodedFrom(peerName) {
      const stats = await page.evaluate(() => window.roomgateTest!.stats());
      return stats[peerName]?.video?.framesDecoded ?? 0;
    },
    async close() {
      if (closed) return;
      closed = true;
      await context.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Decode Opus packets to one mono 48 kHz PCM signal (libopus downmixes stereo packets). */
export function decodeOpus(frames: number[][]): Int16Array {
  const decoder = new OpusEncoder(48000, 1);
  const chunks = frames.map((f) => decoder.decode(Buffer.from(f)));
  const bytes = Buffer.concat(chunks);
  const pcm = new Int16Array(bytes.length >> 1);
  new Uint8Array(pcm.buffer).set(bytes.subarray(0, pcm.length * 2)); // copy: Buffer may be unaligned
  return pcm;
}
