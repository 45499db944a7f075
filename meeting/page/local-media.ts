/** The participant's own microphone and camera, or a test tone instead of the microphone. */

export interface LocalMediaOptions {
  /** Replace the microphone by a sine tone at this frequency (Hz), e.g. 880. */
  toneHz?: number;
  /** Capture the microphone (ignored when toneHz is set). Default true. */
  audio: boolean;
  /** Capture the camera. Default true. */
  video: boolean;
  /** Camera size asked for. Default 640 × 360 (1280 × 720 for simulcast: room for three layers). */
  videoSize?: { width: number; height: number };
}

export interface LocalMedia {
  audio?: MediaStreamTrack;
  video?: MediaStreamTrack;
  stop(): void;
}

export async function openLocalMedia(opts: LocalMediaOptions): Promise<LocalMedia> {
  const wantMic = opts.toneHz === undefined && opts.audio;
  const stream =
    wantMic || opts.video
      ? await navigator.mediaDevices.getUserMedia({
          audio: wantMic,
          video: opts.video
            ? { width: { ideal: opts.videoSize?.width ?? 640 }, height: { ideal: opts.videoSize?.height ?? 360 }, frameRate: { ideal: 30 } }
            : false,
        })
      : undefined;
  let audio = stream?.getAudioTracks()[0];
  let toneContext: AudioContext | undefined;
  if (opts.toneHz !== undefined) {
    toneContext = new AudioContext({ sampleRate: 48000 });
    const osc = new OscillatorNode(toneContext, { type: 'sine', frequency: opts.toneHz });
    const gain = new GainNode(toneContext, { gain: 0.5 });
    const dest = new MediaStreamAudioDestinationNode(toneContext, { channelCount: 1 });
    osc.connect(gain).connect(dest);
    osc.start();
    await toneContext.resume(); // needs --autoplay-policy=no-user-gesture-required headless
    audio = dest.stream.getAudioTracks()[0];
  }
  const video = stream?.getVideoTracks()[0];
  return {
    ...(audio ? { audio } : {}),
    ...(video ? { video } : {}),
    stop() {
      stream?.getTracks().forEach((t) => t.stop());
      audio?.stop();
      void toneContext?.close();
    },
  };
}
