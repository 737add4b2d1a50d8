/* decompose_more.c: further ai.onnx operators (grown for the conformance
 * suite), registered in d_more_ops. */
#include "decompose.h"

const DecOp d_more_ops[] = {
    /* domain, name, min_in, max_in, max_out, rewrite */
    {"", "", 0, 0, 0, NULL},
};
const int d_more_nops = 0;
