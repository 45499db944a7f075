// Values shared by RAS, call signalling (H.225.0) and H.245 builders.
import type { BitStringValue, ChoiceValue } from '../per/values.ts';

export type Choice<T extends string = string, V = unknown> = ChoiceValue<T, V>;
export type Fields = Record<string, unknown>;

/** H.225.0 (12/2009) protocolIdentifier: { itu-t(0) recommendation(0) h(8) 2250 version(0) 7 }. */
export const H225_PROTOCOL_ID = [0, 0, 8, 2250, 0, 7];
/** H.245 protocolIdentifier for the version of MULTIMEDIA-SYSTEM-CONTROL in modules/ (15). */
export const H245_PROTOCOL_ID = [0, 0, 8, 245, 0, 15];
/** H.241 generic capability identifier of H.264 video. */
export const H264_CAPABILITY_OID = [0, 0, 8, 241, 0, 0, 1];

export function choice<T extends string, V>(type: T, value: V): Choice<T, V> {
  return { type, value };
}

/** Dotted IPv4 text → the 4 octets carried by TransportAddress. */
export function ipv4(address: string): Uint8Array {
  const parts = address.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
    throw new RangeError(`not an IPv4 address: ${address}`);
  }
  return Uint8Array.from(parts);
}

export function ipv4Text(octets: Uint8Array): string {
  return [...octets].join('.');
}

export interface IpPort {
  ip: string;
  port: number;
}

/** H.225.0 TransportAddress ipAddress alternative. */
export function h225Address(a: IpPort): Choice {
  return choice('ipAddress', { ip: ipv4(a.ip), port: a.port });
}

/** Reads an H.225.0 TransportAddress when it is an IPv4 one. */
export function readH225Address(v: unknown): IpPort | undefined {
  const c = v as Choice<string, { ip: Uint8Array; port: number }>;
  return c?.type === 'ipAddress' ? { ip: ipv4Text(c.value.ip), port: c.value.port } : undefined;
}

/** H.245 TransportAddress unicastAddress iPAddress alternative. */
export function h245Address(a: IpPort): Choice {
  return choice('unicastAddress', choice('iPAddress', { network: ipv4(a.ip), tsapIdentifier: a.port }));
}

export function readH245Address(v: unknown): IpPort | undefined {
  const c = v as Choice<string, Choice<string, { network: Uint8Array; tsapIdentifier: number }>>;
  if (c?.type !== 'unicastAddress' || c.value.type !== 'iPAddress') return undefined;
  return { ip: ipv4Text(c.value.value.network), port: c.value.value.tsapIdentifier };
}

/** An alias: `h323-ID` (BMPString) or `dialledDigits` (0-9 # * ,) as AliasAddress. */
export type Alias = { h323Id: string } | { dialledDigits: string } | { url: string } | { email: string };

export function aliasAddress(a: Alias): Choice {
  if ('h323Id' in a) return choice('h323-ID', a.h323Id);
  if ('dialledDigits' in a) return choice('dialledDigits', a.dialledDigits);
  if ('url' in a) return choice('url-ID', a.url);
  return choice('email-ID', a.email);
}

export function readAlias(v: unknown): Alias | undefined {
  const c = v as Choice<string, string>;
  switch (c?.type) {
    case 'h323-ID': return { h323Id: c.value };
    case 'dialledDigits': return { dialledDigits: c.value };
    case 'url-ID': return { url: c.value };
    case 'email-ID': return { email: c.value };
    default: return undefined;
  }
}

export interface Vendor {
  t35CountryCode: number;
  t35Extension: number;
  manufacturerCode: number;
  productId?: string;
  versionId?: string;
}

/** roomgate's vendor identity (T.35 country 0xB5 = USA used by many open stacks, manufacturer 0). */
export const ROOMGATE_VENDOR: Vendor = { t35CountryCode: 181, t35Extension: 0, manufacturerCode: 0, productId: 'roomgate', versionId: '0.1' };

export function vendorIdentifier(v: Vendor): Fields {
  const out: Fields = {
    vendor: { t35CountryCode: v.t35CountryCode, t35Extension: v.t35Extension, manufacturerCode: v.manufacturerCode },
  };
  if (v.productId) out.productId = new TextEncoder().encode(v.productId);
  if (v.versionId) out.versionId = new TextEncoder().encode(v.versionId);
  return out;
}

/** EndpointType of a gateway (optionally with its dialling prefixes, H.225.0 7.x SupportedPrefix) or a terminal. */
export function endpointType(opts: { kind: 'gateway' | 'terminal'; vendor?: Vendor; prefixes?: string[] }): Fields {
  const out: Fields = { vendor: vendorIdentifier(opts.vendor ?? ROOMGATE_VENDOR), mc: false, undefinedNode: false };
  if (opts.kind === 'terminal') out.terminal = {};
  else {
    const prefixes = (opts.prefixes ?? []).map((p) => ({ prefix: choice('dialledDigits', p) }));
    out.gateway = prefixes.length ? { protocol: [choice('h323', { supportedPrefixes: prefixes })] } : {};
  }
  return out;
}

export function guid(bytes: Uint8Array): Uint8Array {
  if (bytes.length !== 16) throw new RangeError('a GloballyUniqueID is 16 octets');
  return bytes;
}

export function bits(data: number[], length: number): BitStringValue {
  return { data: Uint8Array.from(data), length };
}
