import { ConfigError } from '@marketplace/common';

/** The problems a service's loadConfig names for this environment (none when it loads). */
export function configProblems(
  loadConfig: (env: Record<string, string>) => unknown,
  env: Record<string, string>,
): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}
