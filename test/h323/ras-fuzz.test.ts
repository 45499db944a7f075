// Hostile input to the RAS endpoint: random octets and random schema-valid RasMessages of every
// kind, delivered as if from the gatekeeper and from strangers. Never a throw, never a timer or
// a pending request left behind; every datagram is counted.
import { describe, expect, it } from 'vitest';
import { encodeRas, h323Codec, type AsnType, type IpPort, type RasMessage } from '../../h323/asn1/index.ts';
import { RasEndpoint, RasTransport, type RasSocket } from '../../h323/ras/index.ts';
import { ManualClock } from '../../sip/index.ts';
import { RandomValues, seededRandom } from './random-values.ts';

const GK: IpPort = { ip: '127.0.0.1', port: 1719 };
const STRANGER: IpPort = { ip: '127.0.0.66', port: 1719 };

class SinkSocket implements RasSocket {
  sent = 0;
  fn: (b: Uint8Array, from: IpPort) => void = () => {};
  send(): void { this.sent++; }
  onMessage(fn: (b: Uint8Array, from: IpPort) => void): void { this.fn = fn; }
  localAddress(): IpPort { return { ip: '127.0.0.1', port: 40000 }; }
  close(): void {}
}

function setup() {
  const socket = new SinkSocket();
  const clock = new ManualClock();
  const warns: string[] = [];
  const logger = { debug() {}, info() {}, warn: (m: string) => void warns.push(m), error() {} };
  const transport = new RasTransport({ socket, clock, logger, timeoutMs: 100, retries: 0 });
  const ep = new RasEndpoint({ gatekeeper: { name: 'fuzz', ...{ host: GK.ip, port: GK.port } }, transport, aliases: [{ h323Id: 'rg' }], callSignalAddress: GK, clock, logger });
  ep.on('error', () => {});
  return { socket, clock, transport, ep, warns };
}

describe('RAS endpoint under hostile input', () => {
  it('20 000 random datagrams: dropped, counted, one warning per source, nothing thrown', () => {
    const { socket, transport, warns } = setup();
    const rnd = seededRandom(51);
    let malformed = 0;
    for (let i = 0; i < 20_000; i++) {
      const bytes = Uint8Array.from({ length: Math.floor(rnd() * 64) }, () => Math.floor(rnd() * 256));
      const before = transport.stats.malformedDropped;
      socket.fn(bytes, i % 2 ? GK : STRANGER);
      malformed += transport.stats.malformedDropped - before;
    }
    const s = transport.stats;
    expect(s.malformedDropped + s.unmatchedAnswers + s.incomingRequests).toBe(20_000);
    expect(malformed).toBeGreaterThan(1000);
    expect(warns.filter((w) => w.includes('malformed'))).toHaveLength(2);
  });

  it('3 000 random schema-valid RasMessages, registered or not: answered or ignored, never a throw or a leak', async () => {
    const codec = h323Codec();
    const gen = new RandomValues(codec.schema, seededRandom(52), 6);
    const ref = codec.typeRef('RasMessage') as AsnType;
    for (const registered of [false, true]) {
      const { socket, clock, transport, ep } = setup();
      if (registered) {
        const p = ep.register();
        const seq = (transport as unknown as { pending: Map<number, unknown> }).pending.keys().next().value as number;
        socket.fn(encodeRas({ type: 'registrationConfirm', value: {
          requestSeqNum: seq, protocolIdentifier: [0, 0, 8, 2250, 0, 7], callSignalAddress: [], endpointIdentifier: 'EP', willRespondToIRR: false, maintainConnection: false,
        } }), GK);
        await p;
        expect(ep.state).toBe('registered');
      }
      for (let i = 0; i < 1500; i++) {
        const msg = gen.value(ref) as RasMessage;
        socket.fn(encodeRas(msg), i % 3 ? GK : STRANGER);
      }
      expect(transport.pendingCount).toBe(0);
      expect(ep.stats().foreignRequests).toBeGreaterThan(0);
      clock.advance(3_600_000);
      ep.close();
      transport.close();
      expect(clock.pending).toBe(0);
    }
  });
});
