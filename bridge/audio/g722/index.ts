// ITU-T G.722 (09/2012) sub-band ADPCM, written in the project from the Recommendation.
export { G722Encoder, encodeHigh, encodeLow } from './encoder.ts';
export { SubBand } from './band.ts';
export { G722Decoder, type G722Mode, type SubbandSignals } from './decoder.ts';
