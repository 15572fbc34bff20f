import { AppConfig, loadConfig } from './app-config';
import { ConfigError } from './config-error';

/** Reads the environment; a bad value ends the process with one line on stderr and exit code 1. */
export function loadConfigOrExit(): AppConfig {
  try {
    return loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}
