/**
 * A seeded generator of synthetic customers with the IBM Telco columns and a known churn signal, so
 * the system trains, registers and serves on a machine with no data at hand, and benchmarks can run
 * at any size. Rows stream out as CSV text in chunks: a million rows never exist as one string.
 */
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import { OptionError } from '../errors';
import { sigmoid } from '../model/logistic-regression';
import { randomIndex, randomNormal, seededRandom, type UniformRandom } from '../random/seeded-random';

/** The Telco header, in the Telco file's column order. */
export const TELCO_COLUMNS = [
  'customerID',
  'gender',
  'SeniorCitizen',
  'Partner',
  'Dependents',
  'tenure',
  'PhoneService',
  'MultipleLines',
  'InternetService',
  'OnlineSecurity',
  'OnlineBackup',
  'DeviceProtection',
  'TechSupport',
  'StreamingTV',
  'StreamingMovies',
  'Contract',
  'PaperlessBilling',
  'PaymentMethod',
  'MonthlyCharges',
  'TotalCharges',
  'Churn',
] as const;

/** One synthetic customer: every Telco column as the text a CSV would hold. */
export type SyntheticCustomer = Record<(typeof TELCO_COLUMNS)[number], string>;

export interface SyntheticChurnOptions {
  /** Number of customers. */
  rows: number;
  /** Seed of the generator, an integer in [0, 2^32). */
  seed: number;
}

/**
 * The known signal: the log-odds of churn are a fixed linear function of a customer's attributes.
 * A model fitted to enough synthetic rows should recover these signs and rank customers almost as
 * well as {@link syntheticChurnProbability} itself.
 */
export const SYNTHETIC_CHURN_LOG_ODDS = {
  intercept: -1.2,
  contract: { 'Month-to-month': 1.0, 'One year': -0.5, 'Two year': -1.5 } as Record<string, number>,
  perTenureMonth: -0.035,
  perMonthlyChargeAbove65: 0.015,
  fiberOptic: 0.7,
  electronicCheck: 0.5,
  seniorCitizen: 0.3,
  techSupport: -0.45,
  onlineSecurity: -0.4,
  paperlessBilling: 0.3,
  dependents: -0.25,
} as const;

const ADD_ONS = [
  'OnlineSecurity',
  'OnlineBackup',
  'DeviceProtection',
  'TechSupport',
  'StreamingTV',
  'StreamingMovies',
] as const;
const PAYMENT_METHODS = ['Electronic check', 'Mailed check', 'Bank transfer (automatic)', 'Credit card (automatic)'];
const PAYMENT_SHARES = [0.34, 0.23, 0.22, 0.21];
const CONTRACTS = ['Month-to-month', 'One year', 'Two year'];
const CONTRACT_SHARES = [0.55, 0.21, 0.24];
const INTERNET = ['DSL', 'Fiber optic', 'No'];
const INTERNET_SHARES = [0.34, 0.44, 0.22];
const MAX_TENURE = 72;
const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

/**
 * Probability of churn under the known signal ({@link SYNTHETIC_CHURN_LOG_ODDS}) for a customer's
 * attributes (the target column is not read).
 */
export function syntheticChurnProbability(customer: Omit<SyntheticCustomer, 'Churn'>): number {
  const s = SYNTHETIC_CHURN_LOG_ODDS;
  const logOdds =
    s.intercept +
    (s.contract[customer.Contract] ?? 0) +
    s.perTenureMonth * Number(customer.tenure) +
    s.perMonthlyChargeAbove65 * (Number(customer.MonthlyCharges) - 65) +
    (customer.InternetService === 'Fiber optic' ? s.fiberOptic : 0) +
    (customer.PaymentMethod === 'Electronic check' ? s.electronicCheck : 0) +
    (customer.SeniorCitizen === '1' ? s.seniorCitizen : 0) +
    (customer.TechSupport === 'Yes' ? s.techSupport : 0) +
    (customer.OnlineSecurity === 'Yes' ? s.onlineSecurity : 0) +
    (customer.PaperlessBilling === 'Yes' ? s.paperlessBilling : 0) +
    (customer.Dependents === 'Yes' ? s.dependents : 0);
  return sigmoid(logOdds);
}

/**
 * Synthetic customers one at a time. The same options give the same customers on every machine.
 * Tenure-0 customers have a `TotalCharges` of a single space, as in the Telco file.
 *
 * @throws OptionError for a bad seed or a negative or fractional row count.
 */
export function* syntheticChurnRecords(options: SyntheticChurnOptions): Generator<SyntheticCustomer> {
  assertRowCount(options.rows);
  const random = seededRandom(options.seed);
  for (let index = 0; index < options.rows; index += 1) yield drawCustomer(random, index);
}

/**
 * Synthetic customers as a CSV stream (header first, LF line ends), `rowsPerChunk` rows per chunk.
 *
 * @example await loadCsvDataset(syntheticChurnCsv({ rows: 1000, seed: 7 }), defaultChurnSchema())
 */
export function syntheticChurnCsv(options: SyntheticChurnOptions & { rowsPerChunk?: number }): Readable {
  assertRowCount(options.rows);
  const rowsPerChunk = options.rowsPerChunk ?? 2000;
  function* chunks(): Generator<string> {
    let chunk = `${TELCO_COLUMNS.join(',')}\n`;
    let inChunk = 0;
    for (const customer of syntheticChurnRecords(options)) {
      chunk += `${TELCO_COLUMNS.map((column) => csvField(customer[column])).join(',')}\n`;
      inChunk += 1;
      if (inChunk === rowsPerChunk) {
        yield chunk;
        chunk = '';
        inChunk = 0;
      }
    }
    if (chunk.length > 0) yield chunk;
  }
  return Readable.from(chunks(), { objectMode: false });
}

/** Writes a synthetic CSV file (streaming; memory does not grow with the row count). */
export async function writeSyntheticChurnCsv(path: string, options: SyntheticChurnOptions): Promise<void> {
  await pipeline(syntheticChurnCsv(options), createWriteStream(path));
}

function drawCustomer(random: UniformRandom, index: number): SyntheticCustomer {
  const yesNo = (share: number): string => (random() < share ? 'Yes' : 'No');
  const partner = yesNo(0.48);
  const contract = pick(random, CONTRACTS, CONTRACT_SHARES);
  const tenureShape = contract === 'Month-to-month' ? 2 : contract === 'One year' ? 1 : 0.5;
  const tenure = Math.min(MAX_TENURE, Math.floor((MAX_TENURE + 1) * random() ** tenureShape));
  const phone = yesNo(0.9);
  const multipleLines = phone === 'No' ? 'No phone service' : yesNo(0.47);
  const internet = pick(random, INTERNET, INTERNET_SHARES);
  const addOns = Object.fromEntries(
    ADD_ONS.map((name) => [name, internet === 'No' ? 'No internet service' : yesNo(0.4)]),
  ) as Record<(typeof ADD_ONS)[number], string>;
  const addOnCount = ADD_ONS.filter((name) => addOns[name] === 'Yes').length;
  const monthly = Math.max(
    18.25,
    (phone === 'Yes' ? 20 : 0) +
      (multipleLines === 'Yes' ? 5 : 0) +
      (internet === 'Fiber optic' ? 50 : internet === 'DSL' ? 25 : 0) +
      5 * addOnCount +
      2 * randomNormal(random),
  );
  const monthlyCharges = monthly.toFixed(2);
  const totalCharges = tenure === 0 ? ' ' : (monthly * tenure * (1 + 0.03 * randomNormal(random))).toFixed(2);
  const customer: Omit<SyntheticCustomer, 'Churn'> = {
    customerID: `${String(index).padStart(7, '0')}-${Array.from({ length: 5 }, () => LETTERS[randomIndex(random, 26)]).join('')}`,
    gender: random() < 0.5 ? 'Female' : 'Male',
    SeniorCitizen: random() < 0.16 ? '1' : '0',
    Partner: partner,
    Dependents: yesNo(partner === 'Yes' ? 0.5 : 0.15),
    tenure: String(tenure),
    PhoneService: phone,
    MultipleLines: multipleLines,
    InternetService: internet,
    ...addOns,
    Contract: contract,
    PaperlessBilling: yesNo(0.59),
    PaymentMethod: pick(random, PAYMENT_METHODS, PAYMENT_SHARES),
    MonthlyCharges: monthlyCharges,
    TotalCharges: totalCharges,
  };
  return { ...customer, Churn: random() < syntheticChurnProbability(customer) ? 'Yes' : 'No' };
}

function pick(random: UniformRandom, values: readonly string[], shares: readonly number[]): string {
  let u = random();
  for (let i = 0; i < values.length - 1; i += 1) {
    if (u < shares[i]) return values[i];
    u -= shares[i];
  }
  return values[values.length - 1];
}

function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function assertRowCount(rows: number): void {
  if (!Number.isInteger(rows) || rows < 0) throw new OptionError(`rows must be a non-negative integer, got ${rows}`);
}
