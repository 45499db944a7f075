/**
 * H.323 aligned-PER codec throughput on one core: decode and encode rates of the project's codec
 * (per CPU-second of this process) beside Erlang's asn1 codec compiled from the same ITU modules
 * (timed inside the `erl` process over the same octets), for three typical messages.
 * Run: npx tsx bench/h323-per.ts   (one line per message)
 */
import { h323Codec, type AsnType } from '../h323/asn1/index.ts';
import { allVectors } from '../test/h323/asn1-vectors.ts';
import { ErlangAsn1Peer } from '../test/h323/erlang/erlang-peer.ts';

const MESSAGES = ['RRQ with prefixes', 'Setup with fastStart', 'TerminalCapabilitySet audio+video+UII'];
const MEASURE_MS = 2000;

function cpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

function rate(op: () => void): number {
  for (let i = 0; i < 2000; i++) op(); // warm-up
  let count = 0;
  const start = cpuMicros();
  while (cpuMicros() - start < MEASURE_MS * 1000) {
    for (let i = 0; i < 500; i++) op();
    count += 500;
  }
  return (count * 1e6) / (cpuMicros() - start);
}

const k = (n: number) => `${(n / 1000).toFixed(1)}k/s`;

async function main(): Promise<void> {
  const codec = h323Codec();
  process.stderr.write('compiling/starting the Erlang asn1 peer...\n');
  const peer = ErlangAsn1Peer.start();
  try {
    for (const name of MESSAGES) {
      const v = allVectors().find((x) => x.name === name)!;
      const bytes = codec.encode(v.type, v.value);
      let sink = 0;
      const decodeRate = rate(() => { sink += codec.decode(v.type, bytes) ? 1 : 0; });
      const encodeRate = rate(() => { sink += codec.encode(v.type, v.value).length; });
      const n = 20000;
      const ref = (codec.typeRef(v.type) as Extract<AsnType, { kind: 'ref' }>).ref;
      const erl = await peer.time(ref, bytes, n);
      console.log(`h323 PER ${name} (${bytes.length} B): roomgate decode ${k(decodeRate)} encode ${k(encodeRate)}; `
        + `Erlang asn1 decode ${k((n * 1e6) / erl.decodeUs)} encode ${k((n * 1e6) / erl.encodeUs)}${sink < 0 ? '' : ''}`);
    }
  } finally {
    peer.close();
  }
}

await main();
