/*
 * cmd_quantize.c — `tianti quantize IN.gguf OUT.gguf --type f32|f16|q8_0|q4_0`:
 * writes a copy of a GLM GGUF model with its weight matrices converted
 * (engines/glm/quantize.c does the work). Norms and biases stay f32.
 */
#include "engines/glm/quant.h"
#include "engines/glm/quantize.h"
#include "harness/util.h"

#include <stdio.h>
#include <string.h>

static const char *const quantize_usage =
    "usage: tianti quantize IN.gguf OUT.gguf --type f32|f16|q8_0|q4_0\n";

int cmd_quantize(int argc, char **argv)
{
    const char *pos[2] = {NULL, NULL};
    const char *type_name = NULL;
    int n_pos = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(quantize_usage, stdout);
            return 0;
        } else if (strcmp(argv[i], "--type") == 0 || strcmp(argv[i], "-t") == 0) {
            if (++i >= argc) {
                fprintf(stderr, "error: option '--type' needs a value\n%s", quantize_usage);
                return 2;
            }
            type_name = argv[i];
        } else if (strncmp(argv[i], "--type=", 7) == 0) {
            type_name = argv[i] + 7;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "error: unknown option '%s'\n%s", argv[i], quantize_usage);
            return 2;
        } else if (n_pos < 2) {
            pos[n_pos++] = argv[i];
        } else {
            fprintf(stderr, "error: too many arguments\n%s", quantize_usage);
            return 2;
        }
    }
    if (n_pos != 2 || !type_name) {
        fprintf(stderr, "error: need IN, OUT and --type\n%s", quantize_usage);
        return 2;
    }
    int type = glm_type_from_name(type_name);
    if (type < 0) {
        fprintf(stderr, "error: unknown type '%s' (f32, f16, q8_0, q4_0)\n", type_name);
        return 2;
    }
    char err[TT_ERR_SIZE];
    double t0 = tt_now_s();
    if (glm_quantize_file(pos[0], pos[1], (uint32_t)type, err) != TT_OK) {
        fprintf(stderr, "error: %s\n", err);
        return 1;
    }
    printf("wrote '%s' (%s) in %.2f s\n", pos[1], type_name, tt_now_s() - t0);
    return 0;
}
