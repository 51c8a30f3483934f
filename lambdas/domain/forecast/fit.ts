/**
 * L2-regularised logistic regression by iteratively reweighted least squares (Newton's method).
 * Inputs are standardised for the fit so one penalty suits every feature, and the weights are
 * returned on the raw scale the scorecard uses. Small and dependency-free: 21 features and tens of
 * thousands of rows fit in a few hundred milliseconds.
 */

export interface LogisticFit {
  intercept: number;
  weights: number[];
  /** Training means of the inputs (the scorecard centres factor points on them). */
  means: number[];
  iterations: number;
  converged: boolean;
}

export interface FitOptions {
  /** Penalty on the standardised weights (the intercept is not penalised). */
  l2?: number;
  maxIterations?: number;
  tolerance?: number;
}

export function fitLogistic(rows: readonly (readonly number[])[], labels: readonly number[], opts: FitOptions = {}): LogisticFit {
  const n = rows.length;
  if (n === 0 || labels.length !== n) throw new RangeError(`need as many labels as rows (got ${n} rows, ${labels.length} labels)`);
  const p = rows[0]!.length;
  const l2 = opts.l2 ?? 2;
  const maxIterations = opts.maxIterations ?? 50;
  const tolerance = opts.tolerance ?? 1e-9;

  const means = new Array<number>(p).fill(0);
  const scales = new Array<number>(p).fill(0);
  for (const row of rows) for (let j = 0; j < p; j++) means[j]! += row[j]!;
  for (let j = 0; j < p; j++) means[j]! /= n;
  for (const row of rows) for (let j = 0; j < p; j++) scales[j]! += (row[j]! - means[j]!) ** 2;
  // A constant input carries no information: its standardised column is 0 and its weight stays 0.
  for (let j = 0; j < p; j++) scales[j] = Math.sqrt(scales[j]! / n) || 0;
  const z = (row: readonly number[], j: number) => (scales[j] ? (row[j]! - means[j]!) / scales[j]! : 0);

  const d = p + 1; // index 0 is the intercept
  const beta = new Array<number>(d).fill(0);
  const prior = labels.reduce((s, y) => s + y, 0) / n;
  beta[0] = Math.log(Math.max(1e-6, prior) / Math.max(1e-6, 1 - prior));
  const x = new Float64Array(d);
  const design = (i: number) => {
    x[0] = 1;
    for (let j = 0; j < p; j++) x[j + 1] = z(rows[i]!, j);
    return x;
  };
  /** Penalised log-likelihood: each Newton step must not lower it (step halving keeps IRLS stable). */
  const objective = (b: readonly number[]) => {
    let ll = 0;
    for (let i = 0; i < n; i++) {
      const xi = design(i);
      let eta = 0;
      for (let k = 0; k < d; k++) eta += b[k]! * xi[k]!;
      // log(1 + e^eta) without overflow.
      ll += labels[i]! * eta - (eta > 0 ? eta + Math.log1p(Math.exp(-eta)) : Math.log1p(Math.exp(eta)));
    }
    for (let k = 1; k < d; k++) ll -= (l2 / 2) * b[k]! ** 2;
    return ll;
  };
  let current = objective(beta);
  let iterations = 0;
  let converged = false;
  for (; iterations < maxIterations && !converged; iterations++) {
    const hessian = Array.from({ length: d }, () => new Float64Array(d));
    const gradient = new Float64Array(d);
    for (let i = 0; i < n; i++) {
      const xi = design(i);
      let eta = 0;
      for (let k = 0; k < d; k++) eta += beta[k]! * xi[k]!;
      const mu = 1 / (1 + Math.exp(-eta));
      const w = Math.max(mu * (1 - mu), 1e-10);
      const r = labels[i]! - mu;
      for (let a = 0; a < d; a++) {
        const xa = xi[a]!;
        if (xa === 0) continue;
        gradient[a]! += xa * r;
        const row = hessian[a]!;
        for (let b = 0; b <= a; b++) row[b]! += w * xa * xi[b]!;
      }
    }
    for (let a = 1; a < d; a++) {
      gradient[a]! -= l2 * beta[a]!;
      hessian[a]![a]! += l2;
    }
    for (let a = 0; a < d; a++) for (let b = 0; b < a; b++) hessian[b]![a] = hessian[a]![b]!;
    const step = solveSymmetric(hessian, gradient);
    let scale = 1;
    let candidate = beta.map((b, k) => b + step[k]!);
    let value = objective(candidate);
    for (let halvings = 0; value < current && halvings < 30; halvings++) {
      scale /= 2;
      candidate = beta.map((b, k) => b + scale * step[k]!);
      value = objective(candidate);
    }
    let largest = 0;
    for (let k = 0; k < d; k++) largest = Math.max(largest, Math.abs(candidate[k]! - beta[k]!));
    for (let k = 0; k < d; k++) beta[k] = candidate[k]!;
    const gain = value - current;
    current = value;
    // Converged when the weights stop moving, or the objective stops improving in float precision.
    converged = largest < tolerance || (gain < 1e-10 * Math.max(1, Math.abs(current)) && largest < 1e-5);
  }

  const weights = new Array<number>(p);
  let intercept = beta[0]!;
  for (let j = 0; j < p; j++) {
    weights[j] = scales[j] ? beta[j + 1]! / scales[j]! : 0;
    intercept -= weights[j]! * means[j]!;
  }
  return { intercept, weights, means, iterations, converged };
}

/** Solves H·s = g for a symmetric positive-definite H (Cholesky). */
function solveSymmetric(h: Float64Array[], g: Float64Array): Float64Array {
  const d = g.length;
  const l = Array.from({ length: d }, () => new Float64Array(d));
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = h[i]![j]!;
      for (let k = 0; k < j; k++) sum -= l[i]![k]! * l[j]![k]!;
      if (i === j) l[i]![i] = Math.sqrt(Math.max(sum, 1e-12));
      else l[i]![j] = sum / l[j]![j]!;
    }
  }
  const y = new Float64Array(d);
  for (let i = 0; i < d; i++) {
    let sum = g[i]!;
    for (let k = 0; k < i; k++) sum -= l[i]![k]! * y[k]!;
    y[i] = sum / l[i]![i]!;
  }
  const s = new Float64Array(d);
  for (let i = d - 1; i >= 0; i--) {
    let sum = y[i]!;
    for (let k = i + 1; k < d; k++) sum -= l[k]![i]! * s[k]!;
    s[i] = sum / l[i]![i]!;
  }
  return s;
}
