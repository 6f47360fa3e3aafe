/* A bitwise CRC-32 over a 64 KiB buffer, ROUNDS times: the loop of issue 16's figure (about 100 M instructions at
 * gcc -O2). No C library: it runs under qemu-x86_64 and under mk exec alike (both.h). Exit status: the CRC's low
 * 7 bits, so both runs can be checked against each other. */
#include "both.h"

#define SIZE (64 * 1024)
#ifndef SCALE
#define SCALE 1
#endif
#define ROUNDS (40 * SCALE)

static unsigned char data[SIZE];

static unsigned crc32(const unsigned char *p, unsigned long n, unsigned crc)
{
    for (unsigned long i = 0; i < n; i++) {
        crc ^= p[i];
        for (int b = 0; b < 8; b++) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return crc;
}

void _start(void)
{
    for (unsigned long i = 0; i < SIZE; i++) data[i] = (unsigned char)(i * 31 + 7);
    unsigned crc = 0xFFFFFFFFu;
    for (int r = 0; r < ROUNDS; r++) crc = crc32(data, SIZE, crc);
    exit_on_both((long)(~crc & 0x7F));
}
