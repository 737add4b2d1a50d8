/* onnx.h: the ONNX reader. Turns a .onnx file into the same Graph the YAML
 * frontend builds (ONNX-level nodes over named tensors). Local functions are
 * inlined, subgraphs become child Graphs, initializer data is validated.
 * Everything lives in the caller's Arena; errors go to Diags, naming the node
 * ("op_type#index" when it has no name) or the tensor. */
#ifndef MLG_ONNX_H
#define MLG_ONNX_H

#include "../ir/ir.h"

/* Reads an ONNX model file into a Graph. Returns 0, or -1 with errors in d
 * (and *out = NULL). Domain "ai.onnx" is reported as "" in GNode.domain;
 * GNode.name is "" for an unnamed node (its Loc.node says "op_type#index");
 * an AT_STRING attribute has its byte length in Attr.n. */
int onnx_load(Arena *a, const char *path, Graph **out, Diags *d);

/* Reads a serialized TensorProto (.pb, as in the ONNX test data). String
 * tensors come back as DT_STRING (arena strings; a NUL byte inside one is
 * refused). */
int onnx_load_tensor(Arena *a, const char *path, TensorData **out, Diags *d);

/* Reads a serialized SequenceProto or OptionalProto (the two share their
 * field numbers) as a value of kind (GK_SEQ, GK_OPT or GK_OPTSEQ; GK_OPT
 * also takes an optional sequence, returned as GK_OPTSEQ). */
int onnx_load_value(Arena *a, const char *path, GKind kind, SeqData **out, Diags *d);

#endif
