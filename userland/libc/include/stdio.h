/*
 * stdio.h -- output on the simulated console (the write syscall). stdout and stderr both go to the console;
 * stdout is written when a line ends, when its buffer fills, on fflush and at exit.
 */
#ifndef _STDIO_H
#define _STDIO_H
#include <stddef.h>
#include <stdarg.h>
#define EOF (-1)
typedef struct FILE FILE;
extern FILE *stdout;
extern FILE *stderr;
int printf(const char *format, ...) __attribute__((format(printf, 1, 2)));
int fprintf(FILE *f, const char *format, ...) __attribute__((format(printf, 2, 3)));
int sprintf(char *buf, const char *format, ...) __attribute__((format(printf, 2, 3)));
int snprintf(char *buf, size_t size, const char *format, ...) __attribute__((format(printf, 3, 4)));
int vprintf(const char *format, va_list ap);
int vfprintf(FILE *f, const char *format, va_list ap);
int vsprintf(char *buf, const char *format, va_list ap);
int vsnprintf(char *buf, size_t size, const char *format, va_list ap);
int putchar(int c);
int fputc(int c, FILE *f);
int putc(int c, FILE *f);
int puts(const char *s);
int fputs(const char *s, FILE *f);
size_t fwrite(const void *p, size_t size, size_t count, FILE *f);
int fflush(FILE *f);
void perror(const char *s);
#endif
