/* strings.c -- string.h and ctype.h. */
#include <stdio.h>
#include <string.h>
#include <ctype.h>

static int sign(int v) { return (v > 0) - (v < 0); }

int main(void)
{
    char buf[64];
    printf("strlen %zu %zu, strnlen %zu %zu\n", strlen(""), strlen("hello"), strnlen("hello", 3), strnlen("hi", 10));
    strcpy(buf, "foo");
    strcat(buf, "bar");
    strncat(buf, "bazqux", 3);
    printf("strcpy/strcat/strncat: %s\n", buf);
    memset(buf, 'x', sizeof buf);
    strncpy(buf, "ab", 5);
    printf("strncpy pads: %d %d %d %d %c\n", buf[0], buf[2], buf[3], buf[4], buf[5]);
    printf("strcmp %d %d %d %d, strncmp %d %d\n", sign(strcmp("abc", "abd")), sign(strcmp("b", "a")), strcmp("same", "same"),
           sign(strcmp("ab", "abc")), strncmp("abcX", "abcY", 3), sign(strncmp("abcX", "abcY", 4)));
    printf("memcmp %d %d, high bytes %d\n", sign(memcmp("aaa", "aab", 3)), memcmp("aaa", "aab", 2), sign(memcmp("\x80", "\x01", 1)));
    const char *text = "the quick brown fox jumps";
    printf("strchr %s, strrchr %s, strchr NUL at %ld, missing %s\n", strchr(text, 'q'), strrchr(text, 'o'), strchr(text, 0) - text,
           strchr(text, 'z') ? "?" : "NULL");
    printf("strstr %s, empty %s, missing %s\n", strstr(text, "brown"), strstr(text, ""), strstr(text, "cat") ? "?" : "NULL");
    printf("strspn %zu, strcspn %zu, strpbrk %s\n", strspn("aabbcd", "ab"), strcspn("hello world", " "), strpbrk(text, "xyz"));
    printf("memchr %s\n", (char *)memchr(text, 'b', strlen(text)));
    char moving[] = "0123456789";
    memmove(moving + 2, moving, 5);
    printf("memmove up %s\n", moving);
    memmove(moving, moving + 3, 5);
    printf("memmove down %s\n", moving);
    char words[] = "  split, these;words  ";
    for (char *w = strtok(words, " ,;"); w; w = strtok(NULL, " ,;")) printf("[%s]", w);
    printf("\n");
    struct { char name[24]; double weight; int id; } a = { "copied struct", 1.25, 7 }, b;
    memcpy(&b, &a, sizeof a);
    printf("memcpy %s %g %d\n", b.name, b.weight, b.id);
    /* Every class of every character (EOF, then 0..255: the "C" locale has no class above 127), one mask each. */
    for (int c = EOF; c < 256; c++) {
        int mask = (!!isalnum(c)) | (!!isalpha(c)) << 1 | (!!isblank(c)) << 2 | (!!iscntrl(c)) << 3
                 | (!!isdigit(c)) << 4 | (!!isgraph(c)) << 5 | (!!islower(c)) << 6 | (!!isprint(c)) << 7
                 | (!!ispunct(c)) << 8 | (!!isspace(c)) << 9 | (!!isupper(c)) << 10 | (!!isxdigit(c)) << 11;
        printf("%03x%c", mask, (c + 2) % 16 == 0 ? '\n' : ' ');
        if (toupper(c) != (islower(c) ? c - 32 : c) || tolower(c) != (isupper(c) ? c + 32 : c))
            printf("[case of %d]", c);
    }
    printf("\n");
    int classes[12] = { 0 };
    for (int c = 0; c < 128; c++) {
        classes[0] += !!isalnum(c); classes[1] += !!isalpha(c); classes[2] += !!isblank(c); classes[3] += !!iscntrl(c);
        classes[4] += !!isdigit(c); classes[5] += !!isgraph(c); classes[6] += !!islower(c); classes[7] += !!isprint(c);
        classes[8] += !!ispunct(c); classes[9] += !!isspace(c); classes[10] += !!isupper(c); classes[11] += !!isxdigit(c);
    }
    for (int i = 0; i < 12; i++) printf("%d ", classes[i]);
    printf("\n");
    char shout[] = "Mixed Case 123!";
    for (char *p = shout; *p; p++) *p = (char)toupper(*p);
    printf("%s %c %c %c\n", shout, tolower('Q'), tolower('1'), toupper('z'));
    return 0;
}
