/*
 * canary.c — does the sanitizer build really sanitize? Built only in
 * sanitizer builds (TIANTI_SANITIZE, TIANTI_TSAN); the ctest tests sanitizer/... run it
 * and passes only when the sanitizer reports the bug it makes on purpose:
 *   canary heap   a read one past a heap block      (AddressSanitizer)
 *   canary cast   a double too big for an int       (UBSan, float-cast-overflow)
 *   canary race   two threads write one int at once (ThreadSanitizer)
 * If a change to the build dropped the sanitizer flags, the bug would go
 * unreported and the test would fail.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int shared;
static volatile double big = 1e12;

static void *writer(void *arg)
{
    (void)arg;
    for (int i = 0; i < 1000; i++) shared++;
    return NULL;
}

int main(int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : "";
    if (!strcmp(what, "heap")) {
        char *volatile p = malloc(8);
        int v = p[8];
        free(p);
        printf("read %d past the block: not caught\n", v);
    } else if (!strcmp(what, "cast")) {
        int v = (int)big;
        printf("cast %d: not caught\n", v);
    } else if (!strcmp(what, "race")) {
        pthread_t a, b;
        pthread_create(&a, NULL, writer, NULL);
        pthread_create(&b, NULL, writer, NULL);
        pthread_join(a, NULL);
        pthread_join(b, NULL);
        printf("race on %d: not caught\n", shared);
    } else {
        fprintf(stderr, "usage: canary heap|cast|race\n");
        return 2;
    }
    return 0;
}
