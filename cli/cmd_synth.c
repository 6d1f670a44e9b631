/*
 * cmd_synth.c — `tianti synth OUT.gguf --shape NAME --type TYPE`: writes a
 * random-weight GLM GGUF with the exact shape of ChatGLM2-6B, ChatGLM3-6B or
 * GLM-4-9B (engines/glm/synth.c does the work), to measure memory and speed
 * at real sizes (`tianti bench`) without downloading a model. Also prints
 * what the memory planner predicts for it at contexts 2k, 8k and 32k.
 */
#include "cli/cli.h"
#include "engines/glm/plan.h"
#include "engines/glm/quant.h"
#include "engines/glm/synth.h"
#include "engines/spec.h"
#include "core/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const synth_usage[] = {
    "tianti synth OUT.gguf --shape chatglm2-6b|chatglm3-6b|glm4-9b|bench-90m --type f32|f16|q8_0|q4_0 [--layers N] [--seed N]",
    "",
    "Writes a random-weight model of a real shape (hidden 4096, 32 heads in 2",
    "KV groups, FFN 13696; ChatGLM2/3-6B: 28 layers, vocabulary 65024, context",
    "32768 / 8192; GLM-4-9B: 40 layers, vocabulary 151552, context 131072),",
    "loadable by the built-in engine and by llama.cpp. The vocabulary has the",
    "model's size and control tokens but synthetic text tokens. --layers keeps",
    "only the first N layers (a smaller file of the same widths). bench-90m is no",
    "released model but the benchmarks' 90 M-parameter shape (hidden 1024, 16",
    "heads in 2 KV groups, FFN 2560, 8 layers, vocabulary 4096).",
    NULL};

int cmd_synth(int argc, char **argv)
{
    const char *shape_name = NULL, *type_name = NULL;
    int layers = 0, seed = 1;
    const cli_option opts[] = {
        {OPT_STRING, 0, "shape", &shape_name, "NAME", "chatglm2-6b, chatglm3-6b, glm4-9b or bench-90m", 0},
        {OPT_STRING, 0, "type", &type_name, "TYPE", "weight type: f32, f16, q8_0 or q4_0", 0},
        {OPT_INT, 0, "layers", &layers, "N", "keep the first N layers only (default all)", 0},
        {OPT_INT, 0, "seed", &seed, "N", "random seed (default 1)", 0},
        CLI_OPT_END};
    cli_list pos = {0};
    int rc = cli_parse(argc, argv, synth_usage, opts, &pos);
    if (rc) {
        cli_list_free(&pos);
        return rc == 1 ? 0 : 2;
    }
    int status = 0;
    const glm_synth_shape *sh = shape_name ? glm_synth_shape_find(shape_name) : NULL;
    const char *canon = type_name ? engine_spec_precision("glm", type_name) : NULL;
    int type = canon ? glm_type_from_name(canon) : -1;
    if (pos.n != 1 || !shape_name || !type_name) {
        cli_error("synth needs OUT, --shape and --type");
        cli_usage_short(synth_usage, stderr);
        status = 2;
    } else if (!sh) {
        cli_error("unknown shape '%s' (chatglm2-6b, chatglm3-6b, glm4-9b, bench-90m)", shape_name);
        status = 2;
    } else if (type < 0) {
        cli_error("unknown type '%s' (f32, f16, q8_0, q4_0)", type_name);
        status = 2;
    } else if (layers < 0 || layers > sh->n_layer) {
        cli_error("--layers must be 1 to %d for %s", sh->n_layer, sh->name);
        status = 2;
    }
    if (status) {
        cli_list_free(&pos);
        return status;
    }
    glm_synth_shape s = *sh;
    if (layers > 0) s.n_layer = layers;
    char err[TT_ERR_SIZE];
    double t0 = tt_now_s();
    rc = glm_synth_write(&s, (uint32_t)type, (uint64_t)seed, pos.items[0], err);
    if (rc != TT_OK) {
        cli_error("%s", err);
        cli_list_free(&pos);
        return cli_exit_status(rc);
    }
    printf("wrote '%s' (%s, %d layers, %s) in %.1f s\n", pos.items[0], s.name, s.n_layer, canon, tt_now_s() - t0);
    static const int ctxs[3] = {2048, 8192, 32768};
    for (int i = 0; i < 3; i++) {
        glm_load_params lp = {-1, ctxs[i], 0, 0};
        glm_plan p;
        char line[256];
        if (glm_plan_file(pos.items[0], &lp, &p, err) != TT_OK) break;
        glm_plan_format(&p, line, sizeof line);
        printf("  planned at context %5d: %s\n", ctxs[i], line);
    }
    cli_list_free(&pos);
    return 0;
}
