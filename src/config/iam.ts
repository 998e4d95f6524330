// The IAM file (`IAMConfigFile`: {"uid","private_key","login_endpoint"}), read by one reader for
// both its users: start-up validation and the state client in the build worker. They used to
// have a reader each (keys case-insensitive here, exact there; the key parsed only there), so a
// file could pass start-up and then fail every refresh, against [A.19]'s promise that a config
// that loads is one the server can run with.
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { ConfigError } from './error.js';
import { FileReadError, MAX_SMALL_FILE_BYTES, readBoundedFile } from './file.js';
import { describe, parseJSON, type JVal } from './json.js';

/** The file's fields as written (any may be empty). */
export interface IAMConfig {
  uid: string;
  privateKey: string;
  loginEndpoint: string;
}

/**
 * Reads an IAM config file `{"uid","private_key","login_endpoint"}` (keys case-insensitive, as
 * Go decodes them). Fields are not checked here: only the iam mechanism requires them.
 */
export function readIAMConfig(path: string): IAMConfig {
  let text: string;
  try {
    text = readBoundedFile(path, MAX_SMALL_FILE_BYTES).toString('utf8');
  } catch (e) {
    if (!(e instanceof FileReadError)) throw e;
    throw new ConfigError('IAMConfigFile', `failed to load IAM config from file ${JSON.stringify(path)}: ${e.message}`);
  }
  let doc: JVal;
  try {
    doc = parseJSON(text);
  } catch (e) {
    throw new ConfigError('IAMConfigFile', `invalid IAM JSON in ${JSON.stringify(path)}: ${(e as Error).message}`);
  }
  const out: IAMConfig = { uid: '', privateKey: '', loginEndpoint: '' };
  if (doc.t === 'null') return out;
  if (doc.t !== 'obj') throw new ConfigError('IAMConfigFile', `invalid IAM JSON in ${JSON.stringify(path)}: expected an object`);
  const names: Record<string, keyof IAMConfig> = { uid: 'uid', private_key: 'privateKey', login_endpoint: 'loginEndpoint' };
  for (const [k, v] of doc.entries) {
    const f = names[k.toLowerCase()];
    if (f === undefined || v.t === 'null') continue;
    if (v.t !== 'str') throw new ConfigError('IAMConfigFile', `invalid IAM JSON in ${JSON.stringify(path)}: ${k}: expected a string, got ${describe(v)}`);
    out[f] = v.v;
  }
  return out;
}

/** What the iam mechanism signs in with: every field present, the key parsed. */
export interface IAMCredentials {
  uid: string;
  loginEndpoint: string;
  key: KeyObject;
}

/**
 * The credentials of an IAM file (read with readIAMConfig unless given): ConfigError naming
 * IAMConfigFile when a field is missing or the private key does not parse.
 */
export function iamCredentials(path: string, iam: IAMConfig = readIAMConfig(path)): IAMCredentials {
  const missing = [
    ['uid', iam.uid],
    ['private_key', iam.privateKey],
    ['login_endpoint', iam.loginEndpoint],
  ].flatMap(([name, value]) => (value === '' ? [name] : []));
  if (missing.length > 0) {
    throw new ConfigError('IAMConfigFile', `invalid HTTP IAM configuration in ${JSON.stringify(path)}: missing ${missing.join(', ')}`);
  }
  try {
    return { uid: iam.uid, loginEndpoint: iam.loginEndpoint, key: createPrivateKey(iam.privateKey) };
  } catch (e) {
    throw new ConfigError('IAMConfigFile', `invalid HTTP IAM configuration in ${JSON.stringify(path)}: private_key: ${(e as Error).message}`);
  }
}
