// The one error type of configuration problems, in its own module: config/types.ts holds only
// types, and every stage that validates a config value (the ZooKeeper URL, forwarding's lists)
// can throw it without importing the loader.

/** Thrown for any configuration problem; `key` names the offending key (or "" for the file itself). */
export class ConfigError extends Error {
  constructor(public readonly key: string, message: string) {
    super(key ? `config key "${key}": ${message}` : message);
    this.name = 'ConfigError';
  }
}
