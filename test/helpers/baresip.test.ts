// Proves the baresip driver against real peers: baresip calling baresip, and SIPp.
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { readPicture, showsFakevideoPattern, startBaresip, type Baresip } from './baresip.ts';
import { ManagedProcess, freeSipPort, withDeadline } from './processes.ts';
import { dominantFrequency } from './spectrum.ts';
import { readWav } from './wav.ts';

const scratch = mkdtempSync(join(tmpdir(), 'baresip-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const running: Baresip[] = [];
async function terminal(opts: Parameters<typeof startBaresip>[0]): Promise<Baresip> {
  const b = await startBaresip(opts);
  running.push(b);
  return b;
}
afterEach(async () => {
  await Promise.all(running.splice(0).map((b) => b.stop()));
});

describe('baresip driver: two terminals on 127.0.0.1', () => {
  it.each([
    ['PCMU/8000/1', 8000],
    ['PCMA/8000/1', 8000],
    ['opus/48000/2', 48000],
  ])('%s call carries each side\'s tone to the other (440 Hz one way, 880 Hz back)', async (codec, rate) => {
    const a = await terminal({ user: 'a', tone: 440, codecs: [codec] });
    const b = await terminal({ user: 'b', tone: 880, codecs: [codec] });

    await a.dial(b.sipUri);
    await a.waitFor('CALL_ESTABLISHED');
    const incoming = await b.waitFor('CALL_ESTABLISHED');
    expect(incoming.direction).toBe('incoming');
    expect(await a.command('callstat')).toContain(codec.split('/').slice(0, 2).join('/'));

    await b.waitForReceivedAudio(1.5);
    await a.waitForReceivedAudio(1.5);
    await a.hangup();
    await b.waitFor('CALL_CLOSED');

    const heardByB = b.recording();
    const heardByA = a.recording();
    expect(heardByB.sampleRate).toBe(rate);
    expect(heardByA.sampleRate).toBe(rate);
    expect(Math.abs(dominantFrequency(heardByB.samples, heardByB.sampleRate) - 440)).toBeLessThanOrEqual(5);
    expect(Math.abs(dominantFrequency(heardByA.samples, heardByA.sampleRate) - 880)).toBeLessThanOrEqual(5);
  });

  it('H.264 video from fakevideo is decoded by the far end (≥ 30 frames, 352x288 snapshot)', async () => {
    const a = await terminal({ user: 'a', video: true, codecs: ['PCMU/8000/1'] });
    const b = await terminal({ user: 'b', video: true, codecs: ['PCMU/8000/1'] });
    await a.dial(b.sipUri);
    await a.waitFor('CALL_ESTABLISHED');
    await b.waitFor('CALL_RTPESTAB', { match: (e) => e.param === 'video' });

    const stats = await b.waitForDecodedFrames(30, 15_000);
    expect(stats.decodedFrames).toBeGreaterThanOrEqual(30);
    expect(stats.receivedSize).toBe('352 x 288');
    expect(await b.command('callstat')).toMatch(/H264\/90000/);

    const png = join(scratch, 'b-received.png');
    await b.snapshotReceived(png);
    const picture = readPicture(png);
    expect([picture.width, picture.height]).toEqual([352, 288]);
    expect(showsFakevideoPattern(picture)).toBe(true);
    await a.hangup();
  });

  it('answers by command in manual answer mode and copies the recording to recordTo', async () => {
    const recordTo = join(scratch, 'manual.wav');
    const a = await terminal({ user: 'a', tone: 1000, codecs: ['PCMU/8000/1'] });
    const b = await terminal({ user: 'b', answerMode: 'manual', codecs: ['PCMU/8000/1'], recordTo });
    await a.dial(b.sipUri);
    const incoming = await b.waitFor('CALL_INCOMING');
    expect(incoming.peeruri).toBe(a.sipUri);
    await b.accept();
    await b.waitFor('CALL_ESTABLISHED');
    await a.waitFor('CALL_ESTABLISHED');
    await b.waitForReceivedAudio(1);
    await b.hangup();
    await a.waitFor('CALL_CLOSED');
    await b.stop();
    expect(existsSync(b.dir)).toBe(false);
    const wav = readWav(recordTo);
    expect(Math.abs(dominantFrequency(wav.samples, wav.sampleRate) - 1000)).toBeLessThanOrEqual(5);
  });

  it('hangup() after the peer hung up sends nothing and returns the close', async () => {
    const a = await terminal({ user: 'a', codecs: ['PCMU/8000/1'] });
    const b = await terminal({ user: 'b', codecs: ['PCMU/8000/1'] });
    await a.dial(b.sipUri);
    await a.waitFor('CALL_ESTABLISHED');
    await b.waitFor('CALL_ESTABLISHED');
    await b.hangup();
    const closed = await a.waitFor('CALL_CLOSED');
    expect(a.openCalls().size).toBe(0);
    expect(await a.hangup()).toBe(closed);
  });

  it('fails a wait for CALL_ESTABLISHED at once, with the reason, when the call is rejected', async () => {
    const a = await terminal({ user: 'a', codecs: ['PCMU/8000/1'] });
    const b = await terminal({ user: 'b', codecs: ['PCMA/8000/1'] });
    await a.dial(b.sipUri);
    await expect(a.waitFor('CALL_ESTABLISHED')).rejects.toThrow(/call closed \(.*488.*\)[\s\S]*last 30 lines/);
  });

  it('a second call on the same pair is tracked separately from the first', async () => {
    const a = await terminal({ user: 'a', codecs: ['PCMU/8000/1'] });
    const b = await terminal({ user: 'b', codecs: ['PCMU/8000/1'] });
    const aIds: string[] = [];
    const bIds: string[] = [];
    for (let call = 0; call < 2; call++) {
      await a.dial(b.sipUri);
      aIds.push((await a.waitFor('CALL_ESTABLISHED')).id!);
      bIds.push((await b.waitFor('CALL_ESTABLISHED')).id!);
      await a.hangup();
    }
    expect(aIds[0]).not.toBe(aIds[1]);
    expect(bIds[0]).not.toBe(bIds[1]);
  });
});

describe('showsFakevideoPattern', () => {
  function picture(pixel: (x: number) => [number, number, number]) {
    const width = 30;
    const height = 10;
    const rgb = Buffer.alloc(width * height * 3);
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) rgb.set(pixel(x), (y * width + x) * 3);
    return { width, height, rgb };
  }
  it('accepts red | green | blue bars and rejects grey or swapped bars', () => {
    const bars: Array<[number, number, number]> = [[240, 16, 16], [16, 235, 16], [16, 16, 240]];
    expect(showsFakevideoPattern(picture((x) => bars[Math.floor(x / 10)]!))).toBe(true);
    expect(showsFakevideoPattern(picture(() => [128, 128, 128]))).toBe(false);
    expect(showsFakevideoPattern(picture((x) => bars[2 - Math.floor(x / 10)]!))).toBe(false);
  });
});

describe('baresip driver: against SIPp', () => {
  it('dials `sipp -sn uas`, is answered and hangs up cleanly (sipp counts 1 successful call)', async () => {
    const port = await freeSipPort(0);
    const sipp = new ManagedProcess(
      'sipp',
      ['-sn', 'uas', '-i', '127.0.0.1', '-p', String(port), '-m', '1', '-nostdin', '-timeout', '30s', '-timeout_error'],
      { name: 'sipp uas', cwd: scratch },
    );
    try {
      const a = await terminal({ user: 'a', codecs: ['PCMU/8000/1'] });
      await a.dial(`sip:service@127.0.0.1:${port}`);
      await a.waitFor('CALL_ESTABLISHED');
      const closed = await a.hangup();
      expect(closed?.param).toMatch(/reset by user/i);
      const status = await withDeadline(sipp.exited, 35_000, () => `sipp did not finish\n${sipp.tail()}`);
      expect(status.code, sipp.tail()).toBe(0); // 0 = all calls successful
    } finally {
      await sipp.kill();
    }
  });

  it('answers an in-dialog INFO picture_fast_update (application/media_control+xml) with 200 and logs it', async () => {
    const scenario = fileURLToPath(new URL('../fixtures/sipp/uac-info-fast-update.xml', import.meta.url));
    const room = await terminal({ user: 'room', video: true, codecs: ['PCMU/8000/1'], verbose: true });
    const fromLine = room.outputLineCount;
    const port = await freeSipPort(0);
    const sipp = new ManagedProcess(
      'sipp',
      [`127.0.0.1:${room.sipPort}`, '-sf', scenario, '-s', 'room', '-i', '127.0.0.1', '-p', String(port),
        '-mp', String(await freeSipPort(2)), '-m', '1', '-nostdin', '-timeout', '30s', '-timeout_error'],
      { name: 'sipp uac INFO', cwd: scratch },
    );
    try {
      // The scenario only passes if baresip answered INVITE, INFO and BYE with 200.
      const status = await withDeadline(sipp.exited, 35_000, () => `sipp did not finish\n${sipp.tail()}`);
      expect(status.code, sipp.tail()).toBe(0);
      await room.waitForOutput(/call: receive media control: fast_update=1/, 5000, fromLine);
      expect((await room.waitFor('CALL_CLOSED')).peeruri).toMatch(/^sip:sipp@127\.0\.0\.1:/);
    } finally {
      await sipp.kill();
    }
  });
});
