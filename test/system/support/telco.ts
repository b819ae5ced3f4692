// The Telco data as the system tests use it: the bundled CSV and one customer as /predict takes it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { workspaceRoot } from './processes';

/** The IBM Telco CSV the repository ships (libs/churn-pipeline/data). */
export const TELCO_CSV = join(workspaceRoot, 'libs/churn-pipeline/data/telco-customer-churn.csv');

/** The first customer of the IBM Telco data set (7590-VHVEG), without its id and label. */
export const TELCO_CUSTOMER: Readonly<Record<string, string | number>> = JSON.parse(
  readFileSync(join(workspaceRoot, 'libs/churn-pipeline/data/telco-first-customer.json'), 'utf8'),
);
