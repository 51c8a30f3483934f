/**
 * Usage events for the last USAGE_DAYS days before asOf, shaped by each customer's archetype.
 * Events only fall on days the customer has a live subscription.
 */
import type { ArchetypeName } from './archetypes';
import { isWeekend, timestampAt, toDay, weekday } from './calendar';
import { EXTRA_FEATURES, SEATS, SETUP_FEATURES, type Feature } from './catalog';
import type { CustomerStory, Timeline } from './lifecycle';
import type { Rng } from './prng';
import type { SampleEvent } from './types';

export const USAGE_DAYS = 120;

/** Per-customer traits drawn once, so the customer behaves consistently day to day. */
interface Traits {
  extras: Feature[];
  /** The weekly user's review day (0 = Sunday). */
  reviewDay: number;
  /** Dormant customers: days of silence before asOf (≥ 14). */
  quietDays: number;
  /** Not-activated customers: only setup events, or none at all. */
  silent: boolean;
}

interface DayView {
  day: number;
  daysAgo: number;
  /** Days until the live subscription's cancellation takes effect (Infinity when none). */
  daysToEnd: number;
  weekend: boolean;
  traits: Traits;
}

interface ActivityProfile {
  /** Probability that the customer uses the product on this day. */
  pActive(v: DayView): number;
  features(v: DayView): readonly Feature[];
}

const CORE: readonly Feature[] = ['dashboard', 'reports'];
const busy = (v: DayView) => (v.weekend ? 0.3 : 0.95);
const fullSet = (v: DayView): readonly Feature[] => [...CORE, ...v.traits.extras];
/** Activity thins out over the last five weeks before a cancellation, down to the core dashboard. */
const fading: ActivityProfile = {
  pActive: (v) => busy(v) * Math.min(1, v.daysToEnd / 35),
  features: (v) => (v.daysToEnd < 30 ? ['dashboard'] : fullSet(v)),
};

export const PROFILES: Record<ArchetypeName, ActivityProfile> = {
  healthy: { pActive: busy, features: fullSet },
  weekly: {
    pActive: (v) => (weekday(v.day) === v.traits.reviewDay ? 0.95 : v.weekend ? 0 : 0.06),
    features: (v) => [...CORE, ...v.traits.extras.slice(0, 1)],
  },
  declining: {
    // Quadratic fall-off over six weeks: the last 28 days hold well under half the 28 before.
    pActive: (v) => busy(v) * (v.daysAgo >= 42 ? 1 : 0.05 + 0.95 * (v.daysAgo / 42) ** 2),
    features: (v) => (v.daysAgo < 28 ? ['dashboard', ...v.traits.extras.slice(0, 1).filter((f) => f !== 'integrations')] : fullSet(v)),
  },
  dormant: {
    pActive: (v) => (v.daysAgo < v.traits.quietDays ? 0 : busy(v) * 0.8),
    features: fullSet,
  },
  not_activated: {
    pActive: (v) => (v.traits.silent ? 0 : 0.25),
    features: () => SETUP_FEATURES,
  },
  onboarding: { pActive: (v) => busy(v) * 0.9, features: (v) => [...CORE, 'integrations', ...v.traits.extras.slice(0, 1)] },
  churned: fading,
  reactivated: fading,
};

function drawTraits(rng: Rng): Traits {
  return {
    extras: rng.shuffle(EXTRA_FEATURES).slice(0, rng.int(2, 4)),
    reviewDay: rng.int(1, 5),
    quietDays: rng.int(15, 45),
    silent: rng.chance(0.5),
  };
}

const FEATURE_WEIGHT: Record<Feature, number> = {
  dashboard: 4,
  reports: 3,
  export: 1,
  api: 1,
  alerts: 1,
  integrations: 1,
  sso: 1,
};
/** Features whose events are batched by the client and arrive with a count. */
const COUNTED: ReadonlySet<Feature> = new Set(['export', 'api']);
const PLAN_BONUS = { starter: 0, growth: 1, business: 2, enterprise: 3 } as const;

/** The live subscription's cancellation day on `day`, Infinity when open-ended; undefined when not live. */
function liveUntil(story: CustomerStory, day: number): number | undefined {
  for (const s of story.subscriptions) {
    if (day >= s.start && (s.end === undefined || day < s.end)) return s.end ?? Infinity;
  }
  return undefined;
}

export function usageFor(rng: Rng, customerId: string, story: CustomerStory, t: Timeline): SampleEvent[] {
  const profile = PROFILES[story.archetype];
  const traits = drawTraits(rng);
  const seats = SEATS[story.plan];
  const events: SampleEvent[] = [];
  for (let day = t.asOf - USAGE_DAYS + 1; day <= t.asOf; day++) {
    const end = liveUntil(story, day);
    if (end === undefined) continue;
    const view: DayView = { day, daysAgo: t.asOf - day, daysToEnd: end - day, weekend: isWeekend(day), traits };
    if (!rng.chance(profile.pActive(view))) continue;
    const dayText = toDay(day);
    const features = profile.features(view);
    const weights = features.map((f) => [f, FEATURE_WEIGHT[f]] as const);
    const n = rng.int(1, 4) + PLAN_BONUS[story.plan];
    for (let i = 0; i < n; i++) {
      const feature = rng.weighted(weights);
      const event: SampleEvent = {
        eventId: `evt_${customerId.slice(4)}_${String(events.length + 1).padStart(5, '0')}`,
        customerId,
        feature,
        timestamp: timestampAt(dayText, rng.int(7 * 3600, 19 * 3600)),
      };
      // A few events come from service accounts with no user attached.
      if (!rng.chance(0.05)) event.userId = `u_${customerId.slice(4)}_${rng.int(1, seats)}`;
      if (COUNTED.has(feature)) event.count = rng.int(1, 25);
      events.push(event);
    }
  }
  return events;
}
