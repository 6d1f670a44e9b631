/*
 * cmd_quantize.c — `tianti quantize IN.gguf OUT.gguf --type f32|f16|q8_0|q4_0`:
 * writes a copy of a GLM GGUF model with its weight matrices converted
 * (engines/glm/quantize.c does the work). Norms and biases stay f32.
 */
#include "cli/cli.h"
#include "engines/glm/quant.h"
#include "engines/glm/quantize.h"
#include "engines/spec.h"
#include "core/util.h"

#include <stdio.h>
#include <string.h>

static const char *const quantize_usage[] = {
    "tianti quantize IN.gguf OUT.gguf --type f32|f16|q8_0|q4_0",
    NULL};

int cmd_quantize(int argc, char **argv)
{
    const char *type_name = NULL;
    const cli_option opts[] = {
        {OPT_STRING, 0, "type", &type_name, "TYPE", "target weight type: f32, f16, q8_0 or q4_0", 0},
        CLI_OPT_END};
    cli_list pos = {0};
    int rc = cli_parse(argc, argv, quantize_usage, opts, &pos);
    if (rc) {
        cli_list_free(&pos);
        return rc == 1 ? 0 : 2;
    }
    if (pos.n != 2 || !type_name) {
        cli_error("quantize needs IN, OUT and --type");
        cli_usage_short(quantize_usage, stderr);
        cli_list_free(&pos);
        return 2;
    }
    /* precisions are case-insensitive everywhere ("Q8_0" is q8_0) */
    const char *canon = engine_spec_precision("glm", type_name);
    int type = canon ? glm_type_from_name(canon) : -1;
    if (type < 0) {
        cli_error("unknown type '%s' (f32, f16, q8_0, q4_0)", type_name);
        cli_list_free(&pos);
        return 2;
    }
    char err[TT_ERR_SIZE];
    double t0 = tt_now_s();
    rc = glm_quantize_file(pos.items[0], pos.items[1], (uint32_t)type, err);
    if (rc != TT_OK) {
        cli_error("%s", err);
        cli_list_free(&pos);
        return cli_exit_status(rc);
    }
    printf("wrote '%s' (%s) in %.2f s\n", pos.items[1], canon, tt_now_s() - t0);
    cli_list_free(&pos);
    return 0;
}
