// One pino logger for the whole process. Structured JSON on stderr so that stdout stays free
// for `-version`; the level follows the original's -v switch (0 → info, 1 → debug, 2 → trace).
// Nothing on the query hot path logs per packet: a log line costs more than an answer.
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(verbosity = 0, destination: number | string = 2): Logger {
  const level = verbosity >= 2 ? 'trace' : verbosity === 1 ? 'debug' : 'info';
  return pino({ level, base: { svc: 'mesos-dns' } }, pino.destination({ dest: destination, sync: false }));
}

/** A logger that drops everything: for unit tests and pure code paths that take an optional logger. */
export const silentLogger: Logger = pino({ level: 'silent' });
