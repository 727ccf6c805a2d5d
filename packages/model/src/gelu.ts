/**
 * GELU and its polynomial stand-in for the `mlp` workload (CKKS evaluates polynomials only).
 *
 * GELU(x) = x·Φ(x) = x/2 + (x/2)·erf(x/√2). Its odd part is exactly x/2 and the rest is even, so
 * the least-squares cubic on a symmetric interval has c1 = 1/2 and c3 = 0: the best cubic is a
 * quadratic. On [-4, 4] (uniform weight, continuous least squares):
 *
 *   p(x) = 0.2563329868757297 + 0.5·x + 0.12772022712350919·x²
 *
 * with max |p − GELU| ≈ 0.29998 on the interval (at its ends) and RMS error ≈ 0.156.
 */

/** erf, accurate to about 1e-15 absolute (Maclaurin series below 2.5, continued fraction above). */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const a = Math.abs(x);
  const s = x < 0 ? -1 : 1;
  if (a < 2.5) {
    // erf(x) = 2/√π Σ (-1)^n x^(2n+1) / (n! (2n+1))
    let term = a;
    let sum = a;
    const x2 = a * a;
    for (let n = 1; n < 200; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return (s * 2 * sum) / Math.sqrt(Math.PI);
  }
  if (a > 6) return s;
  // erfc(x) = exp(-x²)/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + …)))), evaluated by modified Lentz.
  const tiny = 1e-300;
  let f = a;
  let C = a;
  let D = 0;
  for (let n = 1; n < 300; n++) {
    const an = n / 2;
    D = a + an * D;
    D = Math.abs(D) < tiny ? tiny : D;
    C = a + an / C;
    C = Math.abs(C) < tiny ? tiny : C;
    D = 1 / D;
    const delta = C * D;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  const erfc = Math.exp(-a * a) / (Math.sqrt(Math.PI) * f);
  return s * (1 - erfc);
}

/** Exact GELU, x·Φ(x). */
export function gelu(x: number): number {
  return 0.5 * x * (1 + erf(x / Math.SQRT2));
}

export interface PolynomialActivation {
  readonly name: string;
  /** Coefficients c0…c3 of c0 + c1·x + c2·x² + c3·x³ (missing high terms are zero). */
  readonly coefficients: readonly number[];
  /** Interval the polynomial was fitted on. */
  readonly interval: readonly [number, number];
  /** max |p(x) − f(x)| on the interval, where f is the function approximated. */
  readonly maxError: number;
}

/** The least-squares cubic (in fact quadratic, see above) fit of GELU on [-4, 4]. */
export const GELU_CUBIC_LSQ: PolynomialActivation = {
  name: 'gelu-lsq3[-4,4]',
  coefficients: [0.2563329868757297, 0.5, 0.12772022712350919, 0],
  interval: [-4, 4],
  maxError: 0.29998,
};

/** Degree of the polynomial: index of the highest non-zero coefficient (0 for a constant). */
export function polynomialDegree(coefficients: readonly number[]): number {
  for (let i = coefficients.length - 1; i > 0; i--) if (coefficients[i] !== 0) return i;
  return 0;
}

/** Horner evaluation. */
export function evaluatePolynomial(coefficients: readonly number[], x: number): number {
  let y = 0;
  for (let i = coefficients.length - 1; i >= 0; i--) y = y * x + (coefficients[i] as number);
  return y;
}
