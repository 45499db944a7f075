/**
 * Copies every encoded frame a receiver gets into a buffer (audio: Opus packets), and passes
 * it on unchanged so playout continues. Needs the recv RTCPeerConnection created with
 * `encodedInsertableStreams: true`; then every receiver of it must be piped (video too).
 * Headless Chromium without an audio device never decodes audio, so tests read these frames.
 */

interface EncodedStreams {
  readable: ReadableStream<{ data: ArrayBuffer }>;
  writable: WritableStream<{ data: ArrayBuffer }>;
}
type ReceiverWithEncodedStreams = RTCRtpReceiver & { createEncodedStreams?: () => EncodedStreams };

/** Frames kept per receiver (50 per second of Opus at 20 ms). */
const MAX_FRAMES = 3000;

/** Pipe the receiver's encoded frames through; copy them into `sink` when given. */
export function tapEncodedFrames(receiver: RTCRtpReceiver, sink?: Uint8Array[]): void {
  const r = receiver as ReceiverWithEncodedStreams;
  if (typeof r.createEncodedStreams !== 'function') {
    console.warn('meeting: encoded insertable streams unsupported; received audio is not recorded');
    return;
  }
  const { readable, writable } = r.createEncodedStreams();
  const copy = new TransformStream<{ data: ArrayBuffer }, { data: ArrayBuffer }>({
    transform(frame, controller) {
      if (sink) {
        sink.push(new Uint8Array(frame.data.slice(0)));
        if (sink.length > MAX_FRAMES) sink.splice(0, sink.length - MAX_FRAMES);
      }
      controller.enqueue(frame);
    },
  });
  readable
    .pipeThrough(copy)
    .pipeTo(writable)
    .catch(() => {
      /* receiver stopped */
    });
}
