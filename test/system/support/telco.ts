// The Telco data as the system tests use it: the bundled CSV and one customer as /predict takes it.
import { join } from 'node:path';

import { workspaceRoot } from './processes';

/** The IBM Telco CSV the repository ships (libs/churn-pipeline/data). */
export const TELCO_CSV = join(workspaceRoot, 'libs/churn-pipeline/data/telco-customer-churn.csv');

/** The first customer of the IBM Telco data set (7590-VHVEG), without its id and label. */
export const TELCO_CUSTOMER = {
  gender: 'Female',
  SeniorCitizen: 0,
  Partner: 'Yes',
  Dependents: 'No',
  tenure: 1,
  PhoneService: 'No',
  MultipleLines: 'No phone service',
  InternetService: 'DSL',
  OnlineSecurity: 'No',
  OnlineBackup: 'Yes',
  DeviceProtection: 'No',
  TechSupport: 'No',
  StreamingTV: 'No',
  StreamingMovies: 'No',
  Contract: 'Month-to-month',
  PaperlessBilling: 'Yes',
  PaymentMethod: 'Electronic check',
  MonthlyCharges: 29.85,
  TotalCharges: 29.85,
};
