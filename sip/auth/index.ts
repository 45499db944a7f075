/** Digest authentication, UAS and UAC (RFC 3261 22, RFC 7616, RFC 8760). */
export { DigestAuthenticator, type DigestAuthenticatorOptions, type VerifyResult, type AuthDecision, type AuthHeader } from './authenticator.ts';
export { DigestClient, authorize, applyAuthHeaders, type DigestCredentials, type CredentialProvider, type AuthorizeOptions } from './client.ts';
export { computeResponse, toAlgorithm, SUPPORTED_ALGORITHMS, type DigestAlgorithm, type DigestInput } from './digest.ts';
export { parseDigestHeader, formatDigestHeader } from './params.ts';
