/**
 * Interop: a real baresip (room terminal stand-in) registers with digest auth to our Registrar
 * (acceptance 4, first half), then can be found by name and dialled by the stack.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DigestAuthenticator, Registrar, SipStack, SystemClock, type Binding, type VerifyResult } from '../../sip/index.ts';
import { startBaresip, type Baresip } from '../helpers/baresip.ts';
import { captureLogger, SDP_A } from './helpers.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function registrarOnStack() {
  const stack = await SipStack.start({ bindAddress: '127.0.0.1', port: 0, logger: captureLogger(), transports: ['udp', 'tcp'] });
  const clock = new SystemClock();
  // baresip 1.0 (libre) answers only MD5 and gives up ("Register: Function not implemented") when
  // any challenge of the 401 is SHA-256, instead of answering the one it supports (RFC 8760 2.4):
  // legacy terminals need an MD5-only realm.
  const authenticator = new DigestAuthenticator({ realm: 'roomgate.test', algorithms: ['MD5'],
    lookupPassword: (u) => (u === 'room7' ? 'pw-room7' : undefined) });
  const verdicts: VerifyResult[] = [];
  const answered: ((v: VerifyResult) => void)[] = [];
  const verify = authenticator.verify.bind(authenticator);
  authenticator.verify = (req) => {
    const v = verify(req);
    verdicts.push(v);
    if (req.headers.has('authorization')) answered.splice(0).forEach((f) => f(v));
    return v;
  };
  /** The verdict on the next REGISTER that carries credentials. */
  const nextAnswer = () => new Promise<VerifyResult>((resolve) => answered.push(resolve));
  const registrar = new Registrar({ clock, logger: captureLogger(), authenticator });
  stack.setRegistrar(registrar);
  cleanups.push(async () => { registrar.close(); clock.cancelAll(); await stack.close(); });
  return { stack, registrar, verdicts, nextAnswer };
}

function nextBinding(registrar: Registrar): Promise<Binding[]> {
  return new Promise((resolve) => registrar.once('changed', (_aor, b) => resolve(b)));
}

async function terminal(stackPort: number, password: string): Promise<Baresip> {
  const b = await startBaresip({ user: 'room7', extraAccountParams: {
    auth_pass: password, regint: '60', outbound: `"sip:127.0.0.1:${stackPort}"` } });
  cleanups.push(() => b.stop());
  return b;
}

describe('baresip REGISTER with digest auth → Registrar', () => {
  it('registers (challenge answered), is looked up by name and answers a call placed to its binding', async () => {
    const { stack, registrar, verdicts } = await registrarOnStack();
    const bound = nextBinding(registrar);
    const b = await terminal(stack.port, 'pw-room7');
    const [binding] = await bound;
    expect(binding.user).toBe('room7');
    expect(binding.contact).toContain(`127.0.0.1:${b.sipPort}`);
    expect(verdicts.at(-1)).toEqual({ ok: true, user: 'room7', algorithm: 'MD5' });
    expect(registrar.lookup('room7')).toHaveLength(1);

    const out = stack.invite({ requestUri: registrar.lookup('room7')[0].contact, fromUri: 'sip:gw@127.0.0.1', sdp: SDP_A });
    const dialog = await out.result;
    expect(dialog.answerSdp).toContain('m=audio');
    await dialog.bye();
  });

  it('with a wrong password the answer is refused and nothing is bound', async () => {
    const { stack, registrar, nextAnswer } = await registrarOnStack();
    const verdict = nextAnswer();
    await terminal(stack.port, 'wrong');
    expect(await verdict).toMatchObject({ ok: false, stale: false, reason: 'wrong response digest', user: 'room7' });
    expect(registrar.aors()).toEqual([]);
  });
});
