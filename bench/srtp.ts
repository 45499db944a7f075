/**
 * SRTP throughput on one core (issue #4): one iteration = protect + unprotect of one RTP packet
 * with a 160-byte payload (20 ms of G.711), per crypto suite, through SrtpSession (ROC, replay
 * list and all). Rates are per CPU-second of this process. A last line measures the AES-CM
 * alternative we did not take (createCipheriv('aes-128-ctr') per packet) for comparison.
 * Run: npx tsx bench/srtp.ts   (prints one line per suite)
 */
import { createCipheriv, randomBytes } from 'node:crypto';
import { RtpPacket } from '../rtp/index.ts';
import { AesCmKeystream, SRTP_SUITES, SrtpSession, srtpSuite, type SrtpSuiteName } from '../rtp/srtp/index.ts';

const RUN_MS = Number(process.env.BENCH_MS ?? 1500);

function cpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

function measure(step: (i: number) => number): number {
  let sink = 0;
  let count = 0;
  const start = cpuMicros();
  let used = 0;
  while (used < RUN_MS * 1000) {
    for (let i = 0; i < 1000; i++) sink += step(count + i);
    count += 1000;
    used = cpuMicros() - start;
  }
  if (sink === 0) throw new Error('nothing processed');
  return (count * 1e6) / used;
}

function packets(n: number): Buffer[] {
  return Array.from({ length: n }, (_, i) =>
    new RtpPacket({ payloadType: 0, sequenceNumber: i & 0xffff, timestamp: i * 160, ssrc: 0x1234, payload: randomBytes(160) }).encode());
}

function suiteRate(suite: SrtpSuiteName): number {
  const s = srtpSuite(suite);
  const a = randomBytes(s.keyLength + s.saltLength);
  const b = randomBytes(s.keyLength + s.saltLength);
  const tx = new SrtpSession({ suite, localKey: a, remoteKey: b });
  const rx = new SrtpSession({ suite, localKey: b, remoteKey: a });
  // Sequence numbers count up (wrapping), as a real stream does, so the replay list accepts each.
  let seq = 0;
  const template = packets(1)[0]!;
  return measure(() => {
    template.writeUInt16BE(seq++ & 0xffff, 2);
    const out = rx.unprotectRtp(tx.protectRtp(template));
    if (typeof out === 'string') throw new Error(`${suite}: ${out}`);
    return out.length;
  });
}

function ctrPerPacketRate(): { perPacket: number; reused: number } {
  const key = randomBytes(16);
  const iv = randomBytes(16);
  iv[14] = 0;
  iv[15] = 0;
  const payload = randomBytes(160);
  const perPacket = measure(() => {
    const c = createCipheriv('aes-128-ctr', key, iv);
    return c.update(payload).length;
  });
  const ks = new AesCmKeystream(key);
  const buf = Buffer.from(payload);
  const reused = measure(() => {
    ks.xorInPlace(iv, buf, 0, buf.length);
    return buf.length;
  });
  return { perPacket, reused };
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
for (const suite of SRTP_SUITES) {
  console.log(`srtp protect+unprotect ${suite} (160-byte payload): ${fmt(suiteRate(suite))} packets/s (1 core)`);
}
const ctr = ctrPerPacketRate();
console.log(`aes-cm keystream for 160 bytes: ${fmt(ctr.reused)}/s with one reused ECB cipher, ${fmt(ctr.perPacket)}/s with createCipheriv(aes-128-ctr) per packet`);
