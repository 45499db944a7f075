import type { RTCDtlsTransport } from 'werift';

/**
 * Sees every RTP and RTCP packet werift decrypts on a DTLS-SRTP transport, as raw bytes.
 *
 * Why: werift hands RTP on as parsed RtpPacket objects (re-serialising them would not give back
 * the bytes the meeting sent) and RTCP through RtcpPacketConverter, which drops FIR and
 * mis-bounds compound packets (ENVIRONMENT.md). The tap wraps the transport's SRTP/SRTCP session
 * `decrypt` functions (instance properties in werift 0.24) once DTLS is connected (RFC 5764 4.1:
 * keys exist only then), so the leg reads the plain packets before werift does. werift's own
 * processing (receiver reports, NACK, routing) continues unchanged.
 *
 * DEVIATION(werift API): relies on `srtp`/`srtcp` being public, replaceable session objects
 * (declared public in werift 0.24.4 typings). Checked at install time: if they are missing the
 * tap reports it through `onError` instead of silently seeing nothing.
 */
export interface SrtpTapHandlers {
  /** A decrypted RTP packet. The buffer is werift's: copy before keeping or modifying it. */
  rtp(packet: Buffer): void;
  /** A decrypted (compound) RTCP packet; werift's buffer, read synchronously only. */
  rtcp(packet: Buffer): void;
  onError(message: string): void;
}

type DecryptFn = (buf: Buffer) => Buffer;
interface SessionLike {
  decrypt: DecryptFn;
}

export function installSrtpTap(dtls: RTCDtlsTransport, handlers: SrtpTapHandlers): () => void {
  let removed = false;
  const restore: (() => void)[] = [];

  const wrap = (session: SessionLike | undefined, name: string, sink: (b: Buffer) => void): void => {
    if (!session || typeof session.decrypt !== 'function') {
      handlers.onError(`werift DTLS transport has no ${name} session to tap`);
      return;
    }
    const original = session.decrypt;
    session.decrypt = (buf: Buffer): Buffer => {
      const plain = original(buf);
      if (!removed) {
        try {
          sink(plain);
        } catch (error) {
          handlers.onError(`${name} tap handler threw: ${(error as Error).message}`);
        }
      }
      return plain;
    };
    restore.push(() => {
      session.decrypt = original;
    });
  };

  const install = (): void => {
    const t = dtls as unknown as { srtp?: SessionLike; srtcp?: SessionLike };
    wrap(t.srtp, 'SRTP', handlers.rtp);
    wrap(t.srtcp, 'SRTCP', handlers.rtcp);
  };

  let unsubscribe: (() => void) | undefined;
  if (dtls.state === 'connected') {
    install();
  } else {
    // startSrtp() runs synchronously just before the state becomes 'connected', and packets are
    // decrypted only in later I/O callbacks: installing here sees every packet.
    const sub = dtls.onStateChange.subscribe((state) => {
      if (state !== 'connected') return;
      sub.unSubscribe();
      unsubscribe = undefined;
      if (!removed) install();
    });
    unsubscribe = () => sub.unSubscribe();
  }
  return () => {
    removed = true;
    unsubscribe?.();
    for (const r of restore.splice(0)) r();
  };
}
