import { GatewayError, GatewayErrorCode } from '@tollgate/common';
import { imageTypeOf } from '../image-type';
import { GeminiPart } from './gemini.types';

/** Data URLs are sent inline; http(s) URLs by reference, with the type guessed from the name. */
export function toMediaPart(url: unknown, param: string): GeminiPart {
  if (typeof url !== 'string') throw new GatewayError(GatewayErrorCode.InvalidRequest, 'a media URL is required', param);
  const data = /^data:([^;,]+)?((?:;[^;,]+)*),(.*)$/s.exec(url);
  if (data) {
    const isBase64 = data[2].split(';').includes('base64');
    const base64 = isBase64 ? data[3] : percentDecodedBase64(data[3], param);
    // Typed by its bytes where it is an image: Gemini refuses image/jpg (see imageTypeOf).
    return { inlineData: { mimeType: imageTypeOf(base64) ?? data[1] ?? 'application/octet-stream', data: base64 } };
  }
  if (/^https?:\/\//i.test(url)) return { fileData: { mimeType: guessImageType(url), fileUri: url } };
  throw new GatewayError(GatewayErrorCode.InvalidRequest, 'media URLs must be data: or http(s): URLs', param);
}

/** Gemini wants base64; a data URL without `;base64` holds percent-encoded bytes. */
function percentDecodedBase64(text: string, param: string): string {
  try {
    return Buffer.from(decodeURIComponent(text), 'utf8').toString('base64');
  } catch {
    throw new GatewayError(GatewayErrorCode.InvalidRequest, 'the data URL is not validly percent-encoded', param);
  }
}

/** By file extension; a Map, so an extension such as `.constructor` is just unknown. */
const IMAGE_TYPES = new Map([
  ['png', 'image/png'],
  ['gif', 'image/gif'],
  ['webp', 'image/webp'],
  ['heic', 'image/heic'],
  ['heif', 'image/heif'],
  ['jpg', 'image/jpeg'],
  ['jpeg', 'image/jpeg'],
]);

function guessImageType(url: string): string {
  const extension = /\.([a-z0-9]+)$/i.exec(url.split(/[?#]/)[0])?.[1]?.toLowerCase();
  return (extension && IMAGE_TYPES.get(extension)) || 'image/jpeg';
}
