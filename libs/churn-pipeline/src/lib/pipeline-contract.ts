/**
 * The shapes every part of the pipeline agrees on: the feature schema (data, not code), raw customer
 * records as they arrive from a CSV or a JSON body, and a fitted pipeline as plain numbers, which is
 * what the ONNX exporter turns into a graph and what in-process scoring evaluates.
 */

/** Which columns are what. The default fits the IBM Telco churn data. */
export interface FeatureSchema {
  /** Column holding the label, e.g. `Churn`. */
  target: string;
  /** The target's value that means the positive class, e.g. `Yes`. */
  positiveLabel: string;
  /** Columns dropped before training (`customerID`). */
  identifiers: string[];
  /** Columns imputed with the training median, then standardised. Order is feature order. */
  numeric: string[];
  /** Columns one-hot encoded; an unseen or missing value encodes as all zeros. */
  categorical: string[];
}

/** A cell as it arrives: text from a CSV (blank = missing), or a JSON number/string/null. */
export type RawValue = string | number | null | undefined;

/** One customer: column name to raw value. */
export type CustomerRecord = Readonly<Record<string, RawValue>>;

/** What median imputation and standardisation learned for one numeric column (training split only). */
export interface NumericColumnTransform {
  name: string;
  /** Training median, substituted for missing values. */
  median: number;
  /** Mean of the imputed training column. */
  mean: number;
  /** Population standard deviation of the imputed column (as scikit-learn's StandardScaler); 1 when it is 0. */
  scale: number;
}

/** The levels one-hot encoding learned for one categorical column, sorted as scikit-learn sorts them. */
export interface CategoricalColumnTransform {
  name: string;
  categories: string[];
}

/**
 * A fitted pipeline as plain numbers. Feature order, as in scikit-learn's
 * `ColumnTransformer([('num', …, numeric), ('cat', OneHotEncoder(handle_unknown='ignore'), categorical)])`:
 * every numeric column (standardised) in schema order, then each categorical column's one-hot block
 * in schema order, categories in `categories` order.
 */
export interface FittedPipeline {
  schema: FeatureSchema;
  numeric: NumericColumnTransform[];
  categorical: CategoricalColumnTransform[];
  /** One weight per feature, in feature order. */
  coefficients: number[];
  intercept: number;
  /** Probability at or above which the label is 1. */
  threshold: number;
}
