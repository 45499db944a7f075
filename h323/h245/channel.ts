// The transport an H.245 session runs over (H.323 8.2): either tunnelled in H.225.0 call
// signalling messages (h245Control of the H323-UU-PDU) or a separate TCP connection with TPKT
// framing (H.225.0 7.x). The session only sees whole encoded PDUs.

/** Carries encoded H.245 MultimediaSystemControlMessage PDUs (PER, one per element). */
export interface H245Channel {
  send(pdus: Uint8Array[]): void;              // tunnelled: batched into one H.225 message; TCP: one TPKT each
  onPdu(handler: (pdu: Uint8Array) => void): void;
  onClose(handler: (reason: string) => void): void;
  close(reason: string): void;
  /** False once nothing sent can reach the peer any more although the channel is not closed yet
   *  (tunnelled PDUs that arrived inside the peer's ReleaseComplete). Absent: true while open. */
  readonly canSend?: boolean;
}
