/** Carries encoded H.245 MultimediaSystemControlMessage PDUs (PER, one per element). */
export interface H245Channel {
  send(pdus: Uint8Array[]): void;              // tunnelled: batched into one H.225 message; TCP: one TPKT each
  onPdu(handler: (pdu: Uint8Array) => void): void;
  onClose(handler: (reason: string) => void): void;
  close(reason: string): void;
}
