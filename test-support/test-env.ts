export type Env = Record<string, string | undefined>;

/**
 * A service's environment in a test: this process's, then `NODE_ENV=test` with silent logs and
 * the project's settings, then the test's own overrides (those left undefined change nothing).
 */
export function testEnvironment(settings: Env, overrides: Env = {}): Env {
  const env: Env = { ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'silent', ...settings };
  for (const [key, value] of Object.entries(overrides)) if (value !== undefined) env[key] = value;
  return env;
}
