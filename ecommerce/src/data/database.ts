import { openMigratedDatabase } from '@marketplace/common';
import type { Logger } from '@marketplace/common';
import type { Sequelize } from 'sequelize';
import { migrations } from './migrations';

export {
  createSequelize,
  isCheckViolation,
  isUniqueViolation,
  selectPage,
  selectRows,
  transactionRunner,
  writeRows,
} from '@marketplace/common';
export type { Transaction, TransactionRunner } from '@marketplace/common';

/** Creates the database if missing and applies pending migrations: nothing is made by hand. */
export function prepareDatabase(url: string, logger?: Logger): Promise<Sequelize> {
  return openMigratedDatabase(url, migrations, logger);
}
