// A second independent reader: Wireshark's H.225 RAS and H.245 dissectors (tshark) read the
// project's encodings of the RAS and H.245 vectors as the intended message, with no expert
// (malformed/undecoded) message.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { h323Codec, type AsnType, type ChoiceValue } from '../../h323/asn1/index.ts';
import { h245Vectors, rasVectors, type Vector } from './asn1-vectors.ts';

const codec = h323Codec();
const dir = mkdtempSync(join(tmpdir(), 'roomgate-tshark-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Index of a CHOICE alternative as the dissector numbers it (root then extension alternatives). */
function altIndex(typeName: string, alt: string): number {
  let t = codec.typeRef(typeName) as AsnType;
  while (t.kind === 'ref') t = codec.schema.types[t.ref]!;
  if (t.kind !== 'choice') throw new Error(`${typeName} is not a CHOICE`);
  return [...t.root, ...(t.ext ?? [])].findIndex((a) => a.name === alt);
}

/** One UDP datagram per vector (text2pcap), then tshark's reading of each frame. */
function dissect(vectors: Vector[], port: number, fields: string[], decodeAs: string[] = []): string[][] {
  const hexdump = vectors.map((v) => {
    const bytes = codec.encode(v.type, v.value);
    let out = '';
    for (let i = 0; i < bytes.length; i += 16) {
      out += `${i.toString(16).padStart(6, '0')} ${[...bytes.subarray(i, i + 16)].map((b) => b.toString(16).padStart(2, '0')).join(' ')}\n`;
    }
    return out;
  }).join('');
  const txt = join(dir, `${port}.txt`);
  const pcap = join(dir, `${port}.pcap`);
  writeFileSync(txt, hexdump);
  execFileSync('text2pcap', ['-q', '-u', `${port},${port}`, txt, pcap], { stdio: 'pipe' });
  const out = execFileSync('tshark', ['-r', pcap, ...decodeAs, '-T', 'fields', '-E', 'occurrence=f',
    ...fields.flatMap((f) => ['-e', f]), '-e', '_ws.expert.message'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return out.trimEnd().split('\n').map((line) => line.split('\t'));
}

describe('tshark dissectors read the project\'s PER encodings', () => {
  it('RAS (UDP 1719): every vector is the intended RasMessage, no expert message', () => {
    const vectors = rasVectors();
    const rows = dissect(vectors, 1719, ['h225.RasMessage']);
    expect(rows).toHaveLength(vectors.length);
    rows.forEach((row, i) => {
      const v = vectors[i]!.value as ChoiceValue;
      expect({ name: vectors[i]!.name, ras: row[0], expert: row[1] ?? '' })
        .toEqual({ name: vectors[i]!.name, ras: String(altIndex('RasMessage', v.type)), expert: '' });
    });
  });

  it('H.245 (raw PER over UDP): every vector is the intended message, no expert message', () => {
    const vectors = h245Vectors();
    const rows = dissect(vectors, 5000, ['h245.pdu_type', 'h245.request', 'h245.response', 'h245.command', 'h245.indication'],
      ['-d', 'udp.port==5000,h245']);
    expect(rows).toHaveLength(vectors.length);
    const group = { request: 'RequestMessage', response: 'ResponseMessage', command: 'CommandMessage', indication: 'IndicationMessage' } as const;
    rows.forEach((row, i) => {
      const v = vectors[i]!.value as ChoiceValue<keyof typeof group, ChoiceValue>;
      const kinds = ['request', 'response', 'command', 'indication'];
      expect({ name: vectors[i]!.name, pdu: row[0], sub: row[1 + kinds.indexOf(v.type)], expert: row[5] ?? '' }).toEqual({
        name: vectors[i]!.name,
        pdu: String(altIndex('MultimediaSystemControlMessage', v.type)),
        sub: String(altIndex(group[v.type], v.value.type)),
        expert: '',
      });
    });
  });
});
