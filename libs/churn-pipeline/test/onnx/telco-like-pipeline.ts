/**
 * A fitted pipeline written by hand with values like those fitted on the IBM Telco churn data, and
 * customer records that exercise every path of the exported graph: numeric text, JSON numbers,
 * blank and null numerics (imputed), categories given as numbers (SeniorCitizen), unseen and missing
 * categories (all zeros). Independent of the lib's own fitting code on purpose.
 */
import type { CustomerRecord, FittedPipeline } from '../../src/lib/pipeline-contract';

export const TELCO_LIKE_PIPELINE: FittedPipeline = {
  schema: {
    target: 'Churn',
    positiveLabel: 'Yes',
    identifiers: ['customerID'],
    numeric: ['tenure', 'MonthlyCharges', 'TotalCharges'],
    categorical: ['gender', 'SeniorCitizen', 'Partner', 'InternetService', 'Contract', 'PaymentMethod'],
  },
  numeric: [
    { name: 'tenure', median: 29, mean: 32.421, scale: 24.5453 },
    { name: 'MonthlyCharges', median: 70.35, mean: 64.7982, scale: 30.0851 },
    { name: 'TotalCharges', median: 1397.475, mean: 2281.9169, scale: 2265.1089 },
  ],
  categorical: [
    { name: 'gender', categories: ['Female', 'Male'] },
    { name: 'SeniorCitizen', categories: ['0', '1'] },
    { name: 'Partner', categories: ['No', 'Yes'] },
    { name: 'InternetService', categories: ['DSL', 'Fiber optic', 'No'] },
    { name: 'Contract', categories: ['Month-to-month', 'One year', 'Two year'] },
    {
      name: 'PaymentMethod',
      categories: ['Bank transfer (automatic)', 'Credit card (automatic)', 'Electronic check', 'Mailed check'],
    },
  ],
  coefficients: [
    -1.3317, 0.6519, 0.5473, 0.0213, -0.0213, -0.1087, 0.1087, 0.0391, -0.0391, -0.4571, 0.5892, -0.1321, 0.7634,
    -0.0687, -0.6947, -0.0913, -0.1218, 0.2764, -0.0633,
  ],
  intercept: -1.6042,
  threshold: 0.42,
};

/** Hand-picked records, one per path through the graph. */
export const HAND_PICKED_RECORDS: CustomerRecord[] = [
  {
    customerID: '7590-VHVEG',
    gender: 'Female',
    SeniorCitizen: '0',
    Partner: 'Yes',
    InternetService: 'DSL',
    Contract: 'Month-to-month',
    PaymentMethod: 'Electronic check',
    tenure: '1',
    MonthlyCharges: '29.85',
    TotalCharges: '29.85',
  },
  {
    customerID: '5575-GNVDE',
    gender: 'Male',
    SeniorCitizen: '0',
    Partner: 'No',
    InternetService: 'DSL',
    Contract: 'One year',
    PaymentMethod: 'Mailed check',
    tenure: '34',
    MonthlyCharges: '56.95',
    TotalCharges: '1889.5',
  },
  {
    customerID: '9237-HQITU',
    gender: 'Female',
    SeniorCitizen: '1',
    Partner: 'No',
    InternetService: 'Fiber optic',
    Contract: 'Month-to-month',
    PaymentMethod: 'Electronic check',
    tenure: '2',
    MonthlyCharges: '70.7',
    TotalCharges: '151.65',
  },
  // tenure-0 customer: TotalCharges is a single space in the CSV, i.e. missing
  {
    customerID: '4472-LVYGI',
    gender: 'Female',
    SeniorCitizen: '0',
    Partner: 'Yes',
    InternetService: 'DSL',
    Contract: 'Two year',
    PaymentMethod: 'Bank transfer (automatic)',
    tenure: '0',
    MonthlyCharges: '52.55',
    TotalCharges: ' ',
  },
  // JSON body: numbers as numbers, SeniorCitizen as a number, nulls
  {
    gender: 'Male',
    SeniorCitizen: 1,
    Partner: 'No',
    InternetService: 'Fiber optic',
    Contract: 'Month-to-month',
    PaymentMethod: 'Credit card (automatic)',
    tenure: 71,
    MonthlyCharges: 108.15,
    TotalCharges: null,
  },
  // unseen categories everywhere they can be
  {
    gender: 'Nonbinary',
    SeniorCitizen: '2',
    Partner: 'Maybe',
    InternetService: 'Satellite',
    Contract: 'Three year',
    PaymentMethod: 'Bitcoin',
    tenure: '12',
    MonthlyCharges: '19.9',
    TotalCharges: '238.8',
  },
  // missing categories: blank, whitespace, null, absent
  {
    gender: '',
    SeniorCitizen: null,
    Partner: '  ',
    Contract: 'One year',
    PaymentMethod: 'Mailed check',
    tenure: '45',
    MonthlyCharges: '',
    TotalCharges: '4500.1',
  },
  // everything numeric missing, categories present
  {
    gender: 'Male',
    SeniorCitizen: '0',
    Partner: 'Yes',
    InternetService: 'No',
    Contract: 'Two year',
    PaymentMethod: 'Mailed check',
    tenure: null,
    MonthlyCharges: undefined,
    TotalCharges: '',
  },
  // extreme but valid values
  {
    gender: 'Female',
    SeniorCitizen: '1',
    Partner: 'No',
    InternetService: 'Fiber optic',
    Contract: 'Month-to-month',
    PaymentMethod: 'Electronic check',
    tenure: '72',
    MonthlyCharges: '118.75',
    TotalCharges: '8684.8',
  },
];

/**
 * More records from a seeded generator (mulberry32), so parity is checked on a few hundred rows with
 * ~10% missing numerics and ~5% unseen or missing categories.
 */
export function generatedRecords(count: number, seed: number): CustomerRecord[] {
  const random = mulberry32(seed);
  const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)];
  const maybeMissing = (value: string): string => (random() < 0.1 ? pick(['', ' ']) : value);
  const category = (categories: readonly string[]): string | null =>
    random() < 0.05 ? pick(['', 'unseen level', null]) : pick(categories);
  return Array.from({ length: count }, (_, index) => {
    const tenure = Math.floor(random() * 73);
    const monthly = Math.round((18 + random() * 101) * 100) / 100;
    const record: Record<string, string | null> = {
      customerID: `GEN-${index}`,
      tenure: maybeMissing(String(tenure)),
      MonthlyCharges: maybeMissing(monthly.toFixed(2)),
      TotalCharges: maybeMissing((tenure * monthly * (0.9 + random() * 0.2)).toFixed(2)),
    };
    for (const column of TELCO_LIKE_PIPELINE.categorical) {
      record[column.name] = category(column.categories);
    }
    return record;
  });
}

function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
