import { ConsoleLogger, type LogLevel } from '@nestjs/common';

import { redactCredentials } from '../http/redact';

/** Nest's console logger (text or JSON) with credentials removed from every line it prints. */
export class RedactingConsoleLogger extends ConsoleLogger {
  protected override printMessages(
    messages: unknown[],
    context?: string,
    logLevel?: LogLevel,
    writeStreamType?: 'stdout' | 'stderr',
    errorStack?: unknown,
  ): void {
    super.printMessages(
      messages.map(redact),
      context,
      logLevel,
      writeStreamType,
      typeof errorStack === 'string' ? redactCredentials(errorStack) : errorStack,
    );
  }

  /** Nest calls this for every `error()`, with `undefined` when the caller gave no stack. */
  protected override printStackTrace(stack: string | undefined): void {
    super.printStackTrace(typeof stack === 'string' ? redactCredentials(stack) : (stack as unknown as string));
  }
}

function redact(message: unknown): unknown {
  if (typeof message === 'string') return redactCredentials(message);
  if (message instanceof Error) {
    const copy = new Error(redactCredentials(message.message));
    copy.name = message.name;
    copy.stack = message.stack === undefined ? undefined : redactCredentials(message.stack);
    return copy;
  }
  return message;
}
