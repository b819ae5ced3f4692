/* eslint-disable @typescript-eslint/no-explicit-any -- response bodies are checked field by field by the tests */
import { postJson, type RunningApp } from './app-harness';

export type Customer = Record<string, string | number | null>;

/** Sends `customers` to `/predict` in batches of `batchSize`; fails on any non-200 answer. */
export async function sendTraffic(app: RunningApp, customers: readonly Customer[], batchSize = 200): Promise<void> {
  for (let start = 0; start < customers.length; start += batchSize) {
    const response = await postJson(`${app.url}/predict`, { customers: customers.slice(start, start + batchSize) });
    if (response.status !== 200) throw new Error(`/predict answered ${response.status}: ${response.text}`);
  }
}

/** Copies of the customers with MonthlyCharges × 1.8 and Contract forced to "Two year". */
export function shiftedCustomers(customers: readonly Customer[]): Customer[] {
  return customers.map((customer) => ({
    ...customer,
    MonthlyCharges:
      typeof customer['MonthlyCharges'] === 'number' ? customer['MonthlyCharges'] * 1.8 : customer['MonthlyCharges'],
    Contract: 'Two year',
  }));
}

/** Copies with every feature moved: numbers × 3 + 50, every text column set to one value seen in few rows. */
export function heavilyShiftedCustomers(customers: readonly Customer[]): Customer[] {
  return customers.map((customer) =>
    Object.fromEntries(
      Object.entries(customer).map(([name, value]) => [
        name,
        typeof value === 'number' ? value * 3 + 50 : value === null ? null : rareLevel(name, customers),
      ]),
    ),
  );
}

const rareLevels = new Map<string, string>();
/** The least frequent value of a text column among `customers`. */
function rareLevel(name: string, customers: readonly Customer[]): string {
  const known = rareLevels.get(name);
  if (known !== undefined) return known;
  const counts = new Map<string, number>();
  for (const customer of customers) {
    const value = customer[name];
    if (typeof value === 'string') counts.set(value, (counts.get(value) ?? 0) + 1);
  }
  const rarest = [...counts.entries()].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1))[0][0];
  rareLevels.set(name, rarest);
  return rarest;
}

export async function getDrift(app: RunningApp, query = ''): Promise<{ status: number; json: Record<string, any> }> {
  const response = await fetch(`${app.internalUrl}/drift${query}`);
  return { status: response.status, json: (await response.json()) as Record<string, any> };
}

/** `name → status` of a drift report, for readable failure messages. */
export function statuses(report: Record<string, any>): Record<string, string> {
  return Object.fromEntries(
    (report['features'] as { name: string; status: string }[]).map((feature) => [feature.name, feature.status]),
  );
}
