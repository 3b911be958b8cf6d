/**
 * http_ece (RFC 8188 encrypted content-encoding, the library web-push uses) ships no type definitions.
 * These are the parts this project calls, with the parameters it passes: aes128gcm, a Diffie-Hellman key
 * agreement (RFC 8291) and Buffers (the library also takes base64url strings where it takes Buffers).
 */
declare module 'http_ece' {
  import type { ECDH } from 'node:crypto';

  interface Aes128gcmParams {
    version: 'aes128gcm';
    /** The receiver's key pair when decrypting, the sender's when encrypting. */
    privateKey: ECDH;
    authSecret: Buffer;
  }

  /** The aes128gcm body: header (salt, rs, the sender's public key as keyid), then the records. */
  export function encrypt(plaintext: Buffer, params: Aes128gcmParams & { rs: number; salt: Buffer; dh: Buffer }): Buffer;

  export function decrypt(body: Buffer, params: Aes128gcmParams): Buffer;
}
