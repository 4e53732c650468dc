/**
 * The type of a base64 image, read from its first bytes: JPEG, PNG, GIF or WebP. OpenAI reads an
 * image whatever its data URL declares; Anthropic and Gemini take the declared type, know no
 * `image/jpg` (how browsers and many tools label JPEGs), and Anthropic also checks the bytes
 * against it. Null for other bytes (audio, a PDF, an image format neither takes), whose label is
 * kept: the provider's own 400 then says what is wrong.
 */
export function imageTypeOf(base64: string): string | null {
  const head = Buffer.from(base64.slice(0, 16), 'base64');
  if (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'image/jpeg';
  if (head.subarray(0, 8).equals(PNG_SIGNATURE)) return 'image/png';
  if (head.toString('latin1', 0, 4) === 'GIF8') return 'image/gif';
  if (head.toString('latin1', 0, 4) === 'RIFF' && head.toString('latin1', 8, 12) === 'WEBP') return 'image/webp';
  return null;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
