import { runMain } from './run-main';

describe('runMain', () => {
  let exit: jest.SpyInstance;
  let stderr: jest.SpyInstance;
  let exited: Promise<number | undefined>;

  beforeEach(() => {
    let done: (code: number | undefined) => void = () => undefined;
    exited = new Promise((resolve) => (done = resolve));
    exit = jest.spyOn(process, 'exit').mockImplementation(((code?: number) => done(code)) as never);
    stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  });

  afterEach(() => {
    exit.mockRestore();
    stderr.mockRestore();
  });

  const written = () => stderr.mock.calls.map(([text]) => String(text)).join('');

  it('ends with 1 and one line when the server is refused synchronously (a bad setting while building the module)', async () => {
    runMain(
      {
        name: 'app',
        commands: {},
        serve: () => {
          throw new Error('invalid configuration: PORT must be an integer number (got "abc")');
        },
      },
      [],
    );
    expect(await exited).toBe(1);
    expect(written()).toBe('app failed to start: invalid configuration: PORT must be an integer number (got "abc")\n');
  });

  it('ends with 1 and one redacted line when start-up fails later', async () => {
    runMain(
      {
        name: 'app',
        commands: {},
        serve: () => Promise.reject(new Error('MLflow at http://ops:pw@mlflow:5000 refused')),
      },
      [],
    );
    expect(await exited).toBe(1);
    expect(written()).toBe('app failed to start: MLflow at http://***@mlflow:5000 refused\n');
  });

  it("exits with a command's code, and with 1 naming the command when it throws synchronously", async () => {
    runMain({ name: 'app', commands: { ok: async () => 3 }, serve: async () => undefined }, ['ok']);
    expect(await exited).toBe(3);
    exited = new Promise((resolve) => exit.mockImplementation(((code?: number) => resolve(code)) as never));
    runMain(
      {
        name: 'app',
        commands: {
          bad: () => {
            throw new Error('--to must be a version');
          },
        },
        serve: async () => undefined,
      },
      ['bad'],
    );
    expect(await exited).toBe(1);
    expect(written()).toBe('app bad: --to must be a version\n');
  });

  it('refuses an unknown command, naming the known ones', async () => {
    runMain({ name: 'app', commands: { promote: async () => 0 }, serve: async () => undefined }, ['promte']);
    expect(await exited).toBe(1);
    expect(written()).toBe("app: unknown command 'promte' (commands: promote; none starts the server)\n");
  });
});
