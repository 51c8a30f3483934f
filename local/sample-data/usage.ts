/**
 * Usage events over the whole history, following each customer's health with noise: how often it
 * shows up, how many of its users do and how many features they touch all shrink as health falls.
 * One event per (user, feature, active day), its `count` the number of uses, as analytics pipelines
 * pre-aggregate; this keeps an 18-month demo within what the local API ingests in seconds.
 */
import { dayOfYear, isWeekend, timestampAt, toDay, weekday } from './calendar';
import { EXTRA_FEATURES, SEATS, SETUP_FEATURES, type Feature } from './catalog';
import { engagement } from './health';
import type { CustomerStory, SeasonalDip, Timeline } from './lifecycle';
import { PERSONA_TRAITS, type Persona } from './personas';
import type { Day } from '../../lambdas/domain/types';
import type { Rng } from './prng';
import type { SampleEvent, SampleSubscription } from './types';

/** Per-customer habits drawn once, so the customer behaves consistently day to day. */
interface Habits {
  /** Features in the order the customer adopted them: as engagement falls, the tail goes first. */
  features: readonly Feature[];
  /** How often each is used relative to the others. */
  weights: Readonly<Record<Feature, number>>;
  /** The weekly user's review day (1 = Monday). */
  reviewDay: number;
  /** Users who could log in (seats taken), per plan size. */
  seatShare: number;
}

const FEATURE_WEIGHT: Record<Feature, number> = {
  dashboard: 4,
  reports: 3,
  export: 1,
  api: 2,
  alerts: 1,
  integrations: 1,
  sso: 1,
};
/** API-first customers live in the API; a person opens the dashboard now and then. */
const API_FIRST_WEIGHT: Record<Feature, number> = { ...FEATURE_WEIGHT, api: 6, integrations: 2, dashboard: 0.5 };

function drawHabits(rng: Rng, persona: Persona): Habits {
  const extras = rng.shuffle(EXTRA_FEATURES).slice(0, rng.int(2, 4));
  const features: Feature[] =
    persona === 'api_first'
      ? ['api', 'integrations', ...rng.shuffle<Feature>(['export', 'alerts', 'dashboard'])]
      : ['dashboard', ...rng.shuffle<Feature>(['reports', ...extras])];
  const weights = persona === 'api_first' ? API_FIRST_WEIGHT : FEATURE_WEIGHT;
  return { features, weights, reviewDay: rng.int(1, 5), seatShare: 0.4 + 0.6 * rng.next() };
}

function inDip(dip: SeasonalDip | undefined, day: number): boolean {
  if (!dip) return false;
  // Wraps over New Year for a December dip; a leap day moves the dip by a day, which nobody notices.
  return (dayOfYear(day) - dip.from + 365) % 365 < dip.days;
}

/** Chance of any use on a day, for a customer at engagement `e` (0–1). */
function activeChance(persona: Persona, e: number, day: number, habits: Habits): number {
  const weekend = isWeekend(day);
  switch (persona) {
    case 'weekly':
      if (weekend) return 0;
      return weekday(day) === habits.reviewDay ? 0.2 + 0.75 * e : 0.05 * e;
    case 'settled_low':
      return weekend ? 0 : 0.05 + 0.45 * e;
    case 'api_first': {
      const p = 0.3 + 0.65 * e;
      return weekend ? p / 2 : p;
    }
    default:
      return weekend ? 0.1 * e : 0.1 + 0.85 * e;
  }
}

/** The subscription live on `day`, if any. */
function liveOn(subs: readonly SampleSubscription[], day: number): SampleSubscription | undefined {
  return subs.find((s) => day >= s.start && (s.end === undefined || day < s.end));
}

class EventLog {
  readonly events: SampleEvent[] = [];
  constructor(
    private readonly rng: Rng,
    private readonly customerId: string,
  ) {}

  add(day: Day, feature: Feature, user: number | undefined, count: number, anyHour: boolean): void {
    const [from, to] = anyHour ? [0, 86_399] : [7 * 3600, 19 * 3600];
    const event: SampleEvent = {
      eventId: `evt_${this.customerId.slice(4)}_${String(this.events.length + 1).padStart(6, '0')}`,
      customerId: this.customerId,
      feature,
      timestamp: timestampAt(day, this.rng.int(from, to)),
      count,
    };
    if (user !== undefined) event.userId = `u_${this.customerId.slice(4)}_${user}`;
    this.events.push(event);
  }
}

/** How many of `pool` users show up: about pool × share, at least one. */
function usersToday(rng: Rng, pool: number, share: number): number {
  const mean = (pool - 1) * share;
  return 1 + Math.max(0, Math.min(pool - 1, Math.round(mean + Math.sqrt(mean * (1 - share)) * rng.normal())));
}

export function usageFor(rng: Rng, customerId: string, story: CustomerStory, t: Timeline): SampleEvent[] {
  const habits = drawHabits(rng, story.persona);
  const log = new EventLog(rng, customerId);
  const level = PERSONA_TRAITS[story.persona].usageLevel;
  const from = Math.max(t.historyStart, story.traceStart);
  for (let day = from; day <= t.asOf; day++) {
    const sub = liveOn(story.subscriptions, day);
    if (!sub) continue;
    const health = story.health[day - story.traceStart] ?? 0;
    const e = level * engagement(health) * (inDip(story.dip, day) ? 0.2 : 1);
    if (day < story.activationDay) {
      setupDay(rng, log, day, day - story.createdAt);
      continue;
    }
    if (!rng.chance(activeChance(story.persona, e, day, habits))) continue;
    const pool = Math.max(1, Math.round(SEATS[sub.plan] * habits.seatShare));
    const users = usersToday(rng, pool, 0.02 + 0.2 * e);
    const breadth = Math.max(1, Math.round(habits.features.length * (0.25 + 0.75 * e)));
    const inUse = habits.features.slice(0, breadth).map((f) => [f, habits.weights[f]] as const);
    const first = rng.int(0, pool - 1);
    const dayText = toDay(day);
    for (let j = 0; j < users; j++) {
      const user = ((first + j) % pool) + 1;
      const features = new Set([rng.weighted(inUse)]);
      if (rng.chance(0.2)) features.add(rng.weighted(inUse));
      for (const feature of features) {
        const count = 1 + Math.floor(rng.exponential(1 + 6 * e));
        // Integrations and API clients often run under a service account, with no user attached.
        const service = (feature === 'api' || feature === 'integrations') && rng.chance(0.3);
        log.add(dayText, feature, service ? undefined : user, count, feature === 'api');
      }
    }
  }
  afterChurnVisits(rng, log, story, t);
  return log.events;
}

/** Before activation a new customer only configures: SSO, integrations, API keys. Some never get further. */
function setupDay(rng: Rng, log: EventLog, day: number, age: number): void {
  const p = isWeekend(day) ? 0.05 : age < 30 ? 0.45 : 0.04;
  if (!rng.chance(p)) return;
  log.add(toDay(day), rng.pick(SETUP_FEATURES), 1, 1 + rng.int(0, 3), false);
}

/** Now and then someone logs in after the end to export their data. */
function afterChurnVisits(rng: Rng, log: EventLog, story: CustomerStory, t: Timeline): void {
  for (const churn of story.churns) {
    if (churn.effective > t.asOf || !rng.chance(0.08)) continue;
    const day = churn.effective + rng.int(0, 9);
    if (day <= t.asOf && !liveOn(story.subscriptions, day)) log.add(toDay(day), 'export', 1, rng.int(1, 5), false);
  }
}
