/**
 * SIP call rate, signalling only (issue #3 acceptance 6): SIPp's built-in UAC places bounded
 * batches of calls (INVITE → 200 → ACK → BYE → 200, no media) at a high offered rate, and we
 * read completed calls per second from SIPp's own statistics file. Systems measured in turn:
 *   1. roomgate Gateway: the whole product path (admission, trunk match, dial plan, InboundCall,
 *      SDP negotiation, dialog, BYE) for a number whose dial plan target is
 *      `{ answer: signalling-only }`: inactive SDP answer, no RTP port, no meeting.
 *   2. roomgate SipStack as UAS alone (transport, parser, transactions, dialogs), answering every
 *      INVITE at once with 200 + a fixed SDP: the SIP layer's share of the Gateway's cost.
 *   3. Kamailio (Debian) as a stateful proxy (tm, rr) → a SIPp UAS answering the same way,
 *      with 1 and with 2 UDP workers.
 *   3. SIPp UAC → SIPp UAS directly: the load generator's own ceiling on this machine.
 * Every process binds 127.0.0.1 only; every run is bounded in calls and seconds; every child is
 * killed at the end, on error and on SIGINT/SIGTERM. See bench/README.md for how to read it.
 * Run: npx tsx bench/sip-call-rate.ts   (SIP_BENCH_CALLS, SIP_BENCH_ROUNDS change calls per run, runs)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import winston from 'winston';
import { parseConfig } from '../config/index.ts';
import { Gateway } from '../gateway/gateway.ts';
import { SipStack, type Logger } from '../sip/index.ts';
import { kamailioInstalled, startKamailioProxy, type KamailioProxy } from './kamailio/proxy.ts';

/** Calls per measured run; SIP_BENCH_CALLS overrides (1,000 to 200,000). */
const CALLS = boundedInt(process.env.SIP_BENCH_CALLS, 15_000, 1_000, 200_000);
/** Measured runs per system, interleaved; the median is printed. SIP_BENCH_ROUNDS overrides (1 to 9). */
const ROUNDS = boundedInt(process.env.SIP_BENCH_ROUNDS, 3, 1, 9);
/** Calls per warm-up run against the same system, not counted (JIT, caches, socket buffers). */
const WARMUP_CALLS = 2_000;
/** Offered rate (sipp -r, calls/s): above what any system here completes, so -l governs. */
const OFFERED_RATE = 20_000;
/** Open calls at most (sipp -l): SIPp starts a new call only when one ends, like a bounded queue. */
const MAX_OPEN_CALLS = 200;
/** The user part SIPp dials (sipp -s): the Gateway's signalling-only number. */
const PROBE_NUMBER = 'probe';
/** Hard limit per SIPp run (sipp -timeout), seconds. */
const RUN_LIMIT_S = 30;
/** The steady rate is read from this many seconds into a run to its end (SIPp -fd 1 rows). */
const STEADY_FROM_S = 1;

const UAS_SCENARIO = fileURLToPath(new URL('./kamailio/uas-answer.xml', import.meta.url));
/** Same answer as the SIPp UAS scenario sends. */
const ANSWER_SDP = ['v=0', 'o=- 2 2 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0',
  'm=audio 40002 RTP/AVP 0', 'a=rtpmap:0 PCMU/8000', ''].join('\r\n');

// ---- cleanup of everything started -------------------------------------------------------------

const cleanups = new Set<() => Promise<void> | void>();

async function cleanupAll(): Promise<void> {
  for (const fn of [...cleanups].reverse()) {
    cleanups.delete(fn);
    try { await fn(); } catch { /* keep cleaning */ }
  }
}

// Ctrl-C may arrive twice (from the terminal and relayed by tsx): later signals are ignored
// so the first cleanup runs to its end.
let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    void cleanupAll().finally(() => process.exit(130));
  });
}

function track(child: ChildProcess): ChildProcess {
  const kill = (): void => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); };
  cleanups.add(kill);
  child.once('exit', () => cleanups.delete(kill));
  // A spawn failure (sipp missing) must not crash the process; callers notice the dead child.
  child.on('error', (err) => process.stderr.write(`  ${child.spawnfile}: ${err.message}\n`));
  return child;
}

// ---- helpers -----------------------------------------------------------------------------------

function boundedInt(text: string | undefined, fallback: number, min: number, max: number): number {
  const n = Number(text);
  return Number.isInteger(n) && n >= min && n <= max ? n : fallback;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A UDP port on 127.0.0.1 the OS reports free (small race accepted). */
async function freeUdpPort(): Promise<number> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const { port } = sock.address();
  await new Promise<void>((r) => sock.close(() => r()));
  return port;
}

/** Resolves once another process has bound the UDP port (our own bind then fails). */
async function waitUdpBound(port: number, what: string): Promise<void> {
  for (let i = 0; i < 250; i++) {
    const sock = dgram.createSocket('udp4');
    const taken = await new Promise<boolean>((resolve) => {
      sock.once('error', () => resolve(true));
      sock.bind(port, '127.0.0.1', () => resolve(false));
    });
    sock.close();
    if (taken) return;
    await sleep(20);
  }
  throw new Error(`${what} never bound udp 127.0.0.1:${port}`);
}

// ---- SIPp --------------------------------------------------------------------------------------

interface RunFigures {
  successful: number;
  failed: number;
  /** Whole run, SIPp start to last call ended. */
  seconds: number;
  /** Completed calls per second after the first second (start-up and ramp left out). */
  steadyRate: number;
  /** Length of that steady window, seconds. */
  steadySeconds: number;
  /** UDP datagrams the kernel dropped for full receive buffers during the run, machine-wide. */
  udpDrops?: number;
  /** CPU seconds (user + system) the system under test spent in the measured run. */
  cpuSeconds?: number;
}

/** SIPp writes times as "date<TAB>time<TAB>epoch.micros"; the epoch part is what we need. */
const epochSeconds = (cell: string): number => Number(cell.split('\t').at(-1));

/**
 * Reads a SIPp -trace_stat CSV (one row per -fd period plus final rows): totals from the last
 * row, and the steady rate between the first row at least STEADY_FROM_S into the run and the end.
 */
function readSippStats(csv: string): RunFigures {
  const [headerLine, ...lines] = csv.trim().split('\n');
  const header = headerLine!.split(';');
  const column = (name: string): number => {
    const i = header.indexOf(name);
    if (i < 0) throw new Error(`SIPp statistics lack ${name}`);
    return i;
  };
  const [start, now, ok, failed] = ['StartTime', 'CurrentTime', 'SuccessfulCall(C)', 'FailedCall(C)'].map(column);
  const rows = lines.map((l) => l.split(';')).map((c) => ({
    t: epochSeconds(c[now!]!) - epochSeconds(c[start!]!), ok: Number(c[ok!]), failed: Number(c[failed!]),
  }));
  const last = rows.at(-1);
  if (!last) throw new Error('SIPp statistics are empty');
  const from = rows.find((r) => r.t >= STEADY_FROM_S && r.t < last.t) ?? { t: 0, ok: 0 };
  const steadySeconds = last.t - from.t;
  return {
    successful: last.ok, failed: last.failed, seconds: last.t, steadySeconds,
    steadyRate: steadySeconds > 0 ? (last.ok - from.ok) / steadySeconds : 0,
  };
}

/** Runs SIPp's built-in UAC against 127.0.0.1:port until `calls` calls ended or the limit hit. */
async function runSippUac(port: number, calls: number): Promise<RunFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'roomgate-bench-sipp-'));
  const removeDir = (): void => rmSync(dir, { recursive: true, force: true });
  cleanups.add(removeDir);
  const statFile = join(dir, 'stat.csv');
  try {
    const child = track(spawn('sipp', ['-sn', 'uac', '-s', PROBE_NUMBER, `127.0.0.1:${port}`, '-i', '127.0.0.1',
      '-p', String(await freeUdpPort()), '-nostdin', '-r', String(OFFERED_RATE), '-l', String(MAX_OPEN_CALLS),
      '-m', String(calls), '-timeout', `${RUN_LIMIT_S}s`, '-trace_stat', '-stf', statFile, '-fd', '1'],
    { cwd: dir, stdio: 'ignore' }));
    await new Promise<void>((resolve, reject) => {
      child.once('exit', () => resolve());
      child.once('error', reject);
    });
    if (interrupted) throw new Error('interrupted');
    return readSippStats(readFileSync(statFile, 'utf8'));
  } finally {
    cleanups.delete(removeDir);
    removeDir();
  }
}

/** A SIPp UAS on 127.0.0.1:port answering every INVITE with 200 at once (uas-answer.xml). */
async function startSippUas(port: number): Promise<{ pid: number; stop: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), 'roomgate-bench-sipp-uas-'));
  const child = track(spawn('sipp', ['-sf', UAS_SCENARIO, '-i', '127.0.0.1', '-p', String(port), '-nostdin',
    '-timeout', `${4 * RUN_LIMIT_S}s`], { cwd: dir, stdio: 'ignore' }));
  const stop = (): void => {
    cleanups.delete(stop);
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  cleanups.add(stop);
  await waitUdpBound(port, 'sipp uas');
  return { pid: child.pid!, stop };
}

// ---- systems under test ------------------------------------------------------------------------

/** Discards log lines (logging is not what is measured) but counts warnings and errors. */
function quietLogger(): Logger & { problems: Map<string, number> } {
  const problems = new Map<string, number>();
  const count = (msg: string): void => { problems.set(msg, (problems.get(msg) ?? 0) + 1); };
  return { problems, debug: () => undefined, info: () => undefined, warn: count, error: count };
}

/** Machine-wide count of UDP datagrams dropped for a full socket receive buffer (Linux). */
function udpReceiveBufferDrops(): number {
  try {
    const rows = readFileSync('/proc/net/snmp', 'utf8').split('\n').filter((l) => l.startsWith('Udp:'));
    const names = rows[0]!.split(/\s+/);
    return Number(rows[1]!.split(/\s+/)[names.indexOf('RcvbufErrors')]);
  } catch {
    return NaN;
  }
}

/** Linux /proc/<pid>/stat ticks: USER_HZ is 100 on every Linux ABI Node runs on. */
const TICKS_PER_SECOND = 100;

/** CPU seconds (utime + stime) of every live process in a process group, from /proc. */
function processGroupCpuSeconds(pgid: number): number {
  let ticks = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try { stat = readFileSync(`/proc/${entry}/stat`, 'utf8'); } catch { continue; } // exited meanwhile
    // Fields after "(comm)": state ppid pgrp ... utime (14th field overall) stime (15th).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) === pgid) ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks / TICKS_PER_SECOND;
}

/** CPU seconds of one process, from /proc. */
function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/** This process's CPU seconds, all threads (the stack, GC, libuv). */
function ownCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/**
 * roomgate's SipStack as UAS: 200 + fixed SDP at once (the stack answers the BYE itself).
 * Production timers (T1 500 ms), so completed transactions linger for Timers J/L as they would
 * live. No per-source rate limit: SIPp is one source, and the limit would cap what is measured
 * (Kamailio runs without pike/ratelimit too). Warnings and accept() rejections go to stderr.
 */
async function measureRoomgate(): Promise<RunFigures> {
  const logger = quietLogger();
  const stack = await SipStack.start({ bindAddress: '127.0.0.1', port: await freeUdpPort(), transports: ['udp'],
    rateLimit: false, logger });
  const close = (): Promise<void> => stack.close();
  cleanups.add(close);
  stack.on('invite', (invite) => {
    invite.accept({ sdp: ANSWER_SDP }).catch((err: Error) => logger.warn(`accept() rejected: ${err.message}`));
  });
  try {
    return await measure(stack.port, ownCpuSeconds);
  } finally {
    cleanups.delete(close);
    await close();
    if (logger.problems.size > 0) {
      process.stderr.write(`  roomgate stack notes: ${[...logger.problems].map(([m, n]) => `${n}× ${m}`).join('; ')}\n`);
    }
  }
}

/**
 * roomgate's Gateway with the production config schema and defaults (T1 500 ms, udp), the
 * dialled number routed to `{ answer: signalling-only }`. Logging is winston at level warn:
 * the per-call info lines are filtered, not written (Kamailio runs with errors only too);
 * warnings and errors are counted and shown on stderr. No per-source rate limit, as above.
 */
async function measureGateway(): Promise<RunFigures> {
  const problems = new Map<string, number>();
  const sink = new Writable({
    objectMode: true,
    write(info: { message: string }, _enc, done) {
      problems.set(info.message, (problems.get(info.message) ?? 0) + 1);
      done();
    },
  });
  const logger = winston.createLogger({ level: 'warn', transports: [new winston.transports.Stream({ stream: sink })] });
  const config = parseConfig([
    `sip: { bind: 127.0.0.1, port: ${await freeUdpPort()}, advertisedAddress: 127.0.0.1, transports: [udp], rateLimit: false }`,
    'media: { bind: 127.0.0.1, advertisedAddress: 127.0.0.1 }',
    'admin: { port: 0 }',
    // Calls from SIPp's address belong to this trunk: source match, call counting and release per call.
    'trunks: [{ name: bench, inbound: { sources: [127.0.0.1/32] }, maxConcurrentCalls: 10000 }]',
    'dialPlan:',
    `  - { match: '^${PROBE_NUMBER}$', target: { answer: signalling-only } }`,
    "  - { match: '^([A-Za-z0-9_.~-]+)$', target: { room: '$1' } }",
  ].join('\n'), 'bench gateway config');
  const gateway = await Gateway.start(config, logger);
  const close = (): Promise<void> => gateway.close();
  cleanups.add(close);
  try {
    const figures = await measure(gateway.sipPort, ownCpuSeconds);
    const stats = gateway.stats();
    if (stats.mediaPortsInUse !== 0) throw new Error(`signalling-only calls used ${stats.mediaPortsInUse} media ports`);
    return figures;
  } finally {
    cleanups.delete(close);
    await close();
    if (problems.size > 0) {
      process.stderr.write(`  roomgate gateway notes: ${[...problems].map(([m, n]) => `${n}× ${m}`).join('; ')}\n`);
    }
  }
}

/** Warm-up run (not counted), then the measured run, against whatever listens on port. */
async function measure(port: number, cpuSecondsOfSystem: () => number): Promise<RunFigures> {
  await runSippUac(port, WARMUP_CALLS);
  const dropsBefore = udpReceiveBufferDrops();
  const cpuBefore = cpuSecondsOfSystem();
  const figures = await runSippUac(port, CALLS);
  return { ...figures, cpuSeconds: cpuSecondsOfSystem() - cpuBefore, udpDrops: udpReceiveBufferDrops() - dropsBefore };
}

async function measureKamailio(workers: number): Promise<RunFigures> {
  const uasPort = await freeUdpPort();
  const uas = await startSippUas(uasPort);
  const proxyPort = await freeUdpPort();
  const proxy: KamailioProxy = startKamailioProxy({ port: proxyPort, uasUri: `sip:127.0.0.1:${uasPort}`, workers });
  const stopProxy = (): Promise<void> => proxy.stop();
  cleanups.add(stopProxy);
  try {
    await waitUdpBound(proxyPort, 'kamailio');
    const figures = await measure(proxyPort, () => processGroupCpuSeconds(proxy.pid));
    if (figures.failed > 0) process.stderr.write(`  kamailio (${workers} workers) stderr:\n${proxy.log().slice(-2000)}\n`);
    return figures;
  } finally {
    cleanups.delete(stopProxy);
    await stopProxy();
    uas.stop();
  }
}

async function measureSippDirect(): Promise<RunFigures> {
  const uasPort = await freeUdpPort();
  const uas = await startSippUas(uasPort);
  try {
    return await measure(uasPort, () => processCpuSeconds(uas.pid));
  } finally {
    uas.stop();
  }
}

// ---- report ------------------------------------------------------------------------------------

interface System {
  label: string;
  run: () => Promise<RunFigures>;
  runs: RunFigures[];
}

const fmt = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '?');
const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const medianRate = (sys: System): number => median(sys.runs.map((f) => f.steadyRate));
const cpuMicrosPerCall = (f: RunFigures): number => ((f.cpuSeconds ?? NaN) * 1e6) / f.successful;

function printFigure(sys: System): void {
  const rates = sys.runs.map((f) => f.steadyRate);
  const calls = sum(sys.runs.map((f) => f.successful + f.failed));
  const cut = calls < CALLS * sys.runs.length ? `, some runs stopped at the ${RUN_LIMIT_S} s limit` : '';
  console.log(`sip calls/s, ${sys.label}: ${fmt(medianRate(sys))} (median of ${rates.length} runs, ` +
    `${fmt(Math.min(...rates))}–${fmt(Math.max(...rates))}; ${fmt(calls)} calls, ` +
    `${fmt(sum(sys.runs.map((f) => f.failed)))} failed${cut}; ` +
    `${fmt(sum(sys.runs.map((f) => f.udpDrops ?? 0)))} udp rcvbuf drops machine-wide)`);
}

/** CPU per call of the measured system alone: far less sensitive to other load than calls/s. */
function printCpuFigure(sys: System, what: string): void {
  const perCall = median(sys.runs.map(cpuMicrosPerCall));
  console.log(`sip cpu µs per call, ${what}: ${fmt(perCall)} (median of ${sys.runs.length} runs; ` +
    `≈ ${fmt(1e6 / perCall)} calls/s per fully used core)`);
}

async function main(): Promise<void> {
  const gateway: System = { label: 'roomgate Gateway, signalling-only number (dial plan → InboundCall, 1 Node thread)', run: measureGateway, runs: [] };
  const roomgate: System = { label: 'roomgate SipStack as UAS alone, signalling only (1 Node thread)', run: measureRoomgate, runs: [] };
  const kamailio: System[] = kamailioInstalled()
    ? [1, 2].map((workers) => ({
      label: `kamailio stateful proxy (tm+rr, ${workers} UDP worker${workers > 1 ? 's' : ''}) → sipp uas`,
      run: () => measureKamailio(workers), runs: [] }))
    : [];
  const ceiling: System = { label: 'sipp uac → sipp uas direct (load generator ceiling)', run: measureSippDirect, runs: [] };
  const cpuLabels = new Map<System, string>([[gateway, 'roomgate Gateway, signalling-only number (whole Node process)'],
    [roomgate, 'roomgate SipStack as UAS alone (whole Node process)'],
    ...kamailio.map((k): [System, string] =>
      [k, `${k.label.replace(/ \(tm\+rr, (.*)\) → sipp uas/, ', $1')}, all its processes (not the sipp uas behind it)`]),
    [ceiling, 'sipp uas (the UAS behind Kamailio, answering alone)']]);
  const systems = [gateway, roomgate, ...kamailio, ceiling];
  const loadBefore = loadavg()[0]!;

  // Rounds interleave the systems so drift in machine load touches each of them alike.
  for (let round = 1; round <= ROUNDS; round++) {
    for (const sys of systems) {
      const f = await sys.run();
      sys.runs.push(f);
      process.stderr.write(`  round ${round}/${ROUNDS}, ${sys.label}: ${fmt(f.steadyRate)} calls/s, ${fmt(f.failed)} failed\n`);
    }
  }

  printFigure(gateway);
  printFigure(roomgate);
  if (kamailio.length === 0) {
    console.log('sip calls/s, kamailio stateful proxy: skipped (kamailio not installed; npm run setup installs it)');
  } else {
    for (const sys of kamailio) printFigure(sys);
    const best = kamailio.reduce((a, b) => (medianRate(b) > medianRate(a) ? b : a));
    const workers = best.label.match(/\d+ UDP workers?/)![0];
    console.log(`sip call rate ratio, roomgate Gateway / best kamailio proxy (${workers}): ` +
      `${(medianRate(gateway) / medianRate(best)).toFixed(2)}x`);
    console.log(`sip call rate ratio, roomgate SipStack UAS alone / best kamailio proxy (${workers}): ` +
      `${(medianRate(roomgate) / medianRate(best)).toFixed(2)}x`);
  }
  printFigure(ceiling);
  for (const sys of systems) printCpuFigure(sys, cpuLabels.get(sys)!);
  // SIPp and the system under test share the cores; other work on the machine skews every line.
  console.log(`sip call-rate machine: ${availableParallelism()} cores, 1-min load average ` +
    `${loadBefore.toFixed(2)} before, ${loadavg()[0]!.toFixed(2)} after (SIPp shares the cores with what it measures)`);
}

main().then(
  async () => { await cleanupAll(); process.exit(0); },
  async (err: Error) => {
    if (!interrupted) process.stderr.write(`sip-call-rate failed: ${err.stack ?? err.message}\n`);
    await cleanupAll();
    process.exit(interrupted ? 130 : 1);
  },
);
