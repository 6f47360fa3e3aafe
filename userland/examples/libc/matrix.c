/* matrix.c -- doubles as a numerics course uses them: a Hilbert-like system solved by Gaussian elimination with
 * partial pivoting in malloc'd matrices, a matrix product gcc vectorizes at -O3, a Newton square root, a
 * trapezoid integral; results in %f, %e and %g. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double *matrix(int n) { return calloc((size_t)(n * n), sizeof(double)); }

/* Solves a x = b in place (a is destroyed); returns 0, or -1 for a singular matrix. */
static int solve(int n, double *a, double *b, double *x)
{
    for (int k = 0; k < n; k++) {
        int p = k;
        for (int i = k + 1; i < n; i++)
            if ((a[i * n + k] < 0 ? -a[i * n + k] : a[i * n + k]) > (a[p * n + k] < 0 ? -a[p * n + k] : a[p * n + k]))
                p = i;
        if (a[p * n + k] == 0)
            return -1;
        if (p != k) {
            for (int j = 0; j < n; j++) {
                double t = a[k * n + j];
                a[k * n + j] = a[p * n + j];
                a[p * n + j] = t;
            }
            double t = b[k];
            b[k] = b[p];
            b[p] = t;
        }
        for (int i = k + 1; i < n; i++) {
            double f = a[i * n + k] / a[k * n + k];
            for (int j = k; j < n; j++)
                a[i * n + j] -= f * a[k * n + j];
            b[i] -= f * b[k];
        }
    }
    for (int i = n - 1; i >= 0; i--) {
        double s = b[i];
        for (int j = i + 1; j < n; j++)
            s -= a[i * n + j] * x[j];
        x[i] = s / a[i * n + i];
    }
    return 0;
}

static double newton_sqrt(double v)
{
    double x = v > 1 ? v : 1;
    for (int i = 0; i < 60; i++)
        x = 0.5 * (x + v / x);
    return x;
}

static double f(double x) { return 4.0 / (1.0 + x * x); }

int main(void)
{
    for (int n = 3; n <= 9; n += 3) {
        double *a = matrix(n), *b = calloc((size_t)n, sizeof(double)), *x = calloc((size_t)n, sizeof(double));
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                a[i * n + j] = 1.0 / (i + j + 1);
                b[i] += a[i * n + j]; /* the solution is all ones */
            }
            a[i * n + i] += 1e-3;
        }
        for (int i = 0; i < n; i++)
            b[i] += 1e-3;
        if (solve(n, a, b, x) != 0) {
            printf("n=%d singular\n", n);
            return 1;
        }
        double err = 0;
        for (int i = 0; i < n; i++)
            err += (x[i] - 1) * (x[i] - 1);
        printf("n=%d x0=%.15f x%d=%.15f error %.3e\n", n, x[0], n - 1, x[n - 1], newton_sqrt(err));
        free(a);
        free(b);
        free(x);
    }
    int n = 40;
    double *p = matrix(n), *q = matrix(n), *r = matrix(n);
    for (int i = 0; i < n * n; i++) {
        p[i] = (i % 7) * 0.25 - 0.5;
        q[i] = (i % 11) / 3.0;
    }
    for (int i = 0; i < n; i++)
        for (int k = 0; k < n; k++)
            for (int j = 0; j < n; j++)
                r[i * n + j] += p[i * n + k] * q[k * n + j];
    double trace = 0, sum = 0;
    for (int i = 0; i < n; i++)
        trace += r[i * n + i];
    for (int i = 0; i < n * n; i++)
        sum += r[i];
    printf("product: trace %.10g sum %.10g r[7][13] %.17g\n", trace, sum, r[7 * n + 13]);
    double integral = 0;
    int steps = 1000;
    for (int i = 0; i <= steps; i++)
        integral += f((double)i / steps) * (i == 0 || i == steps ? 0.5 : 1.0);
    integral /= steps;
    printf("pi by trapezoids %.12f, sqrt(2) %.17g, sqrt(1e-4) %g\n", integral, newton_sqrt(2), newton_sqrt(1e-4));
    free(p);
    free(q);
    free(r);
    return 0;
}
