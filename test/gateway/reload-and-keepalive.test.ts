import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import winston from 'winston';
import { loadConfigFile } from '../../config/index.ts';
import { watchConfigFile, type ConfigReloader } from '../../gateway/config-watcher.ts';
import { Gateway } from '../../gateway/gateway.ts';
import { SipStack } from '../../sip/index.ts';
import { freeSipPort } from '../helpers/processes.ts';

const logger = winston.createLogger({ level: 'error', silent: true });
let peer: SipStack;
let deadPort: number;
let gateway: Gateway;
let reloader: ConfigReloader;
const errors: string[] = [];
const dir = mkdtempSync(join(tmpdir(), 'roomgate-reload-'));
const file = join(dir, 'gateway.yaml');

function yaml(trunks: string[]): string {
  return [
    'sip: { bind: 127.0.0.1, port: 0, advertisedAddress: 127.0.0.1, timers: { t1Ms: 10, t2Ms: 40, t4Ms: 50 } }',
    'media: { bind: 127.0.0.1, advertisedAddress: 127.0.0.1 }',
    'admin: { port: 0 }',
    'trunks:',
    ...trunks,
  ].join('\n');
}
const alive = () => `  - { name: alive, outbound: { host: 127.0.0.1, port: ${peer.port}, keepalive: { intervalS: 0.1, failureThreshold: 2 } } }`;
const dead = () => `  - { name: dead, outbound: { host: 127.0.0.1, port: ${deadPort}, keepalive: { intervalS: 0.1, failureThreshold: 1 } } }`;

beforeAll(async () => {
  // Another SIP stack stands in for the trunk's peer: it answers OPTIONS 200 (RFC 3261 11.2).
  peer = await SipStack.start({ bindAddress: '127.0.0.1', port: 0, transports: ['udp'], logger });
  deadPort = await freeSipPort(0);
  writeFileSync(file, yaml([alive()]));
  gateway = await Gateway.start(loadConfigFile(file), logger);
  reloader = watchConfigFile(file, {
    apply: (config) => gateway.applyConfig(config),
    onError: (err) => errors.push(err.message),
    debounceMs: 50,
  });
});

afterAll(async () => {
  reloader?.close();
  await gateway?.close();
  await peer?.close();
});

describe('trunk OPTIONS keepalive', () => {
  it('marks a trunk whose peer answers OPTIONS up', async () => {
    await expect.poll(() => gateway.trunkSummaries()[0]?.state, { timeout: 5000 }).toBe('up');
    expect(gateway.trunkSummaries()[0]).toMatchObject({ name: 'alive', lastProbeStatus: 200, consecutiveFailures: 0 });
  });
});

describe('config reload', () => {
  it('applies a changed file (fs.watch, debounced): new trunks appear and are probed', async () => {
    writeFileSync(file, yaml([alive(), dead()]));
    await expect.poll(() => gateway.trunkSummaries().map((t) => t.name), { timeout: 5000 }).toEqual(['alive', 'dead']);
    // Timer F (64·T1 = 640 ms) ends the unanswered probe; threshold 1 marks the trunk down.
    await expect.poll(() => gateway.trunkSummaries().find((t) => t.name === 'dead')?.state, { timeout: 10_000 }).toBe('down');
    expect(gateway.trunkSummaries().find((t) => t.name === 'alive')?.state).toBe('up');
  });

  it('refuses an invalid file with an error naming key and line, and keeps the previous config', async () => {
    writeFileSync(file, yaml([alive(), '  - { name: broken, inbound: { sources: [10.0.0.0/99] } }']));
    const named = () => errors.find((e) => e.includes('trunks.1.inbound.sources.0'));
    await expect.poll(named, { timeout: 5000 }).toBeDefined();
    expect(named()).toMatch(/gateway\.yaml:6: trunks\.1\.inbound\.sources\.0: not a valid CIDR prefix/);
    expect(gateway.trunkSummaries().map((t) => t.name)).toEqual(['alive', 'dead']);
  });

  it('reloads on demand (SIGHUP path) and reports whether the file was applied', () => {
    writeFileSync(file, yaml([alive()]));
    expect(reloader.reload('SIGHUP')).toBe(true);
    expect(gateway.trunkSummaries().map((t) => t.name)).toEqual(['alive']);
    writeFileSync(file, 'sip: [');
    expect(reloader.reload('SIGHUP')).toBe(false);
    expect(gateway.trunkSummaries().map((t) => t.name)).toEqual(['alive']);
  });
});
