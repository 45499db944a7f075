/**
 * Small helpers shared by the media benches: one clock for every process, /proc readers for
 * CPU and memory of a peer process, number formatting and the machine line.
 */
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Milliseconds on CLOCK_MONOTONIC (libuv's hrtime). The same clock in every process of the
 * machine, so a time stamped by one process can be subtracted from one read by another.
 */
export function monoMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** Linux /proc/<pid>/stat ticks: USER_HZ is 100 on every Linux ABI Node runs on. */
const TICKS_PER_SECOND = 100;

/** CPU seconds (user + system, all threads) of a process, from /proc. */
export function procCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/** Resident set size of a process, bytes (VmRSS). */
export function procRssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

/** Threads of a process (Threads: in /proc/<pid>/status). */
export function procThreads(pid: number): number {
  const m = /Threads:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

/** This process's CPU seconds, all threads. */
export function ownCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

export function boundedInt(text: string | undefined, fallback: number, min: number, max: number): number {
  const n = Number(text);
  return text !== undefined && Number.isInteger(n) && n >= min && n <= max ? n : fallback;
}

/** A comma-separated list of positive integers from the environment, or the fallback. */
export function intList(text: string | undefined, fallback: number[]): number[] {
  if (!text) return fallback;
  const xs = text.split(',').map((s) => Number(s.trim()));
  return xs.every((x) => Number.isInteger(x) && x > 0 && x <= 20_000) ? xs : fallback;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

export const fmtInt = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '?');
export const fmt = (n: number, digits: number): string => (Number.isFinite(n) ? n.toFixed(digits) : '?');
export const pct = (part: number, whole: number): number => (whole > 0 ? (100 * part) / whole : NaN);

/** "2 cores (AMD EPYC 7B13), 1-min load 3.10" */
export function machineLine(): string {
  const c = cpus();
  const model = (c[0]?.model ?? 'unknown CPU').replace(/\s+/g, ' ').trim();
  return `${c.length} cores (${model}), 1-min load ${loadavg()[0]!.toFixed(2)}`;
}

/** Linux kernel: UDP datagrams dropped machine-wide for a full receive buffer. */
export function udpRcvbufErrors(): number {
  try {
    const rows = readFileSync('/proc/net/snmp', 'utf8').split('\n').filter((l) => l.startsWith('Udp:'));
    const names = rows[0]!.split(/\s+/);
    return Number(rows[1]!.split(/\s+/)[names.indexOf('RcvbufErrors')]);
  } catch {
    return NaN;
  }
}

/**
 * A full garbage collection before reading RSS, so per-call memory is not mostly garbage not yet
 * collected. `--expose-gc` is switched on at run time (the bench runner passes no node flags).
 */
export const collectGarbage: () => void = (() => {
  try {
    v8.setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return () => undefined;
  }
})();
