import { Writable } from 'node:stream';
import { PinoNestLogger, createLogger } from './logger';

describe('PinoNestLogger', () => {
  const linesAt = (level: string) => {
    const lines: Array<{ level: number; msg: string; context?: string }> = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    return { nest: new PinoNestLogger(createLogger(level, 'test', sink)), lines };
  };

  it("logs Nest's start-up wiring at debug, so it does not bury the lines an operator reads at start; other Nest lines keep their level", () => {
    const { nest, lines } = linesAt('info');
    nest.log('Mapped {/v1/chat/completions, POST} route', 'RouterExplorer');
    nest.log('AppModule dependencies initialized', 'InstanceLoader');
    nest.log('something a module says', 'ConfigSync');
    nest.warn('a warning', 'RouterExplorer');
    expect(lines.map((line) => [line.msg, line.level])).toEqual([
      ['something a module says', 30],
      ['a warning', 40],
    ]);
    const verbose = linesAt('debug');
    verbose.nest.log('Mapped {/v1/models, GET} route', 'RouterExplorer');
    expect(verbose.lines.map((line) => [line.msg, line.level, line.context])).toEqual([['Mapped {/v1/models, GET} route', 20, 'RouterExplorer']]);
  });

  it("keeps a Postgres violation's row out of the log: its detail quotes every value of it", () => {
    const lines2: Array<{ err: { detail?: string; message: string } }> = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines2.push(JSON.parse(chunk.toString()));
        done();
      },
    });
    const logger = createLogger('info', 'test', sink);
    const violation = Object.assign(new Error('null value in column "key_id" violates not-null constraint'), { detail: 'Failing row contains (id-1, my password is hunter2, ...).' });
    logger.error({ err: violation }, 'insert failed');
    expect(lines2[0].err.message).toContain('violates not-null constraint');
    expect(JSON.stringify(lines2[0])).not.toContain('hunter2');
  });
});
