import { pino, type DestinationStream } from 'pino';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/**
 * JSON lines on stderr, so stdout stays free for what a command prints for people:
 * `{"level":"info","time":"<ISO 8601>","message":…, …fields}`. Written synchronously, so the line before a crash or
 * an exit is not lost in a buffer. The methods are bound: call sites pass `logger.info` around on its own.
 */
export function createLogger(level: LogLevel = 'info', destination: DestinationStream = pino.destination({ dest: 2, sync: true })): Logger {
  const log = pino({
    level,
    base: undefined,
    messageKey: 'message',
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  }, destination);
  return {
    debug: (message, fields = {}) => log.debug(fields, message),
    info: (message, fields = {}) => log.info(fields, message),
    warn: (message, fields = {}) => log.warn(fields, message),
    error: (message, fields = {}) => log.error(fields, message),
  };
}
