import Busboy from '@fastify/busboy';
import { GatewayError, GatewayErrorCode } from '@tollgate/common';

/** Longer than any model name; a longer value is not a model name and is refused. */
const MAX_FIELD_BYTES = 1_024;

export function isMultipartForm(contentType: string | null): contentType is string {
  return contentType !== null && /^multipart\/form-data\s*;/i.test(contentType);
}

/**
 * The value of one text field of a multipart/form-data body, or null when the form has none.
 * OpenAI's upload operations (audio transcriptions and translations, image edits) name their
 * model inside the form, so this is how keys' allowed models apply to them. The body is only
 * read here; the relay sends the original bytes. A form the gateway cannot read is refused:
 * the upstream would read it differently, and the model check must not be skipped.
 */
export function readMultipartField(body: Buffer, contentType: string, name: string): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const refuse = (why: string) => reject(new GatewayError(GatewayErrorCode.InvalidRequest, `The multipart form could not be read: ${why}.`, name));
    let parser: InstanceType<typeof Busboy>;
    try {
      parser = new Busboy({ headers: { 'content-type': contentType }, limits: { fieldSize: MAX_FIELD_BYTES } });
    } catch (error) {
      refuse(error instanceof Error ? error.message : 'unsupported content type');
      return;
    }
    const values: string[] = [];
    let truncated = false;
    parser.on('field', (field: string, value: string, _nameTruncated: boolean, valueTruncated: boolean) => {
      if (field !== name) return;
      values.push(value);
      truncated ||= valueTruncated;
    });
    // File parts are skipped, not kept: they may be megabytes of audio. A form cut off inside
    // one fails on the parser (refused below) and then again on the part itself, a tick later:
    // without a listener there, that second emit is an uncaught exception and ends the process.
    // A part counts as a file when it has a filename or a non-text type (busboy's rule), but a
    // provider's form parser may read a part of that name as the field all the same: such a part
    // is refused, or the check would read one model while the provider used another.
    let asFile = false;
    parser.on('file', (field: string, stream: NodeJS.ReadableStream) => {
      if (field === name) asFile = true;
      stream.on('error', () => undefined);
      stream.resume();
    });
    parser.on('error', (error: Error) => refuse(error.message));
    parser.on('finish', () => {
      if (asFile) refuse(`the field '${name}' must be a plain text part (no filename, no content type other than text/plain)`);
      // Two values would let the check read one and the provider use the other.
      else if (values.length > 1) refuse(`the field '${name}' appears more than once`);
      else if (truncated) refuse(`the field '${name}' is too long`);
      else resolve(values[0] ?? null);
    });
    parser.end(body);
  });
}
