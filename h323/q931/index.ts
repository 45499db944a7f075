export * from './tpkt.ts';
export * from './q931-message.ts';
export * from './information-elements.ts';
