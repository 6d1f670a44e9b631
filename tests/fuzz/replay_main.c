/*
 * replay_main.c — a main for a libFuzzer target without libFuzzer: feeds
 * every file named on the command line, or every regular file in a folder
 * named there, to LLVMFuzzerTestOneInput once. Built in every build as
 * fuzz_gguf_replay, so the seed corpus (tests/fuzz/corpus_gguf/) runs as the
 * ctest test fuzz/gguf_corpus under each build's sanitizers. Fails (exit 1)
 * when a file cannot be read or when there is no input at all; a bug the
 * target hits crashes it.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    if (!f || fstat(fileno(f), &st) != 0) {
        perror(path);
        if (f) fclose(f);
        return 1;
    }
    size_t n = (size_t)st.st_size;
    /* an exact-size buffer, as libFuzzer gives, so ASan sees a read past it */
    uint8_t *buf = malloc(n ? n : 1);
    int bad = !buf || fread(buf, 1, n, f) != n;
    fclose(f);
    if (bad) {
        fprintf(stderr, "%s: cannot read\n", path);
        free(buf);
        return 1;
    }
    printf("%s: %zu bytes\n", path, n);
    fflush(stdout);
    LLVMFuzzerTestOneInput(buf, n);
    free(buf);
    return 0;
}

static int cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
    int files = 0, errors = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            perror(argv[i]);
            errors++;
            continue;
        }
        if (!S_ISDIR(st.st_mode)) {
            errors += run_file(argv[i]);
            files++;
            continue;
        }
        DIR *d = opendir(argv[i]);
        if (!d) {
            perror(argv[i]);
            errors++;
            continue;
        }
        char **names = NULL;
        size_t n = 0;
        struct dirent *e;
        while ((e = readdir(d))) {
            if (e->d_name[0] == '.') continue;
            char *p = malloc(strlen(argv[i]) + strlen(e->d_name) + 2);
            char **nn = realloc(names, (n + 1) * sizeof *names);
            if (!p || !nn) {
                fprintf(stderr, "out of memory\n");
                return 1;
            }
            names = nn;
            sprintf(p, "%s/%s", argv[i], e->d_name);
            names[n++] = p;
        }
        closedir(d);
        qsort(names, n, sizeof *names, cmp);
        for (size_t k = 0; k < n; k++) {
            if (stat(names[k], &st) == 0 && S_ISREG(st.st_mode)) {
                errors += run_file(names[k]);
                files++;
            }
            free(names[k]);
        }
        free(names);
    }
    if (files == 0) {
        fprintf(stderr, "usage: %s FILE|DIR...: no input files\n", argv[0]);
        return 1;
    }
    printf("%d inputs, %d unreadable\n", files, errors);
    return errors ? 1 : 0;
}
