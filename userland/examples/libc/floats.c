/* floats.c -- %f, %e and %g: rounding (half to even on the exact value), widths, flags, limits, inf and nan. */
#include <stdio.h>
#include <string.h>

static double from_bits(unsigned long b)
{
    double d;
    memcpy(&d, &b, sizeof d);
    return d;
}

int main(void)
{
    static const double values[] = {
        0.0, -0.0, 1.0, -1.5, 0.5, 2.5, 0.125, 0.1, 0.2, 0.3, 1.0 / 3, 2.0 / 3, 3.14159265358979, 2.718281828459045,
        1e-5, 1e-4, 123456.789, 999999.5, 9.9999995, 0.000123456, 1e15, 1e16, 1e21, 1e22, 1e100, 1.7976931348623157e308,
        2.2250738585072014e-308, 4.9406564584124654e-324, 1e-300, 5e-7, 0.05, 0.15, 0.25, 0.35, 1.005, 2.675, 1e-7,
        123.456, -987654.321, 100.0, 0.0009765625, 1234567890123456789.0, 9.5, 10.5, 0.95, 99.95,
    };
    for (unsigned i = 0; i < sizeof values / sizeof values[0]; i++) {
        double v = values[i];
        printf("%f|%e|%g|%.0f|%.1f|%.2e|%.3g|%.10g|%.17g|%#g|%#.0f|%.0e\n", v, v, v, v, v, v, v, v, v, v, v, v);
    }
    printf("%.20f|%.30e|%.40g\n", 0.1, 0.1, 0.1);
    printf("%.60f\n", 1e-50);
    printf("%.0f %.0f %.0f %.0f %.0f %.0f\n", 0.5, 1.5, 2.5, 3.5, -0.5, -2.5);
    printf("[%10.3f] [%-10.3f] [%010.3f] [%+.2f] [% .2f] [%+010.1e] [%-12g|] [%012g]\n", 3.14159, 3.14159, -3.14159, 2.0, 2.0, 12345.678, 0.0001, -1e-10);
    printf("%f %e %g %F %E %G\n", 1.0 / 0.0, -1.0 / 0.0, 1.0 / 0.0, 1.0 / 0.0, 1.0 / 0.0, -1.0 / 0.0);
    double nan = from_bits(0x7ff8000000000000ul), negnan = from_bits(0xfff8000000000000ul);
    printf("%f %e %g %F [%8f] [%-8f] [%08f] %f\n", nan, nan, nan, nan, nan, nan, nan, negnan);
    printf("[%010f] [%+f]\n", 1.0 / 0.0, 1.0 / 0.0);
    printf("%g %g %g %g %g %g\n", 100000.0, 1000000.0, 0.0001, 0.00001, 123456789.0, 1e-5);
    printf("%G %E %.3E\n", 1e-20, 123.0, 9.9996);
    char buf[64];
    int n = snprintf(buf, sizeof buf, "%.3f/%g", 2.0 / 3, 1e300);
    printf("%d %s\n", n, buf);
    double sum = 0;
    for (int i = 1; i <= 100; i++) sum += 1.0 / i;
    printf("harmonic(100) = %.15f\n", sum);
    return 0;
}
