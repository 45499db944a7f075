/**
 * One load step (N calls through a system under test, driven by a generator process) and the
 * step-up search for the largest N that stays within the late/loss limits, plus the one-line
 * printing of the figures.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { boundedInt, collectGarbage, fmt, fmtInt, monoMs, ownCpuSeconds, pct, percentile, udpRcvbufErrors } from './common.ts';
import type { GeneratorProcess } from './generator-client.ts';
import type { EndpointSpec, GeneratorResult } from './generator-protocol.ts';

/** Late threshold, ms: a packet more than this behind its schedule is late. */
export const LATE_MS = boundedInt(process.env.MEDIA_BENCH_LATE_MS, 20, 1, 1000);
/** Limit on late packets and on loss, percent, for a step to pass. */
export const LIMIT_PCT = 0.1;
export const WARMUP_MS = boundedInt(process.env.MEDIA_BENCH_WARMUP_MS, 2500, 500, 60_000);
export const MEASURE_MS = boundedInt(process.env.MEDIA_BENCH_MEASURE_MS, 8000, 1000, 600_000);

export interface SystemProbe {
  /** CPU seconds of the system under test (all its threads / processes). */
  cpuSeconds(): number;
  /** Resident memory of the system under test, bytes. */
  rssBytes(): number;
  /** The system's event loop(s): their delay over the window is recorded too. */
  eventLoop?: EventLoopWatch;
}

/** Event-loop delay over the measured window of the thread(s) a system runs on. */
export interface EventLoopWatch {
  start(): void;
  /** p99 and max over the window, ms (of the worst thread, when there are several). */
  stop(): Promise<{ p99Ms: number; maxMs: number }>;
}

/** The event loop of the calling thread. */
export function thisThreadEventLoop(): EventLoopWatch {
  const h = monitorEventLoopDelay({ resolution: 5 });
  return {
    start: () => h.enable(),
    stop: () => { h.disable(); return Promise.resolve({ p99Ms: h.percentile(99) / 1e6, maxMs: h.max / 1e6 }); },
  };
}

/**
 * roomgate in this bench process as the system under test: CPU of the whole process (all its
 * threads), RSS after a full GC; by default it runs on this thread's event loop.
 */
export function thisProcess(eventLoop: EventLoopWatch = thisThreadEventLoop()): SystemProbe {
  return { cpuSeconds: ownCpuSeconds, rssBytes: () => { collectGarbage(); return process.memoryUsage.rss(); }, eventLoop };
}

export interface StepFigures {
  n: number;
  pass: boolean;
  /** Per receiving role: late and lost percent. */
  roles: Record<string, { latePct: number; lossPct: number; streams: number; silent: number }>;
  latencyMs: Record<string, number[]>;
  /** CPU of the system under test over the window, in cores (1.0 = one core fully busy). */
  cores: number;
  /**
   * Packets that came back in the window over what N calls carry at the nominal rate: below 1
   * when a starved system falls behind (it then also spends less CPU than N calls need, so the
   * per-call CPU figure divides by N × this, the calls' worth of media actually delivered).
   */
  delivered: number;
  /** Resident memory added per call (RSS after set-up and load minus before set-up, / N). */
  rssPerCall: number;
  generatorCores: number;
  generatorLateSendPct: number;
  /** Systems on Node event loops: event-loop delay over the window, p99 and max, ms (starvation shows here). */
  eventLoopP99Ms?: number;
  eventLoopMaxMs?: number;
  /** The step never finished (the system starved its own event loop): counted as failed. */
  stalled?: boolean;
  rcvbufDrops: number;
}

/**
 * Runs the generator's load against a system already set up, reading the system's CPU over
 * the measured window (opened by the generator's 'measuring' message, closed MEASURE_MS later).
 */
export async function measureStep(n: number, gen: GeneratorProcess, endpoints: EndpointSpec[], probe: SystemProbe,
  rssBefore: number): Promise<StepFigures> {
  let cpu0 = 0;
  let t0 = 0;
  let cpuWindow: Promise<{ cpu: number; ms: number; rss: number; drops: number; loop?: { p99Ms: number; maxMs: number } }> | undefined;
  let drops0 = 0;
  const eld = probe.eventLoop;
  const run = gen.run({ endpoints, warmupMs: WARMUP_MS, measureMs: MEASURE_MS, lateMs: LATE_MS }, () => {
    cpu0 = probe.cpuSeconds();
    t0 = monoMs();
    drops0 = udpRcvbufErrors();
    eld?.start();
    cpuWindow = new Promise((resolve) => setTimeout(() => {
      const cpu = probe.cpuSeconds() - cpu0;
      const ms = monoMs() - t0;
      const drops = udpRcvbufErrors() - drops0;
      const loop = eld?.stop();
      void (async () => resolve({ cpu, ms, drops, loop: await loop, rss: probe.rssBytes() }))();
    }, MEASURE_MS));
  });
  run.catch(() => undefined); // a stalled step's generator is killed later: no unhandled rejection
  const deadline = new Promise<undefined>((r) => { setTimeout(() => r(undefined), WARMUP_MS + MEASURE_MS + STALL_MS).unref(); });
  const result: GeneratorResult | undefined = await Promise.race([run, deadline]);
  const w = result && cpuWindow ? await Promise.race([cpuWindow, deadline]) : undefined;
  if (!result || !w) return stalledStep(n);
  const roles: StepFigures['roles'] = {};
  const latencyMs: Record<string, number[]> = {};
  let pass = true;
  let received = 0;
  let nominal = 0;
  for (const [role, r] of Object.entries(result.byRole)) {
    received += r.received;
    nominal += r.nominal;
    const latePct = pct(r.late, r.received);
    const lossPct = pct(Math.max(0, r.expected - r.received), r.expected);
    roles[role] = { latePct, lossPct, streams: r.streams, silent: r.silentStreams };
    latencyMs[role] = r.latencyMs;
    if (!(latePct <= LIMIT_PCT && lossPct <= LIMIT_PCT)) pass = false;
  }
  return {
    n, pass, roles, latencyMs,
    cores: w.cpu / (w.ms / 1000),
    delivered: nominal > 0 ? received / nominal : NaN,
    rssPerCall: (w.rss - rssBefore) / n,
    generatorCores: result.cpuSeconds / (result.windowMs / 1000),
    generatorLateSendPct: pct(result.sentLate + result.skipped, result.sent + result.skipped),
    rcvbufDrops: w.drops,
    ...(w.loop ? { eventLoopP99Ms: w.loop.p99Ms, eventLoopMaxMs: w.loop.maxMs } : {}),
  };
}

/** A step gets this long beyond warm-up and window before it counts as stalled, ms. */
const STALL_MS = 30_000;

function stalledStep(n: number): StepFigures {
  return { n, pass: false, stalled: true, roles: {}, latencyMs: {}, cores: NaN, delivered: NaN, rssPerCall: NaN,
    generatorCores: NaN, generatorLateSendPct: NaN, rcvbufDrops: NaN };
}

/** Runs steps in order until one fails (that one is kept, the rest skipped). */
export async function stepUp(label: string, ns: number[], run: (n: number) => Promise<StepFigures>): Promise<StepFigures[]> {
  const out: StepFigures[] = [];
  for (const n of ns) {
    const f = await run(n);
    out.push(f);
    process.stderr.write(`  ${label} N=${n}: ${stepSummary(f)}\n`);
    if (!f.pass) break;
  }
  return out;
}

/**
 * Several configurations stepped up side by side: at each N every configuration not yet failed
 * runs its step (so drift in machine load touches them alike); each stops at its first failure.
 * Returns each configuration's steps, in the order given.
 */
export async function stepUpSideBySide(ns: number[], configs: { label: string; run: (n: number) => Promise<StepFigures> }[],
  unit = 'N'): Promise<StepFigures[][]> {
  const out: StepFigures[][] = configs.map(() => []);
  for (const n of ns) {
    const live = configs.map((_, k) => k).filter((k) => out[k]!.at(-1)?.pass !== false);
    if (live.length === 0) break;
    for (const k of live) {
      const f = await configs[k]!.run(n);
      out[k]!.push(f);
      process.stderr.write(`  ${configs[k]!.label} ${unit}=${n}: ${stepSummary(f)}\n`);
    }
  }
  return out;
}

export function stepSummary(f: StepFigures): string {
  if (f.stalled) return `STALLED: no result ${(WARMUP_MS + MEASURE_MS + STALL_MS) / 1000} s after the start (event loop starved)`;
  const roles = Object.entries(f.roles).map(([role, r]) =>
    `${role} late ${fmt(r.latePct, 2)} % loss ${fmt(r.lossPct, 2)} %${r.silent ? ` (${r.silent} silent streams)` : ''}`).join(', ');
  return `${f.pass ? 'ok' : 'FAIL'}; ${roles}; delivered ${fmt(f.delivered * 100, 1)} % of nominal; cpu ${fmt(f.cores * 100, 0)} % of a core (${fmt((f.cores * 100) / f.n, 3)} % per call); ` +
    `generator ${fmt(f.generatorCores * 100, 0)} % of a core, ${fmt(f.generatorLateSendPct, 2)} % of its sends > 5 ms late or skipped; ` +
    `${fmtInt(f.rcvbufDrops)} udp rcvbuf drops` +
    (f.eventLoopMaxMs !== undefined ? `; event-loop delay p99 ${fmt(f.eventLoopP99Ms!, 1)} ms, max ${fmt(f.eventLoopMaxMs, 1)} ms` : '');
}

/** The step the per-call figures are read from: the largest passing one, else the first. */
export function reportStep(steps: StepFigures[]): StepFigures {
  return steps.filter((s) => s.pass).at(-1) ?? steps[0]!;
}

/** Largest passing N, as text: "200", or "< 100" when even the first step failed. */
export function maxPassing(steps: StepFigures[]): { n: number; text: string } {
  const ok = steps.filter((s) => s.pass);
  if (ok.length === 0) return { n: 0, text: `< ${fmtInt(steps[0]?.n ?? NaN)}` };
  const best = ok.at(-1)!;
  const capped = ok.length === steps.length; // never failed: the real maximum is higher
  return { n: best.n, text: `${capped ? '≥ ' : ''}${fmtInt(best.n)}` };
}

/** "N=100 ok 0.00 %/0.00 % late/loss 23 % cpu | …" */
export function curveText(steps: StepFigures[]): string {
  return steps.map((f) => {
    if (f.stalled) return `N=${f.n} STALLED`;
    const worstLate = Math.max(...Object.values(f.roles).map((r) => r.latePct));
    const worstLoss = Math.max(...Object.values(f.roles).map((r) => r.lossPct));
    return `N=${f.n} ${f.pass ? 'ok' : 'FAIL'} late ${fmt(worstLate, 2)} % loss ${fmt(worstLoss, 2)} % ` +
      `delivered ${fmt(f.delivered * 100, 1)} % cpu ${fmt(f.cores * 100, 0)} %` +
      (f.eventLoopMaxMs !== undefined ? ` event-loop delay max ${fmt(f.eventLoopMaxMs, 0)} ms` : '');
  }).join(' | ');
}

export function latencyText(xs: number[]): string {
  if (xs.length === 0) return 'no samples (no mark found in the window: for audio, no onset after a quiet run)';
  return `p50 ${fmt(percentile(xs, 50), 1)} ms, p99 ${fmt(percentile(xs, 99), 1)} ms (${fmtInt(xs.length)} samples)`;
}

/** CPU per call: "0.120 % of a core per call (≈ 833 calls per fully used core)". */
export function cpuPerCallText(f: StepFigures, unit = 'call', n = 'N'): string {
  const perCall = f.cores / (f.n * f.delivered);
  return `${fmt(perCall * 100, 3)} % of a core per ${unit} at ${n}=${fmtInt(f.n)}${f.pass ? '' : ', a FAILED step'} ` +
    `(≈ ${fmtInt(1 / perCall)} ${unit}s per fully used core; ${fmt(f.delivered * 100, 1)} % of the nominal media delivered)`;
}

/** "700 KiB RSS", or a note when the RSS change is below the noise of a small N (it fell). */
export function memoryPerCallText(f: StepFigures): string {
  if (!Number.isFinite(f.rssPerCall)) return '?';
  if (f.rssPerCall <= 0) return `below the noise at this N (RSS fell by ${fmtInt((-f.rssPerCall * f.n) / 1024)} KiB in all)`;
  return `${fmtInt(f.rssPerCall / 1024)} KiB`;
}
