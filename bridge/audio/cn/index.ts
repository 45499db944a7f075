// RFC 3389 comfort noise: the SID payload, its synthesis and its analysis.
export { CN_MAX_ORDER, ComfortNoiseDecodeError, ComfortNoisePayload, dbovToRms, rmsToDbov } from './comfort-noise-payload.ts';
export { ComfortNoiseGenerator, reflectionToPredictor } from './comfort-noise-generator.ts';
export { describeNoise, levinsonReflection } from './comfort-noise-analyser.ts';
export { ComfortNoiseSender, frameRms, type ComfortNoiseDecision, type ComfortNoiseSenderOptions } from './comfort-noise-sender.ts';
