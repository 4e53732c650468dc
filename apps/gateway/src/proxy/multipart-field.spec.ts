import { GatewayError } from '@tollgate/common';
import { readMultipartField } from './multipart-field';

const BOUNDARY = 'X';
const CONTENT_TYPE = `multipart/form-data; boundary=${BOUNDARY}`;

function part(headers: string, value: string): string {
  return `--${BOUNDARY}\r\n${headers}\r\n\r\n${value}\r\n`;
}

describe('readMultipartField', () => {
  it('reads the named text field of a form with a file part', async () => {
    const body = part('Content-Disposition: form-data; name="file"; filename="a.wav"\r\nContent-Type: audio/wav', 'RIFF....') + part('Content-Disposition: form-data; name="model"', 'whisper-1') + `--${BOUNDARY}--\r\n`;
    await expect(readMultipartField(Buffer.from(body), CONTENT_TYPE, 'model')).resolves.toBe('whisper-1');
  });

  it('refuses a form cut off inside a file part, and the cut-off file part raises nothing uncaught', async () => {
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    // Jest's own handler would fail the test on its own; this one records what would crash a server.
    process.prependListener('uncaughtException', onUncaught);
    try {
      const body = `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\nContent-Type: audio/wav\r\n\r\nRIFF`;
      await expect(readMultipartField(Buffer.from(body), CONTENT_TYPE, 'model')).rejects.toBeInstanceOf(GatewayError);
      // busboy re-emits the error on the open file part in a later tick.
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setImmediate(resolve));
      expect(uncaught).toEqual([]);
    } finally {
      process.removeListener('uncaughtException', onUncaught);
    }
  });

  it('refuses a model field given twice', async () => {
    const body = part('Content-Disposition: form-data; name="model"', 'a') + part('Content-Disposition: form-data; name="model"', 'b') + `--${BOUNDARY}--\r\n`;
    await expect(readMultipartField(Buffer.from(body), CONTENT_TYPE, 'model')).rejects.toThrow('more than once');
  });

  it('refuses a model part the parser takes for a file, which a provider may read as the model all the same', async () => {
    const asOctets = part('Content-Disposition: form-data; name="model"\r\nContent-Type: application/octet-stream', 'gpt-4o-transcribe');
    const allowed = part('Content-Disposition: form-data; name="model"', 'whisper-1');
    for (const body of [asOctets + allowed, asOctets, part('Content-Disposition: form-data; name="model"; filename="m.txt"', 'gpt-4o-transcribe')]) {
      await expect(readMultipartField(Buffer.from(body + `--${BOUNDARY}--\r\n`), CONTENT_TYPE, 'model')).rejects.toThrow('plain text part');
    }
  });
});
