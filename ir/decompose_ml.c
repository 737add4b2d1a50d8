/* decompose_ml.c: ai.onnx.ml operators (tree ensembles, linear models,
 * featurizers) as tensor programs, registered in d_ml_ops. */
#include "decompose.h"

const DecOp d_ml_ops[] = {
    /* domain, name, min_in, max_in, max_out, rewrite */
    {"ai.onnx.ml", "", 0, 0, 0, NULL},
};
const int d_ml_nops = 0;
