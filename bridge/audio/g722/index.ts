// ITU-T G.722 (09/2012) sub-band ADPCM, written in the project from the Recommendation.
export { G722Encoder } from './encoder.ts';
export { G722Decoder, type G722Mode } from './decoder.ts';
