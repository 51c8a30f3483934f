/**
 * How likely things are to happen to a customer, given its health. These are the world's rules, not
 * a model's: smooth in health, never 0 or 1, so history shows tendencies rather than certainties.
 */
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const DAYS_PER_MONTH = 30.4375;

export interface HazardInput {
  health: number;
  /** Health now minus health 30 days ago. */
  trend: number;
  tenureDays: number;
}

/**
 * Monthly probability of deciding to leave for lack of value. Rises steeply below a health of 0,
 * faster when health is falling, and is higher in the first months (customers who never settled in).
 */
export function disengagementPerMonth({ health, trend, tenureDays }: HazardInput): number {
  const level = 0.001 + 0.058 * sigmoid(-2.2 * (health + 0.1));
  const falling = Math.exp(Math.min(1.2, Math.max(-0.6, -0.9 * trend)));
  const young = 1 + 0.8 * Math.exp(-tenureDays / 120);
  return Math.min(0.6, level * falling * young);
}

export const perDay = (perMonth: number) => 1 - (1 - perMonth) ** (1 / DAYS_PER_MONTH);
/** The chance that a monthly hazard fires at least once over `months` months. */
export const overMonths = (perMonth: number, months: number) => 1 - (1 - perMonth) ** months;

/** Budget cuts and closures hit healthy and unhealthy customers alike, with little warning. */
export const BUDGET_CUT_PER_MONTH = 0.003;

/** A charge fails (expired card, limit reached) somewhat more often at struggling customers. */
export function paymentFailure(health: number): number {
  return 0.02 + 0.03 * sigmoid(-2 * (health + 0.5));
}

/** After a failed charge, the dunning retries succeed unless the customer has stopped caring. */
export function dunningRecovers(health: number): number {
  return 0.35 + 0.5 * sigmoid(1.5 * (health + 0.3));
}

/** Monthly chance of moving one plan down (struggling) or up (thriving). */
export function downgradePerMonth(health: number): number {
  return 0.01 + 0.05 * sigmoid(-2 * (health + 0.3));
}
export function upgradePerMonth(health: number): number {
  return 0.002 + 0.02 * sigmoid(2.5 * (health - 1));
}

/** Share of voluntary churners who come back within the year (a new subscription, a new start). */
export const WINBACK = 0.12;
/** Involuntary churners often just fix the card. */
export const PAYMENT_WINBACK = 0.35;
