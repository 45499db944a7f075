/** Shared test helpers for the SIP layer. */
import type { Socket } from 'node:net';
import type { Logger } from '../../sip/index.ts';

export interface CapturedLog {
  level: 'debug' | 'info' | 'warn' | 'error';
  msg: string;
  meta?: object;
}

/** A logger that records lines (and prints warnings/errors when SIP_TEST_VERBOSE is set). */
export function captureLogger(): Logger & { lines: CapturedLog[] } {
  const lines: CapturedLog[] = [];
  const make = (level: CapturedLog['level']) => (msg: string, meta?: object) => {
    lines.push({ level, msg, meta });
    if (process.env.SIP_TEST_VERBOSE) console.log(level, msg, meta ?? '');
  };
  return { lines, debug: make('debug'), info: make('info'), warn: make('warn'), error: make('error') };
}

export const SDP_A = [
  'v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0',
  'm=audio 40000 RTP/AVP 0', 'a=rtpmap:0 PCMU/8000', '',
].join('\r\n');

export const SDP_B = [
  'v=0', 'o=- 2 2 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0',
  'm=audio 40002 RTP/AVP 0', 'a=rtpmap:0 PCMU/8000', '',
].join('\r\n');

/** Fast timers for loopback tests (RFC values scaled down; Timer D shortened too). */
export const FAST_TIMERS = { t1Ms: 20, t2Ms: 160, t4Ms: 100, tdMs: 200 };

/**
 * Collects what a stream socket (TCP, or TLS on top of it) receives, as text. The function it
 * returns resolves with all the text so far once that text satisfies `pred`.
 */
export function receivedText(sock: Socket): (pred: (text: string) => boolean) => Promise<string> {
  let buf = '';
  const waiters: (() => void)[] = [];
  sock.on('data', (d) => { buf += d.toString(); waiters.splice(0).forEach((w) => w()); });
  return (pred) => new Promise((resolve) => {
    const check = () => (pred(buf) ? resolve(buf) : waiters.push(check));
    check();
  });
}
