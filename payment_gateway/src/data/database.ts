import { openMigratedDatabase } from '@marketplace/common';
import type { Logger } from '@marketplace/common';
import type { Sequelize } from 'sequelize';
import { migrations } from './migrations';

/** Creates the `payments` database if missing and applies pending migrations. */
export function prepareDatabase(url: string, logger?: Logger): Promise<Sequelize> {
  return openMigratedDatabase(url, migrations, logger);
}
