import { RedactingConsoleLogger } from './redacting-logger';

describe('RedactingConsoleLogger', () => {
  let written: string[];
  let spies: jest.SpyInstance[];

  beforeEach(() => {
    written = [];
    const capture = (chunk: string | Uint8Array): boolean => {
      written.push(String(chunk));
      return true;
    };
    spies = [
      jest.spyOn(process.stdout, 'write').mockImplementation(capture),
      jest.spyOn(process.stderr, 'write').mockImplementation(capture),
    ];
  });
  afterEach(() => spies.forEach((spy) => spy.mockRestore()));

  it.each([false, true])('removes credentials from messages and stacks (json %s)', (json) => {
    const logger = new RedactingConsoleLogger({ json, prefix: 'test-app' });
    logger.warn('MLflow at https://bot:pa55w0rd@mlflow:5000 is unavailable', 'Ctx');
    logger.error('failed', 'Error: at https://bot:pa55w0rd@mlflow:5000\n    at x', 'Ctx');
    const text = written.join('');
    expect(text).toContain('https://***@mlflow:5000 is unavailable');
    expect(text).not.toContain('pa55w0rd');
  });

  it('logs an error without a stack (Nest passes undefined) instead of throwing', () => {
    const logger = new RedactingConsoleLogger({ prefix: 'test-app' });
    expect(() => logger.error('cannot resume rollouts: MLflow unreachable')).not.toThrow();
    expect(written.join('')).toContain('cannot resume rollouts');
  });
});
