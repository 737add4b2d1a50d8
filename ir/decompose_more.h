/* decompose_more.h: helpers shared by the rewrites of decompose_more.c and
 * its sibling files (seq, img, sample, ctl, misc, const; see the top of
 * decompose_more.c), and the rewrites those files contribute to the
 * d_more_ops table. */
#ifndef MLG_DECOMPOSE_MORE_H
#define MLG_DECOMPOSE_MORE_H

#include "decompose.h"

Value *m_sc(B *b, Value *like, double v); /* scalar constant of like's dtype */
bool m_isf(const Value *v);
int m_opset(B *b);                                  /* opset of the node's domain */
Value *m_axis_last(B *b, Value *x, int axis, bool inverse); /* move dim axis last (or back) */
Value *m_unsq(B *b, Value *x, int at);              /* insert a size-1 dim */
int m_const_int(B *b, Value *v, int64_t *out, const char *what); /* one build-time integer */

/* rewrites of the sibling files, registered in d_more_ops */
int d_attention(B *b, Value **in, int nin, Value **out); /* decompose_seq.c */
int d_nllloss(B *b, Value **in, int nin, Value **out);
int d_sceloss(B *b, Value **in, int nin, Value **out);
int d_linearattention(B *b, Value **in, int nin, Value **out);
int d_rotary(B *b, Value **in, int nin, Value **out);
int d_rnn(B *b, Value **in, int nin, Value **out);
int d_gru(B *b, Value **in, int nin, Value **out);
int d_lstm(B *b, Value **in, int nin, Value **out);
int d_resize(B *b, Value **in, int nin, Value **out); /* decompose_img.c */
int d_upsample(B *b, Value **in, int nin, Value **out);
int d_convtranspose(B *b, Value **in, int nin, Value **out);
int d_dft(B *b, Value **in, int nin, Value **out);
int d_gridsample(B *b, Value **in, int nin, Value **out); /* decompose_sample.c */
int d_affinegrid(B *b, Value **in, int nin, Value **out);
int d_roialign(B *b, Value **in, int nin, Value **out);
int d_deformconv(B *b, Value **in, int nin, Value **out);
Value *m_dft(B *b, Value *x, int64_t axis, int64_t len, bool inverse, bool onesided);
int d_einsum(B *b, Value **in, int nin, Value **out); /* decompose_misc.c */
int d_col2im(B *b, Value **in, int nin, Value **out);
int d_maxunpool(B *b, Value **in, int nin, Value **out);
int d_det(B *b, Value **in, int nin, Value **out);
int d_stft(B *b, Value **in, int nin, Value **out);
int d_melweightmatrix(B *b, Value **in, int nin, Value **out);
int d_tfidf(B *b, Value **in, int nin, Value **out);
int d_nonzero(B *b, Value **in, int nin, Value **out); /* decompose_const.c */
int d_unique(B *b, Value **in, int nin, Value **out);
int d_nms(B *b, Value **in, int nin, Value **out);
int d_if(B *b, Value **in, int nin, Value **out); /* decompose_ctl.c */
int d_loop(B *b, Value **in, int nin, Value **out);
int d_scan(B *b, Value **in, int nin, Value **out);
int m_subgraph(B *b, Graph *g, Value **in, int nin, Value **out, int nout); /* names restored after */
int d_quantizelinear(B *b, Value **in, int nin, Value **out);
int d_dequantizelinear(B *b, Value **in, int nin, Value **out);
int d_dynamicquantizelinear(B *b, Value **in, int nin, Value **out);
int d_matmulinteger(B *b, Value **in, int nin, Value **out);
int d_qlinearmatmul(B *b, Value **in, int nin, Value **out);
int d_convinteger(B *b, Value **in, int nin, Value **out);
int d_qlinearconv(B *b, Value **in, int nin, Value **out);
int d_conv(B *b, Value **in, int nin, Value **out); /* decompose_nn.c */

#endif
